/**
 * Test helpers: an independent oracle (the reference's move-level BFS
 * `get_shortest_action_path`, written plainly over full states) and small
 * level builders.
 */
import { MOVES, type Move, type SokobanLevel } from '../../../src/envs/sokoban/board.js';
import { parseLevel } from '../../../src/envs/sokoban/boxoban.js';
import type { SokobanState } from '../../../src/envs/sokoban/rules.js';

const DELTA: Record<Move, [number, number]> = { up: [-1, 0], down: [1, 0], left: [0, -1], right: [0, 1] };

/** Reference BFS: shortest move sequence with at most `maxDepth` moves, or null. */
export function oracleShortest(level: SokobanLevel, maxDepth: number): Move[] | null {
  const { width: w, height: h, layout } = level;
  const free = (r: number, c: number) => r >= 0 && r < h && c >= 0 && c < w && layout[r * w + c] !== '#';
  type Node = { player: number; boxes: number[]; path: Move[] };
  const key = (n: Node) => `${n.player}|${[...n.boxes].sort((a, b) => a - b).join(',')}`;
  const queue: Node[] = [{ player: level.player, boxes: [...level.boxes], path: [] }];
  const seen = new Set<string>();
  for (let qi = 0; qi < queue.length; qi++) {
    const n = queue[qi]!;
    if (n.path.length > maxDepth) return null;
    const k = key(n);
    if (seen.has(k)) continue;
    seen.add(k);
    if (n.boxes.every((b) => layout[b] === 'O')) return n.path;
    for (const m of MOVES) {
      const [dr, dc] = DELTA[m];
      const r = Math.floor(n.player / w) + dr;
      const c = (n.player % w) + dc;
      if (!free(r, c)) continue;
      const cell = r * w + c;
      const boxes = [...n.boxes];
      const bi = boxes.indexOf(cell);
      if (bi >= 0) {
        if (!free(r + dr, c + dc) || boxes.includes(cell + dr * w + dc)) continue;
        boxes[bi] = cell + dr * w + dc;
      }
      queue.push({ player: cell, boxes, path: [...n.path, m] });
    }
  }
  return null;
}

/** Apply primitive moves by the plain rules (no rewards); returns the final level. */
export function playMoves(level: SokobanLevel, moves: readonly Move[]): SokobanLevel {
  const { width: w, height: h, layout } = level;
  const free = (r: number, c: number) => r >= 0 && r < h && c >= 0 && c < w && layout[r * w + c] !== '#';
  let player = level.player;
  const boxes = [...level.boxes];
  for (const m of moves) {
    const [dr, dc] = DELTA[m];
    const r = Math.floor(player / w) + dr;
    const c = (player % w) + dc;
    if (!free(r, c)) continue;
    const cell = r * w + c;
    const bi = boxes.indexOf(cell);
    if (bi >= 0) {
      if (!free(r + dr, c + dc) || boxes.includes(cell + dr * w + dc)) continue;
      boxes[bi] = cell + dr * w + dc;
    }
    player = cell;
  }
  return { ...level, boxes: boxes.sort((a, b) => a - b), player };
}

export function allOnTargets(level: SokobanLevel): boolean {
  return level.boxes.every((b) => level.layout[b] === 'O');
}

/** A state from Boxoban-style rows, with the default run settings. */
export function stateFrom(rows: string[], over: Partial<SokobanState> = {}): SokobanState {
  return {
    ...parseLevel(rows.join('\n')),
    steps: 0,
    maxSteps: 30,
    searchDepth: 100,
    movesPerTurn: 3,
    bound: null,
    ...over,
  };
}
