/**
 * Seeded level generation after the reference (`sokoban/env.py::reset`,
 * `sokoban/room_utils.py`, from gym_sokoban): a random-walk room topology,
 * player and boxes placed on their targets, a reverse-playing depth-first
 * search that pulls boxes away (ttl = search depth, at most 300k states,
 * score = box swaps × total Manhattan displacement), a short random player
 * walk, and up to 10 tries until the shortest solution length L satisfies
 * minSolutionSteps ≤ L ≤ maxSolutionSteps (else the 10th level is kept).
 * Python's `random`/NumPy draws are replaced by one `Rng` seeded by the task seed.
 */
import { LamerError } from '../../util/errors.js';
import { deriveSeed, Rng } from '../../util/rng.js';
import { FLOOR, geometry, type SokobanLevel, TARGET, WALL } from './board.js';
import { shortestSolutionLength } from './solver.js';

export interface GenerateParams {
  width: number;
  height: number;
  numBoxes: number;
  searchDepth: number;
  minSolutionSteps: number;
  maxSolutionSteps: number;
}

export interface GeneratedLevel extends SokobanLevel {
  /** Shortest solution length (moves), or null if none within min(searchDepth, maxSolutionSteps). */
  solutionLength: number | null;
  /** Generation tries used (1..10). */
  tries: number;
}

/** A generation try failed (not enough floor, or no box could be moved); the caller reseeds. */
export class GenerationError extends LamerError {}

const MAX_ENV_ATTEMPTS = 10;
const ROOM_TRIES = 4;
const P_CHANGE_DIRECTION = 0.35;
const MAX_EXPLORED = 300_000;
const MAX_RESEEDS = 1000;

/** Steps of a walk: up, down, left, right as (row, col) deltas (reference CHANGE_COORDINATES). */
const DELTAS: readonly (readonly [number, number])[] = [
  [-1, 0],
  [1, 0],
  [0, -1],
  [0, 1],
];
const WALK_DIRECTIONS: readonly (readonly [number, number])[] = [
  [1, 0],
  [0, 1],
  [-1, 0],
  [0, -1],
];
/** The five 3×3 masks of the random walk (1 = floor). */
const MASKS: readonly (readonly number[])[] = [
  [0, 0, 0, 1, 1, 1, 0, 0, 0],
  [0, 1, 0, 0, 1, 0, 0, 1, 0],
  [0, 0, 0, 1, 1, 0, 0, 1, 0],
  [0, 0, 0, 1, 1, 0, 1, 1, 0],
  [0, 0, 0, 0, 1, 1, 0, 1, 0],
];

/**
 * Generate the level of a task seed. On a generation error the whole reset is
 * retried with a seed derived from the old one: the reference uses Python's
 * `hash(str(seed))`, which is randomised per process; we use `deriveSeed` (deterministic).
 */
export function generateLevel(seed: number, params: GenerateParams): GeneratedLevel {
  let s = seed;
  for (let reseed = 0; reseed <= MAX_RESEEDS; reseed++) {
    try {
      return generateOnce(Rng.seeded(s), params);
    } catch (error) {
      if (!(error instanceof GenerationError)) throw error;
      s = deriveSeed(s, 'sokoban-retry');
    }
  }
  throw new GenerationError(
    `could not generate a ${params.width}x${params.height} level with ${params.numBoxes} boxes from seed ${seed}; use a larger room or fewer boxes`,
  );
}

function generateOnce(rng: Rng, p: GenerateParams): GeneratedLevel {
  let level: SokobanLevel | null = null;
  let length: number | null = null;
  let tries = 0;
  for (let attempt = 0; attempt < MAX_ENV_ATTEMPTS; attempt++) {
    tries = attempt + 1;
    level = generateRoom(rng, p);
    // Searching past maxSolutionSteps cannot change the decision (the reference searches to searchDepth).
    length = shortestSolutionLength(level, Math.min(p.searchDepth, p.maxSolutionSteps));
    const l = length ?? 0; // the reference's BFS returns [] (length 0) when it finds nothing
    if (p.minSolutionSteps <= l && l <= p.maxSolutionSteps) break;
  }
  return { ...level!, solutionLength: length, tries };
}

/** Reference `generate_room`: topology, placement, reverse play, random player walk. */
function generateRoom(rng: Rng, p: GenerateParams): SokobanLevel {
  const { width: w, height: h } = p;
  const numSteps = Math.trunc(1.7 * (h + w));
  let best: ReverseResult | null = null;
  let structure: Uint8Array = new Uint8Array(0);
  for (let t = 0; t < ROOM_TRIES; t++) {
    const room = topology(rng, h, w, numSteps);
    const placed = placeBoxesAndPlayer(rng, room, p.numBoxes);
    structure = room;
    best = reversePlay(placed.player, placed.targets, room, w, p.searchDepth);
    if (best.displacement > 0) break;
  }
  if (!best || best.displacement === 0) throw new GenerationError('generated a level with score 0');
  const player = randomPlayerWalk(
    rng,
    best.player,
    best.boxes,
    structure,
    w,
    best.displacement === 1 ? 0.8 : 0.5,
  );
  let layout = '';
  for (let c = 0; c < w * h; c++) layout += structure[c] === 0 ? WALL : structure[c] === 2 ? TARGET : FLOOR;
  geometry(w, h, layout); // warm the geometry cache for the solver
  return { width: w, height: h, layout, boxes: [...best.boxes].sort((a, b) => a - b), player };
}

/** Reference `room_topology_generation`: cell codes 0 wall, 1 floor. */
function topology(rng: Rng, h: number, w: number, numSteps: number): Uint8Array {
  const level = new Uint8Array(h * w);
  let direction = rng.pick(WALK_DIRECTIONS);
  let r = rng.int(1, h - 1);
  let c = rng.int(1, w - 1);
  for (let s = 0; s < numSteps; s++) {
    if (rng.float() < P_CHANGE_DIRECTION) direction = rng.pick(WALK_DIRECTIONS);
    r = Math.max(Math.min(r + direction[0], h - 2), 1);
    c = Math.max(Math.min(c + direction[1], w - 2), 1);
    const mask = rng.pick(MASKS);
    for (let i = 0; i < 9; i++) if (mask[i]) level[(r - 1 + Math.floor(i / 3)) * w + (c - 1 + (i % 3))] = 1;
  }
  for (let i = 0; i < h; i++) {
    level[i * w] = 0;
    level[i * w + w - 1] = 0;
  }
  for (let j = 0; j < w; j++) {
    level[j] = 0;
    level[(h - 1) * w + j] = 0;
  }
  return level;
}

/** Reference `place_boxes_and_player`: marks targets (code 2) in `room`; the boxes start on them. */
function placeBoxesAndPlayer(
  rng: Rng,
  room: Uint8Array,
  numBoxes: number,
): { player: number; targets: number[] } {
  const free: number[] = [];
  for (let c = 0; c < room.length; c++) if (room[c] === 1) free.push(c);
  if (free.length <= numBoxes + 1) {
    throw new GenerationError(
      `not enough free spots (#${free.length}) to place 1 player and ${numBoxes} boxes`,
    );
  }
  const player = free[rng.int(0, free.length - 1)]!;
  const targets: number[] = [];
  for (let n = 0; n < numBoxes; n++) {
    const spots = free.filter((c) => c !== player && room[c] === 1);
    const t = spots[rng.int(0, spots.length - 1)]!;
    room[t] = 2;
    targets.push(t);
  }
  return { player, targets };
}

interface ReverseResult {
  player: number;
  /** Box cells, indexed like the targets they started on. */
  boxes: number[];
  displacement: number;
}

/**
 * Reference `reverse_playing` + `depth_first_search`: every move of the player
 * pulls the box behind it, if any. States are keyed by player and box cells
 * plus which boxes were ever pulled (the reference hashes the whole grid, where
 * pulled boxes carry a different code). A state's score is box swaps × total
 * displacement, 0 unless every target is empty; the best-scoring state wins.
 */
function reversePlay(
  player0: number,
  targets: number[],
  room: Uint8Array,
  w: number,
  ttl0: number,
): ReverseResult {
  const nb = targets.length;
  const cells = room.length;
  const boxAt = new Int32Array(cells).fill(-1);
  const pos = [...targets];
  const moved = new Array<boolean>(nb).fill(false);
  targets.forEach((t, k) => {
    boxAt[t] = k;
  });
  let player = player0;
  const explored = new Set<number | string>();
  const numericKey = (cells * 2) ** nb * cells < 2 ** 53;
  let best: ReverseResult = { player: player0, boxes: [...pos], displacement: 0 };
  let bestScore = -1;
  const offsets = DELTAS.map(([dr, dc]) => dr * w + dc);

  const codes = new Array<number>(nb);
  const stateKey = (): number | string => {
    for (let k = 0; k < nb; k++) {
      const v = pos[k]! * 2 + (moved[k] ? 1 : 0);
      let i = k;
      while (i > 0 && codes[i - 1]! > v) {
        codes[i] = codes[i - 1]!;
        i--;
      }
      codes[i] = v;
    }
    if (!numericKey) return String.fromCharCode(player, ...codes);
    let key = 0;
    for (let k = 0; k < nb; k++) key = key * cells * 2 + codes[k]!;
    return key * cells + player;
  };
  const displacement = (): number => {
    let s = 0;
    for (let k = 0; k < nb; k++) {
      s +=
        Math.abs(Math.floor(pos[k]! / w) - Math.floor(targets[k]! / w)) +
        Math.abs((pos[k]! % w) - (targets[k]! % w));
    }
    return s;
  };
  const emptyTargets = (): number => {
    let n = 0;
    for (const t of targets) if (boxAt[t] === -1 && player !== t) n++;
    return n;
  };

  const dfs = (swaps: number, lastPull: number, ttlIn: number): void => {
    const ttl = ttlIn - 1;
    if (ttl <= 0 || explored.size >= MAX_EXPLORED) return;
    const key = stateKey();
    if (explored.has(key)) return;
    const disp = displacement();
    const score = emptyTargets() === nb ? swaps * disp : 0;
    if (score > bestScore) {
      best = { player, boxes: [...pos], displacement: disp };
      bestScore = score;
    }
    explored.add(key);
    for (let a = 0; a < 4; a++) {
      const next = player + offsets[a]!;
      if (room[next] === 0 || boxAt[next] !== -1) continue; // no move: the reference's call re-visits an explored state
      const behind = player - offsets[a]!;
      const k = boxAt[behind]!;
      const from = player;
      player = next;
      if (k === -1) {
        dfs(swaps, lastPull, ttl);
      } else {
        const wasMoved = moved[k]!;
        boxAt[behind] = -1;
        boxAt[from] = k;
        pos[k] = from;
        moved[k] = true;
        dfs(lastPull === k ? swaps : swaps + 1, k, ttl);
        moved[k] = wasMoved;
        pos[k] = behind;
        boxAt[from] = -1;
        boxAt[behind] = k;
      }
      player = from;
    }
  };
  dfs(0, -1, ttl0);
  return best;
}

/** Reference `add_random_player_movement`: up to 3 steps onto free cells not visited before. */
function randomPlayerWalk(
  rng: Rng,
  player0: number,
  boxes: number[],
  room: Uint8Array,
  w: number,
  moveProbability: number,
): number {
  if (rng.float() > moveProbability) return player0;
  const occupied = new Set(boxes);
  const visited = [player0];
  let player = player0;
  for (let steps = 0; steps < 3; ) {
    const valid: number[] = [];
    for (const [dr, dc] of DELTAS) {
      const next = player + dr * w + dc;
      if (room[next] !== 0 && !occupied.has(next) && !visited.includes(next)) valid.push(next);
    }
    if (valid.length === 0) break;
    player = rng.pick(valid);
    visited.push(player);
    steps++;
    if (steps >= 3 || rng.float() > 0.5) break;
  }
  return player;
}
