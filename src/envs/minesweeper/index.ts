/**
 * MineSweeper-v0 (reference lamer.md §8.2).
 */
import { z } from 'zod';
import type { EnvDefinition } from '../core/types.js';
import { checkBoardSize, generateBoard, MAX_SIDE } from './generator.js';
import { boardFromLayout, layoutProblems, layoutSchema } from './layout.js';
import {
  admissibleActions,
  describeAction,
  formatAction,
  projectAction,
  projectReflection,
} from './projection.js';
import { MINESWEEPER_PROMPTS } from './prompts.js';
import { lessonAction } from './lessons.js';
import { ruleReflection } from './reflection.js';
import { renderState } from './render.js';
import { HIDDEN, type MinesweeperAction, type MinesweeperState, reveal, revealInvalid } from './rules.js';
import { solverAction } from './solver.js';

export const paramsSchema = z
  .object({
    rows: z.number().int().min(2).max(MAX_SIDE),
    cols: z.number().int().min(2).max(MAX_SIDE),
    mines: z.number().int().min(1),
    /** A fixed board; when given, the seed and rows/cols/mines are ignored. */
    layout: layoutSchema.optional(),
  })
  .superRefine((p, ctx) => {
    if (p.mines > p.rows * p.cols - 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['mines'],
        message: `a ${p.rows}x${p.cols} board takes at most ${p.rows * p.cols - 2} mines (two safe cells at least)`,
      });
    }
    if (p.layout)
      for (const message of layoutProblems(p.layout))
        ctx.addIssue({ code: 'custom', path: ['layout'], message });
  });

/** Params of MineSweeper-v0: board size and mine count, or a fixed `layout` (overrides the seed). */
export type MinesweeperParams = z.infer<typeof paramsSchema>;

const DOC = `MineSweeper-v0: reveal every safe cell of a small Minesweeper board (reference lamer.md §8.2).

Description: a rows x cols board (default 6 x 6) with hidden mines (default 3). One automatic first
  click has already opened a region. Each turn the agent reveals ONE unopened cell.
Actions: "(row, col)", 1-indexed, inside <action> </action>. Parsing (reference): the text between the
  first <action> and the first </action>, then the first match of \\(( *\\d+) *, *(\\d+) *\\). Anything
  else is invalid ("no operation" in history). Reflections: the last <remark> ... last </remark>.
Observation: one line per row, "Row i: c1 c2 ...": ? unopened, . opened blank, 1-8 adjacent-mine count,
  * a revealed mine. The GiGPO anchor is the observation text.
Start: mines = the k cells with the smallest seeded uniform value (first-click cell excluded). The first
  click is derived from the task seed (the reference's was unseeded, bug §12.10) and opened with flood
  fill; if that already wins, another safe cell is clicked (at most 1000 tries).
Rewards: exactly 1 cell opened +0.5; several cells (blank cascade) +2.0; all safe cells open +10 (won);
  a mine -0.1 (lost); an already-open or off-board cell, or an invalid reply, -1.0. A step on a finished
  game changes nothing and gives 0.
End: won when every safe cell is revealed; lost on a mine; otherwise the attempt ends at maxTurns (7).
Params: rows, cols (2-${MAX_SIDE}), mines (1 to rows*cols-2), layout (optional fixed board:
  { rows, cols, mines: [[r, c], ...], firstClick: [r, c] }, 1-indexed; overrides the seed and size).
  Presets: default 6x6/3, 6x6-4, 6x6-5, 8x8-8.`;

/** The MineSweeper-v0 env (aliases `minesweeper`, `mines`): reveal every safe cell; an action is a 1-indexed `(row, col)`. */
export const minesweeper: EnvDefinition<MinesweeperState, MinesweeperAction, MinesweeperParams> = {
  id: 'MineSweeper-v0',
  aliases: ['minesweeper', 'mines'],
  doc: DOC,
  paramsSchema,
  defaultPreset: 'default',
  presets: {
    default: { rows: 6, cols: 6, mines: 3 },
    '6x6-4': { rows: 6, cols: 6, mines: 4 },
    '6x6-5': { rows: 6, cols: 6, mines: 5 },
    '8x8-8': { rows: 8, cols: 8, mines: 8 },
  },
  maxTurns: 7,
  initial(seed, params) {
    if (params.layout) return boardFromLayout(params.layout);
    checkBoardSize(params);
    return generateBoard(seed, params);
  },
  step: reveal,
  stepInvalid: revealInvalid,
  observe: renderState,
  anchor: renderState,
  project: projectAction,
  parseReflection: projectReflection,
  describeAction,
  formatAction,
  admissible: admissibleActions,
  randomAction(state, rng) {
    const hidden: number[] = [];
    for (let i = 0; i < state.board.length; i++) if (state.board[i] === HIDDEN) hidden.push(i);
    if (hidden.length === 0) return { row: 1, col: 1 };
    const i = rng.pick(hidden);
    return { row: Math.floor(i / state.cols) + 1, col: (i % state.cols) + 1 };
  },
  expertAction: (state) => solverAction(state),
  lessonAction,
  ruleReflection,
  prompts: MINESWEEPER_PROMPTS,
};

// Generation and layouts
export {
  type BoardSize,
  boardAfterClick,
  checkBoardSize,
  FIRST_CLICK_TRIES,
  generateBoard,
  MAX_SIDE,
  placeMines,
} from './generator.js';
export {
  boardFromLayout,
  formatLayout,
  layoutOf,
  layoutProblems,
  layoutSchema,
  type MinesweeperLayout,
  parseLayout,
} from './layout.js';
export {
  ACTION_PATTERN,
  admissibleActions,
  describeAction,
  formatAction,
  projectAction,
  projectReflection,
} from './projection.js';
export {
  compactHeader,
  compactMemory,
  currentBlock,
  intro,
  MINESWEEPER_PROMPTS,
  memoryBlock,
  memoryBlocks,
  PAST_WINDOW,
  PLAY_INSTRUCTIONS,
  PLAY_WINDOW,
  REFLECT_INSTRUCTIONS,
  REFLECT_TASK,
  REFLECT_WINDOW,
  RULES,
} from './prompts.js';
export {
  type Lessons,
  type LessonTruth,
  lessonAction,
  lessonTruth,
  readHistories,
  readLessons,
} from './lessons.js';
export { ruleReflection } from './reflection.js';
// Rendering, parsing, prompts
export { cellName, renderBoard, renderCompactBoard, renderState } from './render.js';
// Rules and state
export {
  allSafeRevealed,
  BLANK,
  floodReveal,
  HIDDEN,
  isDone,
  MINE,
  type MinesweeperAction,
  type MinesweeperState,
  neighbours,
  REWARDS,
  type RevealOutcome,
  reveal,
  revealInvalid,
  solution,
} from './rules.js';
// Solver and reflections
export { type AnalyseOptions, type Analysis, analyse, analyseState, solverAction } from './solver.js';
