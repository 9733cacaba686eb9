/**
 * Sokoban board geometry shared by the rules, the solver, the generator and
 * the renderer: plain-JSON level types, cell neighbours, and the simple dead
 * squares (cells from which a box can never reach any target, walls only).
 *
 * Cells are row-major indices `row * width + col`. Directions are indexed
 * 0..3 = up, down, left, right (the reference's action ids 1..4 minus one).
 */

/** A primitive move. */
export type Move = 'up' | 'down' | 'left' | 'right';
/** A move of a projected reply: `still` is the reference's action 0 (a no-op with the step penalty). */
export type TurnMove = Move | 'still';

/** The four moves in the reference's id order (ids 1..4). */
export const MOVES: readonly Move[] = ['up', 'down', 'left', 'right'];

/** Fixed layout characters (`layout` strings). */
export const WALL = '#';
export const FLOOR = '_';
export const TARGET = 'O';

/** A level: the fixed layout plus the movable parts. Plain JSON. */
export interface SokobanLevel {
  width: number;
  height: number;
  /** Row-major fixed cells, `width * height` characters: `#` wall, `_` floor, `O` target. */
  layout: string;
  /** Cell indices of the boxes, sorted ascending. */
  boxes: number[];
  /** Cell index of the player. */
  player: number;
}

/** Precomputed facts about one layout (cached by layout). */
export interface Geometry {
  width: number;
  height: number;
  cells: number;
  /** 1 where the player and boxes may stand (floor or target). */
  floor: Uint8Array;
  /** 1 on targets. */
  target: Uint8Array;
  /** Neighbour of cell c in direction d at `c * 4 + d`, or -1 outside the grid. */
  nbr: Int32Array;
  /** 1 on floor cells from which no push sequence can bring a box to any target (walls only). */
  dead: Uint8Array;
  /** Target cells, ascending. */
  targets: number[];
}

/** Opposite direction of each direction. */
export const OPPOSITE = [1, 0, 3, 2] as const;

const CACHE = new Map<string, Geometry>();
const CACHE_LIMIT = 512;

/** Geometry of a layout; cached, since the same level is stepped many times. */
export function geometry(width: number, height: number, layout: string): Geometry {
  const key = `${width}x${height}:${layout}`;
  const hit = CACHE.get(key);
  if (hit) return hit;
  const g = buildGeometry(width, height, layout);
  if (CACHE.size >= CACHE_LIMIT) CACHE.delete(CACHE.keys().next().value as string);
  CACHE.set(key, g);
  return g;
}

export function levelGeometry(level: Pick<SokobanLevel, 'width' | 'height' | 'layout'>): Geometry {
  return geometry(level.width, level.height, level.layout);
}

function buildGeometry(width: number, height: number, layout: string): Geometry {
  const cells = width * height;
  const floor = new Uint8Array(cells);
  const target = new Uint8Array(cells);
  const nbr = new Int32Array(cells * 4);
  const targets: number[] = [];
  for (let c = 0; c < cells; c++) {
    const ch = layout[c];
    if (ch !== WALL) floor[c] = 1;
    if (ch === TARGET) {
      target[c] = 1;
      targets.push(c);
    }
    const row = Math.floor(c / width);
    const col = c % width;
    nbr[c * 4] = row > 0 ? c - width : -1;
    nbr[c * 4 + 1] = row < height - 1 ? c + width : -1;
    nbr[c * 4 + 2] = col > 0 ? c - 1 : -1;
    nbr[c * 4 + 3] = col < width - 1 ? c + 1 : -1;
  }
  return { width, height, cells, floor, target, nbr, dead: deadSquares(cells, floor, nbr, targets), targets };
}

/**
 * A floor cell is live when a box on it can be pushed to some target, ignoring
 * other boxes: reverse pulls from every target (a box reaches `x` from
 * `x - d` when `x - d` and `x - 2d` are floor). Everything else is dead. This
 * over-approximates the live cells, so pruning dead cells never cuts a
 * solvable state.
 */
function deadSquares(cells: number, floor: Uint8Array, nbr: Int32Array, targets: number[]): Uint8Array {
  const live = new Uint8Array(cells);
  const queue: number[] = [];
  for (const t of targets) {
    live[t] = 1;
    queue.push(t);
  }
  for (let qi = 0; qi < queue.length; qi++) {
    const x = queue[qi]!;
    for (let d = 0; d < 4; d++) {
      const prev = nbr[x * 4 + OPPOSITE[d]!]!;
      if (prev < 0 || !floor[prev] || live[prev]) continue;
      const pusher = nbr[prev * 4 + OPPOSITE[d]!]!;
      if (pusher < 0 || !floor[pusher]) continue;
      live[prev] = 1;
      queue.push(prev);
    }
  }
  const dead = new Uint8Array(cells);
  for (let c = 0; c < cells; c++) if (floor[c] && !live[c]) dead[c] = 1;
  return dead;
}

/** Number of boxes standing on targets. */
export function boxesOnTargets(g: Geometry, boxes: readonly number[]): number {
  let n = 0;
  for (const b of boxes) n += g.target[b]!;
  return n;
}

/** Row and column of a cell. */
export function rowCol(width: number, cell: number): { row: number; col: number } {
  return { row: Math.floor(cell / width), col: cell % width };
}

/** Sort a small array of cell indices in place (ascending) and return it. */
export function sortCells(cells: number[]): number[] {
  return cells.sort((a, b) => a - b);
}
