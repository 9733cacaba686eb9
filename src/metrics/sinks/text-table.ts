/**
 * Tables for people and for pipes: a box-drawn table (cli-table3) only on a
 * terminal, plain space-aligned columns elsewhere (logs, `| grep`, `| cat`),
 * and colour only on a terminal that wants it (`NO_COLOR`, `FORCE_COLOR`,
 * `TERM=dumb` honoured, as https://no-color.org asks).
 */
import { styleText } from 'node:util';
import Table from 'cli-table3';

/** How a table is drawn. */
export interface TableStyle {
  /** Box-drawn (a terminal) or plain aligned columns (anything else). */
  box: boolean;
  /** Colour the box's borders. */
  color: boolean;
}

/** Where text goes: a stream, or anything with `write` (and `isTTY` when it is a terminal). */
export interface TextOut {
  /** Writes `text` as is. */
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * Whether output to `out` may be coloured: never when `NO_COLOR` is set to a non-empty value or
 * `FORCE_COLOR` is `0`/`false`, always when `FORCE_COLOR` is set otherwise, else only on a terminal
 * whose `TERM` is not `dumb`.
 */
export function colorEnabled(out: TextOut, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !(force === '0' || force === 'false');
  return out.isTTY === true && env.TERM !== 'dumb';
}

/** The style for `out`: boxes on a terminal, colour as `colorEnabled` says. */
export function tableStyle(out: TextOut, env: NodeJS.ProcessEnv = process.env): TableStyle {
  const box = out.isTTY === true;
  return { box, color: box && colorEnabled(out, env) };
}

/** `rows` under `head` in `style`; plain columns are separated by two spaces, without trailing spaces. */
export function textTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  style: TableStyle,
): string {
  if (style.box) {
    // Colour is decided here (colorEnabled), not by cli-table3's colour library, which turns itself
    // off under a `CI` variable or without a TTY even when asked: headers bold through node:util.
    const bold = (h: string) => (style.color ? styleText('bold', h, { validateStream: false }) : h);
    const table = new Table({
      head: head.map(bold),
      style: { head: [], border: [] },
      // No separator line between rows: one line per row.
      chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    });
    for (const row of rows) table.push([...row]);
    return table.toString();
  }
  const all = [head, ...rows];
  const widths = head.map((_, j) => Math.max(...all.map((r) => (r[j] ?? '').length)));
  return all
    .map((r) =>
      widths
        .map((w, j) => (r[j] ?? '').padEnd(w))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
