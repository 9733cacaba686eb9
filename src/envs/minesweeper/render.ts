/**
 * Text observation (reference `core.py::to_board_str_repr`): one line per row,
 * `Row {i}: ` then the cells separated by single spaces.
 */
import { HIDDEN, type MinesweeperState } from './rules.js';

/** Render a board string (row-major, one character per cell). */
export function renderBoard(board: string, rows: number, cols: number): string {
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    lines.push(
      `Row ${r + 1}: ` +
        board
          .slice(r * cols, (r + 1) * cols)
          .split('')
          .join(' '),
    );
  }
  return lines.join('\n');
}

/** Rendered states (a state is never changed: a step returns a new one). */
const rendered = new WeakMap<MinesweeperState, string>();

/**
 * The observation of a state, e.g. `Row 1: ? ? 1 .` … Remembered per state object: every play and
 * reflect prompt of a trial shows its initial board (the same object), so it is rendered once.
 */
export function renderState(state: MinesweeperState): string {
  let text = rendered.get(state);
  if (text === undefined) {
    text = renderBoard(state.board, state.rows, state.cols);
    rendered.set(state, text);
  }
  return text;
}

/** `(r, c)` of a 0-based cell index, 1-indexed as the prompts write cells. */
export function cellName(index: number, cols: number): string {
  return `(${Math.floor(index / cols) + 1}, ${(index % cols) + 1})`;
}

/**
 * The compact prompts' board: as `renderState`, except that a hidden cell is
 * written as its name with no space before it (`Row 1: . 1(1, 3)(1, 4)`).
 * The built-in tokenizer has one token per cell name, so every cell is still
 * one token at a fixed offset (neighbours stay at fixed distances), and a
 * small model picks a hidden cell by copying its token instead of counting
 * columns; an open cell has no name, so copying can never re-click.
 */
export function renderCompactBoard(state: MinesweeperState): string {
  const lines: string[] = [];
  for (let r = 0; r < state.rows; r++) {
    let line = `Row ${r + 1}:`;
    for (let c = 0; c < state.cols; c++) {
      const index = r * state.cols + c;
      const ch = state.board[index]!;
      line += ch === HIDDEN ? cellName(index, state.cols) : ` ${ch}`;
    }
    lines.push(line);
  }
  return lines.join('\n');
}
