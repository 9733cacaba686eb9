import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TurnMove } from '../../../src/envs/sokoban/board.js';
import { sokoban } from '../../../src/envs/sokoban/index.js';
import {
  isWon,
  type SokobanState,
  solutionWithin,
  stepStill,
  stepTurn,
} from '../../../src/envs/sokoban/rules.js';
import { stateFrom } from './helpers.js';

const turnMove = fc.constantFrom<TurnMove>('up', 'down', 'left', 'right', 'still');
const turnArb = fc.array(turnMove, { minLength: 1, maxLength: 3 });
const presetArb = fc.constantFrom('default', '6x6-3');

function countTargets(s: SokobanState): number {
  return [...s.layout].filter((c) => c === 'O').length;
}

describe('sokoban rules', () => {
  it('keeps box and target counts, never puts the player or a box on a wall or on each other', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 65534 }),
        presetArb,
        fc.array(turnArb, { maxLength: 10 }),
        (seed, preset, turns) => {
          const s0 = sokoban.initial(seed, sokoban.presets[preset]!);
          const boxes = s0.boxes.length;
          const targets = countTargets(s0);
          expect(boxes).toBe(targets);
          let s = s0;
          for (const action of turns) {
            const r = sokoban.step(s, action);
            s = r.state;
            expect(s.boxes.length).toBe(boxes);
            expect(countTargets(s)).toBe(targets);
            expect(s.layout).toBe(s0.layout);
            expect(new Set(s.boxes).size).toBe(boxes);
            expect(s.boxes).not.toContain(s.player);
            for (const cell of [...s.boxes, s.player]) expect(s.layout[cell]).not.toBe('#');
            expect([...s.boxes].sort((a, b) => a - b)).toEqual(s.boxes);
            // won iff every box is on a target (for a turn: some move won); won implies done.
            if (action.length === 1) expect(r.won).toBe(isWon(s));
            if (isWon(s)) expect(r.won).toBe(true);
            if (r.won) expect(r.done).toBe(true);
            if (r.done) break;
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('returns only the last move reward, counts steps, and ends dead states', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65534 }), fc.array(turnArb, { maxLength: 10 }), (seed, turns) => {
        let s = sokoban.initial(seed, sokoban.presets.default!);
        for (const action of turns) {
          const r = stepTurn(s, action);
          const rewards = r.info.moveRewards as number[];
          expect(rewards.length).toBe(action.length);
          expect(r.reward).toBe(rewards[rewards.length - 1]);
          expect(r.state.steps - s.steps).toBe(action.filter((m) => m !== 'still').length);
          // Dead iff the solver finds nothing within the search depth (checked after a counted move).
          const last = action[action.length - 1];
          if (last !== 'still' && !isWon(r.state) && r.state.steps !== r.state.maxSteps) {
            const dead = solutionWithin(r.state, r.state.searchDepth) === null;
            expect(r.info.dead).toBe(dead);
            expect(r.done).toBe(dead || r.won);
          }
          s = r.state;
          if (r.done) break;
        }
      }),
      { numRuns: 200 },
    );
  });

  it('credits a win on the 3rd move of a turn with 10.9', () => {
    const s = stateFrom(['#######', '#@  $.#', '#######']);
    const r = sokoban.step(s, ['right', 'right', 'right']);
    expect(r.info.moveRewards).toEqual([-0.1, -0.1, 10.9]);
    expect(r.reward).toBeCloseTo(10.9, 12);
    expect(r.won).toBe(true);
    expect(r.done).toBe(true);
  });

  it('credits a win on the 2nd move followed by a neutral 3rd move with 9.9', () => {
    const s = stateFrom(['######', '#@ $.#', '######']);
    const r = sokoban.step(s, ['right', 'right', 'left']);
    expect(r.info.moveRewards).toEqual([-0.1, 10.9, 9.9]);
    expect(r.reward).toBeCloseTo(9.9, 12);
    expect(r.won).toBe(true);
    expect(r.done).toBe(true);
  });

  it('gives +1 for a box onto a target and -1 for a box off it', () => {
    const s = stateFrom(['########', '#@$. $.#', '########']);
    const on = sokoban.step(s, ['right']);
    expect(on.reward).toBeCloseTo(0.9, 12);
    const off = sokoban.step(on.state, ['right']);
    expect(off.reward).toBeCloseTo(-1.1, 12);
  });

  it('treats an invalid reply and "still" as a -0.1 no-op that is not counted', () => {
    const s = stateFrom(['######', '#@ $.#', '######']);
    const inv = sokoban.stepInvalid(s);
    expect(inv).toMatchObject({ reward: -0.1, done: false, won: false });
    expect(inv.state).toEqual(s);
    const still = stepTurn(s, ['still']);
    expect(still.reward).toBeCloseTo(-0.1, 12);
    expect(still.state.steps).toBe(0);
    expect(stepStill(s).state.steps).toBe(0);
  });

  it('ends the attempt when a box is pushed into a corner (dead state)', () => {
    const s = stateFrom(['######', '#    #', '#@$  #', '#   .#', '######']);
    const r = sokoban.step(s, ['down', 'right', 'up']);
    expect(r.state.boxes).toEqual([8]);
    expect(r.info.dead).toBe(true);
    expect(r.done).toBe(true);
    expect(r.won).toBe(false);
    expect(r.reward).toBeCloseTo(-0.1, 12);
  });

  it('ends the attempt when the step count reaches maxSteps', () => {
    const s = stateFrom(['########', '#@   $.#', '########'], { maxSteps: 2 });
    const r = sokoban.step(s, ['right', 'left']);
    expect(r.state.steps).toBe(2);
    expect(r.done).toBe(true);
    expect(r.won).toBe(false);
  });

  it('executes at most movesPerTurn moves', () => {
    const s = stateFrom(['########', '#@     #', '#  $   #', '#     .#', '########'], { movesPerTurn: 2 });
    const r = sokoban.step(s, ['right', 'right', 'right']);
    expect(r.state.steps).toBe(2);
    expect(r.info.moves).toBe(2);
  });
});
