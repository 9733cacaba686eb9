/**
 * The expert acting on the lessons in its prompt (env `lessonAction`): under
 * history modes the histories of earlier attempts show each loss's mine (a known
 * mine); the reflections of earlier attempts on the same board name mines ("I revealed
 * (2, 3), which was a mine", "never reveal (2, 3)") and safe cells ("reveal
 * (1, 1) and (4, 5) again", "reveal (3, 3), which the numbers prove safe").
 * The expert reveals the named safe cells still unopened, in the order the
 * lessons give them, then plays the solver with the named mines as known
 * mines. Only cells written in the lessons count (a list cut with "and N more"
 * gives its named cells), so the move is learnable from the prompt alone.
 */
import { shownHistories, shownReflections } from '../core/lessons.js';
import type { HistoryRecord, PlayPromptContext } from '../core/types.js';
import { HIDDEN, isDone, type MinesweeperAction, type MinesweeperState } from './rules.js';
import { solverAction } from './solver.js';

export interface Lessons {
  /** Cells the lessons name as mines (0-based indices). */
  mines: number[];
  /** Cells the lessons name as safe, in lesson order, without repeats. */
  safe: number[];
}

const CELL = /\((\d+), (\d+)\)/g;

function cellsOf(text: string, rows: number, cols: number): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(CELL)) {
    const r = Number(m[1]) - 1;
    const c = Number(m[2]) - 1;
    if (r >= 0 && r < rows && c >= 0 && c < cols) out.push(r * cols + c);
  }
  return out;
}

/** Mines and safe cells named by reflections written as `ruleReflection` writes them. */
export function readLessons(reflections: readonly string[], rows: number, cols: number): Lessons {
  const mines = new Set<number>();
  const safe: number[] = [];
  for (const text of reflections) {
    for (const m of text.matchAll(/(\(\d+, \d+\)), which was a mine/g))
      for (const c of cellsOf(m[1]!, rows, cols)) mines.add(c);
    const plan = /Plan:([\s\S]*)$/.exec(text)?.[1] ?? '';
    for (const clause of plan.split(';')) {
      if (/never reveal/.test(clause)) for (const c of cellsOf(clause, rows, cols)) mines.add(c);
      else if (/again|prove safe/.test(clause)) safe.push(...cellsOf(clause, rows, cols));
    }
  }
  const safeCells = safe.filter((c, k) => !mines.has(c) && safe.indexOf(c) === k);
  return { mines: [...mines].sort((a, b) => a - b), safe: safeCells };
}

/**
 * What the history lines of earlier attempts show (history memory modes): the cell whose reveal
 * ended an attempt without a win is a mine (the compact prompt says `mine at`); the cells that
 * opened something before it are safe, in play order. Environment-written, so always true.
 */
export function readHistories(histories: readonly HistoryRecord[][], rows: number, cols: number): Lessons {
  const mines = new Set<number>();
  const safe: number[] = [];
  for (const history of histories)
    history.forEach((h, i) => {
      const cell = cellsOf(h.action, rows, cols)[0];
      if (cell === undefined) return;
      if (i === history.length - 1 && h.done && !h.won) mines.add(cell);
      else if (h.reward > 0) safe.push(cell);
    });
  return { mines: [...mines].sort((a, b) => a - b), safe };
}

/**
 * The expert's move given what its play prompt shows of earlier attempts: the safe cells the
 * reflections' lessons name are replayed first; mines from the lessons and from the histories
 * (history modes) are known mines. The histories' safe cells are not replayed: in 7 turns a replay
 * spends turns the solver would spend opening more (noisy expert, epsilon 0.5, 128 tasks × 4:
 * pass@3 0.627 replaying, 0.664 avoiding the known mines only, 0.660 memory-less retries).
 */
export function lessonAction(ctx: PlayPromptContext<MinesweeperState>): MinesweeperAction | null {
  const s = ctx.current;
  if (isDone(s)) return null;
  const fromReflections = readLessons(shownReflections(ctx), s.rows, s.cols);
  const fromHistories = readHistories(shownHistories(ctx), s.rows, s.cols);
  const mines = [...new Set([...fromReflections.mines, ...fromHistories.mines])];
  const safe = fromReflections.safe.filter((c, k, all) => !mines.includes(c) && all.indexOf(c) === k);
  const next = safe.find((c) => s.board[c] === HIDDEN);
  if (next !== undefined) return { row: Math.floor(next / s.cols) + 1, col: (next % s.cols) + 1 };
  return solverAction(s, { knownMines: mines.filter((c) => s.board[c] === HIDDEN) });
}

/** How many of the cells a reflection names as mines / as safe really are, on the board with `mines`. */
export interface LessonTruth {
  mines: number;
  minesTrue: number;
  safe: number;
  safeTrue: number;
}

/** Checks the lessons `reflection` states (as `readLessons` reads them) against the board's real mines. */
export function lessonTruth(
  reflection: string,
  s: Pick<MinesweeperState, 'rows' | 'cols' | 'mines'>,
): LessonTruth {
  const lessons = readLessons([reflection], s.rows, s.cols);
  const isMine = (c: number) => s.mines.includes(c);
  return {
    mines: lessons.mines.length,
    minesTrue: lessons.mines.filter(isMine).length,
    safe: lessons.safe.length,
    safeTrue: lessons.safe.filter((c) => !isMine(c)).length,
  };
}
