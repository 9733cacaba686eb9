import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  analyse,
  analyseState,
  boardFromLayout,
  generateBoard,
  HIDDEN,
  minesweeper,
  parseLayout,
  reveal,
  solution,
  solverAction,
} from '../../../src/envs/minesweeper/index.js';
import type { MinesweeperState } from '../../../src/envs/minesweeper/rules.js';
import { Rng } from '../../../src/util/rng.js';

/** Play `n` random safe reveals (peeking at the mines) to reach a mid-game position. */
function midGame(s: MinesweeperState, rng: Rng, n: number): MinesweeperState {
  for (let t = 0; t < n; t++) {
    const safe = [...s.board].flatMap((ch, i) => (ch === HIDDEN && !s.mines.includes(i) ? [i] : []));
    if (safe.length <= 1) break;
    const i = rng.pick(safe);
    s = reveal(s, { row: Math.floor(i / s.cols) + 1, col: (i % s.cols) + 1 }).state;
  }
  return s;
}

/** Every placement of the mines on hidden cells that agrees with the shown numbers. */
function bruteForce(s: MinesweeperState): number[][] {
  const hidden = [...s.board].flatMap((ch, i) => (ch === HIDDEN ? [i] : []));
  const out: number[][] = [];
  const pick = (from: number, chosen: number[]) => {
    if (chosen.length === s.mines.length) {
      const truth = solution(s.rows, s.cols, chosen);
      if ([...s.board].every((ch, i) => ch === HIDDEN || ch === truth[i])) out.push([...chosen]);
      return;
    }
    for (let k = from; k < hidden.length; k++) pick(k + 1, [...chosen, hidden[k]!]);
  };
  pick(0, []);
  return out;
}

const small = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  rows: fc.integer({ min: 3, max: 5 }),
  cols: fc.integer({ min: 3, max: 5 }),
  mines: fc.integer({ min: 2, max: 4 }),
  moves: fc.integer({ min: 0, max: 4 }),
});

describe('solver: exactness', () => {
  test.prop([small], { numRuns: 200 })(
    'certainty and probabilities equal brute-force counting on small boards',
    (c) => {
      const s = midGame(generateBoard(c.seed, c), Rng.seeded(c.seed), c.moves);
      const layouts = bruteForce(s);
      expect(layouts.length).toBeGreaterThan(0);
      const a = analyseState(s);
      expect(a.exact).toBe(true);
      for (let i = 0; i < s.board.length; i++) {
        if (s.board[i] !== HIDDEN) continue;
        const hits = layouts.filter((l) => l.includes(i)).length;
        expect(a.probability[i]).toBeCloseTo(hits / layouts.length, 9);
        expect(a.safe.includes(i)).toBe(hits === 0);
        expect(a.mines.includes(i)).toBe(hits === layouts.length);
      }
    },
  );

  test.prop(
    [
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.constantFrom('default', '6x6-5', '8x8-8'),
      fc.integer({ min: 0, max: 6 }),
    ],
    {
      numRuns: 200,
    },
  )(
    'certain-safe cells are never mines and certain mines always are (also with the search budget exhausted)',
    (seed, preset, n) => {
      const s = midGame(generateBoard(seed, minesweeper.presets[preset]!), Rng.seeded(seed), n);
      for (const a of [analyseState(s), analyseState(s, { budget: 3 })]) {
        for (const i of a.safe) expect(s.mines).not.toContain(i);
        for (const i of a.mines) expect(s.mines).toContain(i);
      }
    },
  );

  it('uses a known mine (e.g. the one hit on an earlier attempt)', () => {
    // One row "? 1 ? ?" with 2 mines: the 1 needs one of (1, 1)/(1, 3), so (1, 4) is a mine.
    const plain = analyse('?1??', 1, 4, 2);
    expect(plain).toMatchObject({ safe: [], mines: [3], exact: true });
    expect(plain.probability[0]).toBeCloseTo(0.5, 12);
    // Knowing (1, 1) is a mine makes (1, 3) safe.
    expect(analyse('?1??', 1, 4, 2, { knownMines: [0] })).toMatchObject({ safe: [2], mines: [3] });
  });

  it('falls back to local rules when the search budget runs out', () => {
    const s = generateBoard(3, minesweeper.presets['8x8-8']!);
    const a = analyseState(s, { budget: 2 });
    expect(a.exact).toBe(false);
    for (const i of a.safe) expect(s.mines).not.toContain(i);
  });
});

describe('solver: play', () => {
  it('prefers certain-safe cells and is deterministic', () => {
    const s = generateBoard(7, minesweeper.presets['default']!);
    const a = solverAction(s);
    expect(solverAction(s)).toEqual(a);
    const safe = analyseState(s).safe;
    if (safe.length > 0) expect(safe).toContain((a!.row - 1) * s.cols + a!.col - 1);
  });

  it('wins most default boards: >= 83/100 within the 7-turn budget (measured 86), >= 92/100 without it (measured 95)', () => {
    // A random policy wins 16/100 within 7 turns; least-risk play without the blank-cell tie-break 76/100
    // (95/100 without the budget). The 5 boards lost (seeds 16, 30, 48, 58, 80) each end on a forced guess
    // at the least risky cell (no certainly safe cell left; exact analysis).
    let within = 0;
    let eventually = 0;
    for (let seed = 0; seed < 100; seed++) {
      let s = minesweeper.initial(seed, minesweeper.presets['default']!);
      for (let turn = 1; turn <= 60; turn++) {
        const r = reveal(s, solverAction(s)!);
        s = r.state;
        if (r.done) {
          if (r.won) eventually++;
          if (r.won && turn <= minesweeper.maxTurns) within++;
          break;
        }
      }
    }
    expect(within).toBeGreaterThanOrEqual(83);
    expect(eventually).toBeGreaterThanOrEqual(92);
  });

  it('returns null on a finished game and handles an all-certain board', () => {
    const s = boardFromLayout(parseLayout('* . @\n. . .'));
    const a = analyse(s.board, s.rows, s.cols, 1);
    expect(a.exact).toBe(true);
    const lost = reveal(s, { row: 1, col: 1 }).state;
    expect(solverAction(lost)).toBeNull();
  });
});
