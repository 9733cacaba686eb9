/**
 * Loader for the Boxoban level text format (DeepMind `boxoban-levels`): each
 * level is a `; N` line followed by its rows (`#` wall, `@` player, `$` box,
 * `.` goal, space floor; also `*` box on goal and `+` player on goal), levels
 * separated by blank lines. Every level becomes a playable `SokobanLevel`.
 */
import { ParseError } from '../../util/errors.js';
import { FLOOR, type SokobanLevel, TARGET, WALL } from './board.js';

/** One level parsed from a Boxoban text file, with its index. */
export interface BoxobanLevel {
  /** The number on the level's `; N` line (or its position when a text has no header). */
  index: number;
  level: SokobanLevel;
}

const ALLOWED = '#@$.*+ ';

/**
 * Parse one level from its rows (an optional leading `; N` line is skipped).
 * Throws a ParseError naming `index` and the reason.
 */
export function parseLevel(text: string, index = 0): SokobanLevel {
  const fail = (why: string): never => {
    throw new ParseError(`Sokoban level ${index}: ${why}`);
  };
  const rows = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .filter((r) => !r.startsWith(';'));
  while (rows.length > 0 && rows[0]!.trim() === '') rows.shift();
  while (rows.length > 0 && rows[rows.length - 1]!.trim() === '') rows.pop();
  if (rows.length === 0) fail('no rows');
  const width = rows[0]!.length;
  if (width === 0) fail('the first row is empty');
  let layout = '';
  const boxes: number[] = [];
  let player = -1;
  let targets = 0;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    if (row.length !== width) {
      fail(`row ${r} has ${row.length} characters, row 0 has ${width}; pad every row to the same width`);
    }
    for (let c = 0; c < width; c++) {
      const ch = row[c]!;
      if (!ALLOWED.includes(ch)) {
        fail(
          `row ${r}, column ${c}: unexpected character ${JSON.stringify(ch)} (allowed: # @ $ . * + and space)`,
        );
      }
      const cell = r * width + c;
      const goal = ch === '.' || ch === '*' || ch === '+';
      if (goal) targets++;
      layout += ch === '#' ? WALL : goal ? TARGET : FLOOR;
      if (ch === '$' || ch === '*') boxes.push(cell);
      if (ch === '@' || ch === '+') {
        if (player !== -1) fail('more than one player (@ or +)');
        player = cell;
      }
    }
  }
  if (player === -1) fail('no player (@ or +)');
  if (boxes.length === 0) fail('no boxes ($ or *)');
  if (boxes.length !== targets) fail(`${boxes.length} boxes but ${targets} goals; they must be equal`);
  const onGoal = boxes.filter((b) => layout[b] === TARGET).length;
  if (onGoal === boxes.length) fail('every box is already on a goal');
  return { width, height: rows.length, layout, boxes, player };
}

/** Parse a whole Boxoban file: every `; N` block. A bad level throws a ParseError naming its index. */
export function parseBoxoban(text: string): BoxobanLevel[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const out: BoxobanLevel[] = [];
  let header: number | null = null;
  let rows: string[] = [];
  const flush = () => {
    if (header === null) {
      if (rows.some((r) => r.trim() !== '')) {
        throw new ParseError('Boxoban text: rows before the first "; N" line; start each level with "; N"');
      }
    } else {
      out.push({ index: header, level: parseLevel(rows.join('\n'), header) });
    }
    rows = [];
  };
  for (const line of lines) {
    const m = /^;\s*(\d+)\s*$/.exec(line);
    if (m) {
      flush();
      header = Number(m[1]);
    } else if (line.startsWith(';')) {
      throw new ParseError(`Boxoban text: bad header line ${JSON.stringify(line)}; expected "; N"`);
    } else {
      rows.push(line);
    }
  }
  flush();
  return out;
}

/** A level back in Boxoban characters (rows joined by newlines). */
export function toBoxobanText(level: SokobanLevel): string {
  const box = new Set(level.boxes);
  const rows: string[] = [];
  for (let r = 0; r < level.height; r++) {
    let row = '';
    for (let c = r * level.width; c < (r + 1) * level.width; c++) {
      const goal = level.layout[c] === TARGET;
      if (level.layout[c] === WALL) row += '#';
      else if (c === level.player) row += goal ? '+' : '@';
      else if (box.has(c)) row += goal ? '*' : '$';
      else row += goal ? '.' : ' ';
    }
    rows.push(row);
  }
  return rows.join('\n');
}
