import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { boardFromLayout, minesweeper, parseLayout } from '../../../src/envs/minesweeper/index.js';
import type { MinesweeperAction, MinesweeperState } from '../../../src/envs/minesweeper/rules.js';
import { Rng } from '../../../src/util/rng.js';
import { playFrom } from './fixtures/scenario.js';

function run(initial: MinesweeperState, actions: (MinesweeperAction | null)[]) {
  const { history, state } = playFrom(initial, actions);
  return minesweeper.ruleReflection!({ initial, current: state, attempt: 0, history });
}

// Row 1: ? 1 . . .  /  Row 4: . 1 2 2 1  /  Row 5: . 1 ? ? ?   (mines (1, 1), (5, 3), (5, 4))
const board = boardFromLayout(parseLayout('* . . . .\n. . . . .\n. . . . @\n. . . . .\n. . * * .'));

describe('rule reflections: hand-checked', () => {
  it('explains a mine that the numbers had proved', () => {
    expect(run(board, [{ row: 1, col: 1 }])).toBe(
      'I revealed (1, 1), which was a mine, on turn 1. ' +
        'The number 1 at (1, 2) had exactly 1 unopened neighbour, so (1, 1) was certainly a mine. ' +
        'Plan: never reveal (1, 1); reveal (5, 5), which the numbers prove safe.',
    );
  });

  it('names wasted turns and the safe cell after a timeout', () => {
    const text = run(board, [{ row: 2, col: 2 }, null, { row: 9, col: 1 }]);
    expect(text).toBe(
      'I ran out of turns with 1 safe cell still unopened. ' +
        'I wasted turns on already-open or off-board cells (2, 2), (9, 1) and on 1 reply without a valid (row, col) action. ' +
        'Plan: reveal (5, 5), which the numbers prove safe.',
    );
  });

  it('keeps long lists short', () => {
    const text = run(
      board,
      Array.from({ length: 10 }, () => ({ row: 2, col: 2 })),
    );
    expect(text).toContain('cells (2, 2), (2, 2), (2, 2), (2, 2), (2, 2), (2, 2) and 4 more.');
  });

  // Default boards: one solver move, then a chosen mine (regression texts, checked by hand against the boards).
  function afterExpert(seed: number, mine: [number, number]) {
    const s0 = minesweeper.initial(seed, minesweeper.presets['default']!);
    return run(s0, [minesweeper.expertAction!(s0)!, { row: mine[0], col: mine[1] }]);
  }

  it('calls a guess a guess, naming the certainly safe cells it skipped', () => {
    // Seed 327 after (1, 6): Row 1 "? ? 1 ? 1 .", Rows 2-3 "? ? ? ? 1 .", Row 4 "? ? ? ? 1 1", rows 5-6
    // hidden. The 1s in column 5 make (3, 4), (4, 4), (5, 4) safe and (2, 4) a mine, so (1, 4) and the other
    // neighbours of (1, 3) — (1, 2), (2, 2), (2, 3) — are safe (7 cells). One mine is in (5, 5)/(5, 6), the
    // last among the 17 cells next to no number: (6, 2) had 1/17 ≈ 6% risk.
    expect(afterExpert(327, [6, 2])).toContain(
      'It was a guess with about 6% risk, while (1, 2), (1, 4), (2, 2), (2, 3), (3, 4), (4, 4) and 1 more were certainly safe.',
    );
  });

  it('compares a needless risk with the safest cell, and recognises a forced guess', () => {
    // Seed 17 after (1, 1): Row 1 "1 ? ? ? ? ?", Row 4 "? ? ? ? 1 ?", the rest hidden. One mine next to
    // each 1 (1/3 and 1/8 risk), the third among the other 23 cells (1/23 ≈ 4%); (1, 3) is the first of those.
    const text = afterExpert(17, [1, 2]);
    expect(text).toContain(
      'No cell was certainly safe, but (1, 3) (about 4% risk) was safer than this guess (about 33%).',
    );
    // After the mine at (1, 2) the 1 at (1, 1) has its mine, so (2, 1) and (2, 2) are safe.
    expect(text).toContain(
      'Plan: never reveal (1, 2); reveal (1, 1) again (it was safe); then reveal (2, 1) and (2, 2), which the numbers then prove safe.',
    );
    expect(afterExpert(17, [1, 3])).toContain('it was a forced guess with the lowest risk (about 4%)');
  });
});

describe('rule reflections: properties', () => {
  test.prop([fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom('default', '6x6-5', '8x8-8')], {
    numRuns: 200,
  })('never call a mine safe, and name no unseen mine except as a risk estimate', (seed, preset) => {
    const s0 = minesweeper.initial(seed, minesweeper.presets[preset]!);
    const rng = Rng.seeded(seed);
    const actions: (MinesweeperAction | null)[] = [];
    let s = s0;
    for (let t = 0; t < minesweeper.maxTurns; t++) {
      const a = rng.bernoulli(0.15)
        ? null
        : rng.bernoulli(0.5)
          ? minesweeper.expertAction!(s)
          : minesweeper.randomAction(s, rng);
      actions.push(a);
      const r = a === null ? minesweeper.stepInvalid(s) : minesweeper.step(s, a);
      s = r.state;
      if (r.done) break;
    }
    if (s.won) return;
    const text = run(s0, actions);
    expect(text.length).toBeLessThan(2000);
    expect(text).toContain('Plan:');
    for (const m of text.matchAll(/\((\d+), (\d+)\)/g)) {
      const i = (Number(m[1]) - 1) * s0.cols + Number(m[2]) - 1;
      if (!s0.mines.includes(i) || i === s.exploded) continue;
      // A hidden mine may only appear as "(r, c) (about N% risk)".
      expect(text.slice(m.index! + m[0].length).startsWith(' (about')).toBe(true);
    }
    const safeClause = /reveal ([^;.]*?),? which the numbers (?:then )?prove safe/.exec(text);
    for (const m of (safeClause?.[1] ?? '').matchAll(/\((\d+), (\d+)\)/g)) {
      expect(s0.mines).not.toContain((Number(m[1]) - 1) * s0.cols + Number(m[2]) - 1);
    }
  });
});
