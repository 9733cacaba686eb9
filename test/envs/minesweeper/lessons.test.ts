import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { MemoryMode } from '../../../src/envs/core/types.js';
import { lessonTruth, minesweeper, readHistories, readLessons } from '../../../src/envs/minesweeper/index.js';
import {
  HIDDEN,
  type MinesweeperAction,
  type MinesweeperState,
} from '../../../src/envs/minesweeper/rules.js';
import { solverAction } from '../../../src/envs/minesweeper/solver.js';
import { initial, playFrom } from './fixtures/scenario.js';

const cell = (s: MinesweeperState, a: MinesweeperAction) => (a.row - 1) * s.cols + a.col - 1;

/** The lesson action at the start of attempt 2, after attempt 1 played `actions` and was reflected on. */
function secondAttempt(start: MinesweeperState, actions: MinesweeperAction[], memoryMode: MemoryMode) {
  const { history, state } = playFrom(start, actions);
  const reflection = minesweeper.ruleReflection!({ initial: start, current: state, attempt: 0, history });
  const ctx = {
    initial: start,
    current: start,
    attempt: 1,
    history: [],
    memory: [{ attempt: 0, history, reflection }],
    memoryMode,
  };
  return { reflection, state, action: minesweeper.lessonAction!(ctx) };
}

describe('MineSweeper lessons', () => {
  it('reads the mine and the safe cells a rule reflection names', () => {
    const text =
      'I revealed (2, 5), which was a mine, on turn 2. It was a guess. ' +
      'Plan: never reveal (2, 5); reveal (6, 1) and (1, 6) again (they were safe); then reveal (3, 3), (4, 4) and 2 more, which the numbers then prove safe.';
    const l = readLessons([text], 6, 6);
    expect(l.mines).toEqual([1 * 6 + 4]);
    expect(l.safe).toEqual([5 * 6 + 0, 0 * 6 + 5, 2 * 6 + 2, 3 * 6 + 3]);
  });

  it('checks the cells a (model-written) lesson names against the real mines', () => {
    const board = { rows: 6, cols: 6, mines: [1 * 6 + 4, 5 * 6 + 5] };
    const text =
      'I revealed (2, 5), which was a mine, on turn 2. Plan: never reveal (3, 3); reveal (6, 1) and (6, 6) again (they were safe).';
    expect(lessonTruth(text, board)).toEqual({ mines: 2, minesTrue: 1, safe: 2, safeTrue: 1 });
  });

  it('ignores cells off the board and text that is not a lesson', () => {
    expect(readLessons(['Plan: reveal (9, 9) again.', 'no plan here (1, 1)'], 6, 6)).toEqual({
      mines: [],
      safe: [],
    });
  });

  it('replays the safe cells of the lesson, then avoids the mine that ended attempt 1', () => {
    // The fixture's (1, 1) is the seeded first click; (4, 4) opens cells, (2, 5) is a mine.
    const { reflection, action } = secondAttempt(
      initial,
      [
        { row: 4, col: 4 },
        { row: 2, col: 5 },
      ],
      'reflection_only',
    );
    expect(reflection).toContain('never reveal (2, 5)');
    expect(action).toEqual({ row: 4, col: 4 });
    expect(solverAction(initial)).not.toEqual({ row: 4, col: 4 });
  });

  it('uses only what the prompt shows: nothing under memory mode none', () => {
    const { action } = secondAttempt(
      initial,
      [
        { row: 4, col: 4 },
        { row: 2, col: 5 },
      ],
      'none',
    );
    expect(action).toEqual(solverAction(initial));
  });

  it('under history_only reads the history: the mine that ended attempt 1 is a known mine', () => {
    const { history } = playFrom(initial, [
      { row: 4, col: 4 },
      { row: 2, col: 5 },
    ]);
    expect(readHistories([history], 6, 6)).toEqual({ mines: [1 * 6 + 4], safe: [3 * 6 + 3] });
    const { action } = secondAttempt(
      initial,
      [
        { row: 4, col: 4 },
        { row: 2, col: 5 },
      ],
      'history_only',
    );
    // no replay of the history's safe cells: the solver with (2, 5) known to be a mine
    expect(action).toEqual(solverAction(initial, { knownMines: [1 * 6 + 4] }));
  });

  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 35 })], { numRuns: 60 })(
    'the lesson action never reveals a mine the lessons name, and the safe cells it names are safe',
    (seed, pick) => {
      const s0 = minesweeper.initial(seed, minesweeper.presets['default']!);
      const hidden = [...s0.board].flatMap((ch, i) => (ch === HIDDEN ? [i] : []));
      const target = s0.mines.length > 0 ? s0.mines[pick % s0.mines.length]! : hidden[pick % hidden.length]!;
      const click = { row: Math.floor(target / s0.cols) + 1, col: (target % s0.cols) + 1 };
      const { reflection, action } = secondAttempt(s0, [click], 'reflection_only');
      const lessons = readLessons([reflection], s0.rows, s0.cols);
      for (const c of lessons.safe) expect(s0.mines).not.toContain(c);
      const truth = lessonTruth(reflection, s0);
      expect([truth.minesTrue, truth.safeTrue]).toEqual([truth.mines, truth.safe]);
      if (s0.mines.includes(target)) expect(lessons.mines).toContain(target);
      if (action !== null) expect(lessons.mines).not.toContain(cell(s0, action));
      // The history shows the same mine: under history_only the expert never reveals it either.
      const fromHistory = secondAttempt(s0, [click], 'history_only').action;
      if (fromHistory !== null && s0.mines.includes(target)) expect(cell(s0, fromHistory)).not.toBe(target);
    },
  );
});
