/**
 * Text observation (reference `core.py::to_board_str_repr`): one line per row,
 * `Row {i}: ` then the cells separated by single spaces.
 */
import type { MinesweeperState } from './rules.js';

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

/** The observation of a state, e.g. `Row 1: ? ? 1 .` … */
export function renderState(state: MinesweeperState): string {
  return renderBoard(state.board, state.rows, state.cols);
}

/** `(r, c)` of a 0-based cell index, 1-indexed as the prompts write cells. */
export function cellName(index: number, cols: number): string {
  return `(${Math.floor(index / cols) + 1}, ${(index % cols) + 1})`;
}
