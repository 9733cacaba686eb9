import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { HistoryRecord, MemoryMode } from '../../../src/envs/core/types.js';
import { readPlan, sokoban, solverTurn } from '../../../src/envs/sokoban/index.js';
import type { SokobanAction, SokobanState } from '../../../src/envs/sokoban/rules.js';
import { solve } from '../../../src/envs/sokoban/solver.js';
import { playActions } from '../play.js';

const playTurns = (start: SokobanState, turns: SokobanAction[]) => playActions(sokoban, start, turns);

/** Attempt 1 plays `turns` and is reflected on; returns the context maker for attempt 2. */
function afterAttempt(s0: SokobanState, turns: SokobanAction[], memoryMode: MemoryMode = 'reflection_only') {
  const first = playTurns(s0, turns);
  const reflection = sokoban.ruleReflection!({
    initial: s0,
    current: first.state,
    attempt: 0,
    history: first.history,
  });
  const memory = [{ attempt: 0, history: first.history, reflection }];
  return (current: SokobanState, history: HistoryRecord[]) =>
    sokoban.lessonAction!({ initial: s0, current, attempt: 1, history, memory, memoryMode });
}

const level = (seed: number) => sokoban.initial(seed, sokoban.presets['default']!);

describe('Sokoban lessons', () => {
  it("reads the latest reflection's plan", () => {
    const a = 'Next time, from the initial state play this shortest solution (2 moves): up, left.';
    const b = 'Next time, from the initial state play this shortest solution (1 move): down.';
    expect(readPlan([a, b])).toEqual(['down']);
    expect(readPlan([a, 'no plan'])).toEqual(['up', 'left']);
    expect(readPlan(['play this shortest solution (2 moves): up, jump.'])).toBeNull();
  });

  it('follows the written plan while on it, and the solver once off it', () => {
    const s0 = level(3);
    const plan = solve(s0, s0.searchDepth)!;
    const lesson = afterAttempt(s0, [['still']]);
    const n = s0.movesPerTurn;
    expect(lesson(s0, [])).toEqual(plan.slice(0, n));
    const onPlan = playTurns(s0, [plan.slice(0, n)]);
    expect(lesson(onPlan.state, onPlan.history)).toEqual(plan.slice(n, 2 * n));
    const wrong = plan[0] === 'up' ? 'down' : 'up';
    const off = playTurns(s0, [[wrong]]);
    expect(lesson(off.state, off.history)).toEqual(solverTurn(off.state));
  });

  it('has no lesson when the memory mode hides reflections', () => {
    const s0 = level(5);
    expect(afterAttempt(s0, [['still']], 'none')(s0, [])).toEqual(solverTurn(s0));
  });

  test.prop([fc.integer({ min: 0, max: 100_000 })], { numRuns: 25 })(
    'following the lesson from the restart wins the level within the turn budget',
    (seed) => {
      const s0 = level(seed);
      const lesson = afterAttempt(s0, [['still']]);
      let state = s0;
      let won = false;
      const history: HistoryRecord[] = [];
      for (let t = 0; t < sokoban.maxTurns && !won; t++) {
        const a = lesson(state, history);
        if (a === null) break;
        const next = playTurns(state, [a]);
        state = next.state;
        history.push(...next.history);
        won = next.history[0]!.won;
      }
      expect(won).toBe(true);
    },
  );
});
