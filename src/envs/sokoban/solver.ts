/**
 * Exact Sokoban solvers (hand-written: no maintained JS Sokoban solver exists).
 *
 * - `solve`: a shortest solution in primitive moves (what the reference's
 *   move-level BFS `get_shortest_action_path` returns the length of), found by
 *   a uniform-cost search over push states (boxes + the player's exact cell
 *   after a push); a push costs the walk to it plus one. Bounded by `maxDepth`
 *   moves like the reference's `MAX_DEPTH`.
 * - `isSolvable`: any solution at all, by a breadth-first search over box
 *   configurations with the player normalised to its reachable region.
 *
 * Both prune boxes on simple dead squares only (exact: never cuts a solvable state).
 */
import {
  boxesOnTargets,
  type Geometry,
  levelGeometry,
  MOVES,
  type Move,
  OPPOSITE,
  type SokobanLevel,
} from './board.js';

/** The reference's default `search_depth`. */
export const DEFAULT_SEARCH_DEPTH = 100;

// Scratch buffers shared by all searches (single-threaded; no search re-enters another).
let SEEN = new Int32Array(0);
let DIST = new Int32Array(0);
let PREV = new Int32Array(0);
let QUEUE = new Int32Array(0);
let BOXMARK = new Int32Array(0);
let stamp = 0;
let boxStamp = 0;

function ensureScratch(cells: number): void {
  if (SEEN.length >= cells && stamp < 0x7ffffff0 && boxStamp < 0x7ffffff0) return;
  const n = Math.max(cells, SEEN.length);
  SEEN = new Int32Array(n);
  DIST = new Int32Array(n);
  PREV = new Int32Array(n);
  QUEUE = new Int32Array(n);
  BOXMARK = new Int32Array(n);
  stamp = 0;
  boxStamp = 0;
}

function markBoxes(boxes: ArrayLike<number>, from: number, count: number): number {
  boxStamp++;
  for (let j = 0; j < count; j++) BOXMARK[boxes[from + j]!] = boxStamp;
  return boxStamp;
}

/** Flood the player's reachable cells (boxes are obstacles); returns the smallest reachable cell. */
function flood(g: Geometry, player: number, bs: number): number {
  stamp++;
  SEEN[player] = stamp;
  DIST[player] = 0;
  QUEUE[0] = player;
  let head = 0;
  let tail = 1;
  let min = player;
  while (head < tail) {
    const c = QUEUE[head++]!;
    for (let d = 0; d < 4; d++) {
      const n = g.nbr[c * 4 + d]!;
      if (n < 0 || !g.floor[n] || BOXMARK[n] === bs || SEEN[n] === stamp) continue;
      SEEN[n] = stamp;
      DIST[n] = DIST[c]! + 1;
      PREV[n] = d;
      QUEUE[tail++] = n;
      if (n < min) min = n;
    }
  }
  return min;
}

// Second scratch set for `regionMin`, so it never disturbs a flood in use.
let SEEN2 = new Int32Array(0);
let QUEUE2 = new Int32Array(0);
let BOXMARK2 = new Int32Array(0);
let stamp2 = 0;

/** Smallest cell the player at `player` can reach with the boxes `boxes[0..nb)` as obstacles. */
function regionMin(g: Geometry, player: number, boxes: ArrayLike<number>, nb: number): number {
  if (SEEN2.length < g.cells || stamp2 > 0x7ffffff0) {
    SEEN2 = new Int32Array(Math.max(g.cells, SEEN2.length));
    QUEUE2 = new Int32Array(SEEN2.length);
    BOXMARK2 = new Int32Array(SEEN2.length);
    stamp2 = 0;
  }
  stamp2++;
  for (let j = 0; j < nb; j++) BOXMARK2[boxes[j]!] = stamp2;
  SEEN2[player] = stamp2;
  QUEUE2[0] = player;
  let head = 0;
  let tail = 1;
  let min = player;
  while (head < tail) {
    const c = QUEUE2[head++]!;
    for (let d = 0; d < 4; d++) {
      const n = g.nbr[c * 4 + d]!;
      if (n < 0 || !g.floor[n] || BOXMARK2[n] === stamp2 || SEEN2[n] === stamp2) continue;
      SEEN2[n] = stamp2;
      QUEUE2[tail++] = n;
      if (n < min) min = n;
    }
  }
  return min;
}

type Key = number | string;

function keyMaker(
  cells: number,
  nb: number,
): (boxes: ArrayLike<number>, from: number, player: number) => Key {
  if (cells ** (nb + 1) < 2 ** 53) {
    return (boxes, from, player) => {
      let k = 0;
      for (let j = 0; j < nb; j++) k = k * cells + boxes[from + j]!;
      return k * cells + player;
    };
  }
  return (boxes, from, player) => {
    let k = String.fromCharCode(player);
    for (let j = 0; j < nb; j++) k += String.fromCharCode(boxes[from + j]!);
    return k;
  };
}

/** Copy `nb` boxes from `src[from..]` into `out`, moving the box at index `j` to `to` and keeping them sorted. */
function movedBoxes(
  src: ArrayLike<number>,
  from: number,
  nb: number,
  j: number,
  to: number,
  out: number[],
): void {
  let w = 0;
  let placed = false;
  for (let k = 0; k < nb; k++) {
    if (k === j) continue;
    const v = src[from + k]!;
    if (!placed && to < v) {
      out[w++] = to;
      placed = true;
    }
    out[w++] = v;
  }
  if (!placed) out[w++] = to;
}

function startChecks(g: Geometry, boxes: number[]): 'solved' | 'dead' | 'open' {
  if (boxesOnTargets(g, boxes) === boxes.length) return 'solved';
  for (const b of boxes) if (!g.target[b] && g.dead[b]) return 'dead';
  return 'open';
}

/**
 * A shortest solution in primitive moves, or null when none has at most
 * `maxDepth` moves. `[]` when the level is already solved.
 */
export function solve(level: SokobanLevel, maxDepth: number = DEFAULT_SEARCH_DEPTH): Move[] | null {
  const g = levelGeometry(level);
  ensureScratch(g.cells);
  const start = [...level.boxes].sort((a, b) => a - b);
  const check = startChecks(g, start);
  if (check === 'solved') return [];
  if (check === 'dead') return null;
  const nb = start.length;
  const keyOf = keyMaker(g.cells, nb);
  const boxes: number[] = [];
  const player: number[] = [];
  const cost: number[] = [];
  const parent: number[] = [];
  const pushFrom: number[] = [];
  const pushDir: number[] = [];
  const index = new Map<Key, number>();
  const buckets: number[][] = [];
  for (let c = 0; c <= maxDepth; c++) buckets.push([]);

  const add = (
    bx: ArrayLike<number>,
    p: number,
    c: number,
    par: number,
    from: number,
    d: number,
    key: Key,
  ) => {
    const i = player.length;
    for (let j = 0; j < nb; j++) boxes.push(bx[j]!);
    player.push(p);
    cost.push(c);
    parent.push(par);
    pushFrom.push(from);
    pushDir.push(d);
    index.set(key, i);
    buckets[c]!.push(i);
  };
  add(start, level.player, 0, -1, -1, -1, keyOf(start, 0, level.player));

  const next: number[] = new Array(nb);
  for (let c = 0; c <= maxDepth; c++) {
    const bucket = buckets[c]!;
    for (let k = 0; k < bucket.length; k++) {
      const i = bucket[k]!;
      if (cost[i] !== c) continue; // superseded by a cheaper entry
      const base = i * nb;
      let onTargets = 0;
      for (let j = 0; j < nb; j++) onTargets += g.target[boxes[base + j]!]!;
      if (onTargets === nb) return reconstruct(g, level, start, i, nb, parent, pushFrom, pushDir);
      const bs = markBoxes(boxes, base, nb);
      flood(g, player[i]!, bs);
      for (let j = 0; j < nb; j++) {
        const b = boxes[base + j]!;
        for (let d = 0; d < 4; d++) {
          const from = g.nbr[b * 4 + OPPOSITE[d]!]!;
          if (from < 0 || SEEN[from] !== stamp) continue;
          const to = g.nbr[b * 4 + d]!;
          if (to < 0 || !g.floor[to] || BOXMARK[to] === bs || (g.dead[to] && !g.target[to])) continue;
          const nc = c + DIST[from]! + 1;
          if (nc > maxDepth) continue;
          movedBoxes(boxes, base, nb, j, to, next);
          const key = keyOf(next, 0, b);
          const seen = index.get(key);
          if (seen === undefined) {
            add(next, b, nc, i, from, d, key);
          } else if (nc < cost[seen]!) {
            cost[seen] = nc;
            parent[seen] = i;
            pushFrom[seen] = from;
            pushDir[seen] = d;
            buckets[nc]!.push(seen);
          }
        }
      }
    }
  }
  return null;
}

function reconstruct(
  g: Geometry,
  level: SokobanLevel,
  start: number[],
  goal: number,
  nb: number,
  parent: number[],
  pushFrom: number[],
  pushDir: number[],
): Move[] {
  const chain: number[] = [];
  for (let i = goal; parent[i]! >= 0; i = parent[i]!) chain.push(i);
  chain.reverse();
  const cur = [...start];
  let p = level.player;
  const out: Move[] = [];
  for (const i of chain) {
    const from = pushFrom[i]!;
    const d = pushDir[i]!;
    flood(g, p, markBoxes(cur, 0, nb));
    const walk: Move[] = [];
    for (let cell = from; cell !== p; ) {
      const back = PREV[cell]!;
      walk.push(MOVES[back]!);
      cell = g.nbr[cell * 4 + OPPOSITE[back]!]!;
    }
    for (let w = walk.length - 1; w >= 0; w--) out.push(walk[w]!);
    out.push(MOVES[d]!);
    const boxCell = g.nbr[from * 4 + d]!;
    cur[cur.indexOf(boxCell)] = g.nbr[boxCell * 4 + d]!;
    p = boxCell;
  }
  return out;
}

/** Length of a shortest solution, or null when none has at most `maxDepth` moves. */
export function shortestSolutionLength(
  level: SokobanLevel,
  maxDepth: number = DEFAULT_SEARCH_DEPTH,
): number | null {
  return solve(level, maxDepth)?.length ?? null;
}

/** Whether any solution exists (no move bound), by a normalised box-configuration search. */
export function isSolvable(level: SokobanLevel): boolean {
  const g = levelGeometry(level);
  ensureScratch(g.cells);
  const start = [...level.boxes].sort((a, b) => a - b);
  const check = startChecks(g, start);
  if (check !== 'open') return check === 'solved';
  const nb = start.length;
  const keyOf = keyMaker(g.cells, nb);
  const boxes: number[] = [...start];
  const player: number[] = [level.player];
  const seen = new Set<Key>();
  const bs0 = markBoxes(start, 0, nb);
  seen.add(keyOf(start, 0, flood(g, level.player, bs0)));
  const next: number[] = new Array(nb);
  for (let i = 0; i < player.length; i++) {
    const base = i * nb;
    const bs = markBoxes(boxes, base, nb);
    flood(g, player[i]!, bs);
    for (let j = 0; j < nb; j++) {
      const b = boxes[base + j]!;
      for (let d = 0; d < 4; d++) {
        const from = g.nbr[b * 4 + OPPOSITE[d]!]!;
        if (from < 0 || SEEN[from] !== stamp) continue;
        const to = g.nbr[b * 4 + d]!;
        if (to < 0 || !g.floor[to] || BOXMARK[to] === bs || (g.dead[to] && !g.target[to])) continue;
        movedBoxes(boxes, base, nb, j, to, next);
        let onTargets = 0;
        for (let k = 0; k < nb; k++) onTargets += g.target[next[k]!]!;
        if (onTargets === nb) return true;
        // Normalise the player to the smallest cell of its region.
        const key = keyOf(next, 0, regionMin(g, b, next, nb));
        if (seen.has(key)) continue;
        seen.add(key);
        for (let k = 0; k < nb; k++) boxes.push(next[k]!);
        player.push(b);
      }
    }
  }
  return false;
}
