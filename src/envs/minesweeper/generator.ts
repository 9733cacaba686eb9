/**
 * Seeded board generation (reference `core.py::place_mines`, `env.py::reset`):
 * one uniform value per cell, the mines are the `k` cells with the smallest
 * values, the first-click cell is kept mine-free (the threshold moves to the
 * (k+1)-th value), and the first click is revealed with flood fill.
 */
import { ConfigError } from '../../util/errors.js';
import { deriveSeed, Rng } from '../../util/rng.js';
import { allSafeRevealed, floodReveal, HIDDEN, type MinesweeperState, solution } from './rules.js';

export interface BoardSize {
  rows: number;
  cols: number;
  /** Number of mines (at least 1, at most rows × cols − 2). */
  mines: number;
}

/** Largest side length of a board (keeps the solver's exact counting in range). */
export const MAX_SIDE = 30;

/** The reference retries a first click that already wins the game up to 1000 times. */
export const FIRST_CLICK_TRIES = 1000;

/** Throws a ConfigError when a board size cannot make a playable board. */
export function checkBoardSize({ rows, cols, mines }: BoardSize): void {
  for (const [name, v] of [
    ['rows', rows],
    ['cols', cols],
    ['mines', mines],
  ] as const) {
    if (!Number.isInteger(v)) throw new ConfigError(`minesweeper: ${name} must be an integer, got ${v}`);
  }
  if (rows < 2 || cols < 2 || rows > MAX_SIDE || cols > MAX_SIDE) {
    throw new ConfigError(`minesweeper: rows and cols must be 2 to ${MAX_SIDE}, got ${rows}x${cols}`);
  }
  if (mines < 1 || mines > rows * cols - 2) {
    throw new ConfigError(
      `minesweeper: a ${rows}x${cols} board takes 1 to ${rows * cols - 2} mines (two safe cells at least), got ${mines}`,
    );
  }
}

/**
 * Mine cells (0-based, ascending) for a seed: the `mines` cells with the
 * smallest uniform values, drawn row-major from `Rng.seeded(seed)`; ties break
 * by cell index. When `exclude` is among them, the next cell takes its place.
 */
export function placeMines(seed: number, size: BoardSize, exclude: number): number[] {
  const n = size.rows * size.cols;
  const rng = Rng.seeded(seed);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.float();
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
  const chosen = order.slice(0, size.mines);
  if (chosen.includes(exclude)) {
    chosen.splice(chosen.indexOf(exclude), 1);
    chosen.push(order[size.mines]!);
  }
  return chosen.sort((a, b) => a - b);
}

/** A fresh board with `click` (0-based index) revealed by flood fill. */
export function boardAfterClick(
  rows: number,
  cols: number,
  mines: number[],
  click: number,
): MinesweeperState {
  const board = new Array<string>(rows * cols).fill(HIDDEN);
  floodReveal(board, solution(rows, cols, mines), rows, cols, click);
  return {
    rows,
    cols,
    mines,
    firstClick: [Math.floor(click / cols) + 1, (click % cols) + 1],
    board: board.join(''),
    exploded: null,
    won: false,
  };
}

/**
 * The initial state of a seeded task. The first click comes from
 * `deriveSeed(seed, 'first-click')` (our fix of reference bug §12.10: its click
 * used an unseeded global RNG). If the click already reveals every safe cell,
 * another cell is clicked on the same mines, as the reference does; unlike the
 * reference, a retry never clicks a mine (there it left a lost, all-hidden board).
 */
export function generateBoard(seed: number, size: BoardSize): MinesweeperState {
  checkBoardSize(size);
  const { rows, cols } = size;
  const clickRng = Rng.seeded(deriveSeed(seed, 'first-click'));
  const drawClick = () => clickRng.int(0, rows - 1) * cols + clickRng.int(0, cols - 1);
  let click = drawClick();
  const mines = placeMines(seed, size, click);
  let state = boardAfterClick(rows, cols, mines, click);
  for (let t = 1; t < FIRST_CLICK_TRIES && allSafeRevealed(state.board, mines); t++) {
    click = drawClick();
    if (mines.includes(click)) continue;
    state = boardAfterClick(rows, cols, mines, click);
  }
  if (allSafeRevealed(state.board, mines)) {
    // Bounded tries all won: click the first numbered cell (it opens only itself, and ≥2 cells are safe).
    const truth = solution(rows, cols, mines);
    const numbered = truth.findIndex((t) => t >= '1' && t <= '8');
    state = boardAfterClick(rows, cols, mines, numbered);
  }
  return state;
}
