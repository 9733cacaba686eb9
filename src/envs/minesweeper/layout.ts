/**
 * Boards from an explicit layout (replays, user-made puzzles, tests): the
 * board size, the mine cells and the first click, all 1-indexed `[row, col]`.
 * Also a small text form:
 *
 * ```
 * . . * .
 * . @ . .
 * * . . .
 * ```
 * `*` mine, `@` first click (a safe cell), `.` safe; spaces are optional.
 */
import { z } from 'zod';
import { ConfigError, ParseError } from '../../util/errors.js';
import { boardAfterClick, MAX_SIDE } from './generator.js';
import { allSafeRevealed, type MinesweeperState } from './rules.js';

const cell = z.tuple([z.number().int(), z.number().int()]);

export const layoutSchema = z.object({
  rows: z.number().int().min(2).max(MAX_SIDE),
  cols: z.number().int().min(2).max(MAX_SIDE),
  mines: z.array(cell).min(1),
  firstClick: cell,
});

/** A fixed board: size, 1-indexed mine cells and the automatic first click. */
export type MinesweeperLayout = z.infer<typeof layoutSchema>;

/** What is wrong with a layout, one sentence per problem saying how to fix it (empty = fine). */
export function layoutProblems(layout: MinesweeperLayout): string[] {
  const { rows, cols, mines, firstClick } = layout;
  const problems: string[] = [];
  const inside = ([r, c]: readonly number[]) => r! >= 1 && r! <= rows && c! >= 1 && c! <= cols;
  const seen = new Set<string>();
  for (const m of mines) {
    const key = `(${m[0]}, ${m[1]})`;
    if (!inside(m))
      problems.push(`mine ${key} is off the ${rows}x${cols} board; use rows 1-${rows} and columns 1-${cols}`);
    if (seen.has(key)) problems.push(`mine ${key} is listed twice; list each mine once`);
    seen.add(key);
  }
  if (seen.size > rows * cols - 2) {
    problems.push(
      `${seen.size} mines leave fewer than 2 safe cells on a ${rows}x${cols} board; use at most ${rows * cols - 2}`,
    );
  }
  const click = `(${firstClick[0]}, ${firstClick[1]})`;
  if (!inside(firstClick)) problems.push(`first click ${click} is off the ${rows}x${cols} board`);
  else if (seen.has(click)) problems.push(`first click ${click} is a mine; move the click or the mine`);
  if (problems.length === 0) {
    const state = build(layout);
    if (allSafeRevealed(state.board, state.mines)) {
      problems.push(
        `first click ${click} already reveals every safe cell; click a numbered cell or add mines`,
      );
    }
  }
  return problems;
}

function build({ rows, cols, mines, firstClick }: MinesweeperLayout): MinesweeperState {
  const indices = [...new Set(mines.map(([r, c]) => (r - 1) * cols + (c - 1)))].sort((a, b) => a - b);
  return boardAfterClick(rows, cols, indices, (firstClick[0] - 1) * cols + (firstClick[1] - 1));
}

/** The initial state of a layout; a ConfigError lists every problem when it is not playable. */
export function boardFromLayout(layout: MinesweeperLayout): MinesweeperState {
  const parsed = layoutSchema.safeParse(layout);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(layout)'}: ${i.message}`).join('; ');
    throw new ConfigError(`minesweeper layout is malformed: ${why}`);
  }
  const problems = layoutProblems(parsed.data);
  if (problems.length > 0)
    throw new ConfigError(`minesweeper layout is not playable: ${problems.join('; ')}`);
  return build(parsed.data);
}

/** The layout a state was built from (for replays and saving a board). */
export function layoutOf(state: MinesweeperState): MinesweeperLayout {
  return {
    rows: state.rows,
    cols: state.cols,
    mines: state.mines.map((m) => [Math.floor(m / state.cols) + 1, (m % state.cols) + 1] as [number, number]),
    firstClick: [...state.firstClick],
  };
}

/** Parse the text form (see the module comment). Throws ParseError on unknown characters or ragged rows. */
export function parseLayout(text: string): MinesweeperLayout {
  const lines = text
    .split('\n')
    .map((l) => l.replace(/\s+/g, ''))
    .filter((l) => l.length > 0);
  if (lines.length === 0)
    throw new ParseError('minesweeper layout text is empty; write one line per row using . * @');
  const cols = lines[0]!.length;
  const mines: [number, number][] = [];
  const clicks: [number, number][] = [];
  lines.forEach((line, r) => {
    if (line.length !== cols) {
      throw new ParseError(
        `minesweeper layout row ${r + 1} has ${line.length} cells, row 1 has ${cols}; make rows equal`,
      );
    }
    [...line].forEach((ch, c) => {
      if (ch === '*') mines.push([r + 1, c + 1]);
      else if (ch === '@') clicks.push([r + 1, c + 1]);
      else if (ch !== '.') {
        throw new ParseError(
          `minesweeper layout: unknown cell "${ch}" at (${r + 1}, ${c + 1}); use . (safe) * (mine) @ (first click)`,
        );
      }
    });
  });
  if (clicks.length !== 1) {
    throw new ParseError(`minesweeper layout needs exactly one first click "@", found ${clicks.length}`);
  }
  return { rows: lines.length, cols, mines, firstClick: clicks[0]! };
}

/** The text form of a layout (`parseLayout` reads it back). */
export function formatLayout(layout: MinesweeperLayout): string {
  const grid = Array.from({ length: layout.rows }, () => new Array<string>(layout.cols).fill('.'));
  for (const [r, c] of layout.mines) grid[r - 1]![c - 1] = '*';
  grid[layout.firstClick[0] - 1]![layout.firstClick[1] - 1] = '@';
  return grid.map((row) => row.join(' ')).join('\n');
}
