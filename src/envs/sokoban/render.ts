/**
 * The reference's `text_with_row_numbers` observation (`sokoban/env.py::render`):
 * one line per row, `"{row}:"` followed by `" " + symbol` per cell.
 */
import type { SokobanLevel } from './board.js';

/** Observation symbols. */
export const SYMBOLS = {
  wall: '#',
  floor: '_',
  target: 'O',
  box: 'X',
  boxOnTarget: '√',
  player: 'P',
  playerOnTarget: 'S',
} as const;

/** The grid as the reference prints it, e.g. `0: # # # # # #\n1: # _ P X O #\n...`. */
export function renderGrid(level: SokobanLevel): string {
  const { width, height, layout, boxes, player } = level;
  const box = new Set(boxes);
  const lines: string[] = [];
  for (let r = 0; r < height; r++) {
    let line = `${r}:`;
    for (let c = r * width; c < (r + 1) * width; c++) {
      const fixed = layout[c];
      let sym: string;
      if (fixed === '#') sym = SYMBOLS.wall;
      else if (c === player) sym = fixed === 'O' ? SYMBOLS.playerOnTarget : SYMBOLS.player;
      else if (box.has(c)) sym = fixed === 'O' ? SYMBOLS.boxOnTarget : SYMBOLS.box;
      else sym = fixed === 'O' ? SYMBOLS.target : SYMBOLS.floor;
      line += ` ${sym}`;
    }
    lines.push(line);
  }
  return lines.join('\n');
}
