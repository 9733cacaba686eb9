/**
 * The `Sokoban-v0` env definition (reference §8.1).
 */
import { z } from 'zod';
import { ParseError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';
import type { EnvDefinition } from '../core/types.js';
import { MOVES, type Move } from './board.js';
import { parseLevel } from './boxoban.js';
import { type GeneratedLevel, generateLevel } from './generator.js';
import {
  describeSokobanAction,
  formatSokobanAction,
  MAX_MOVES_PER_REPLY,
  parseSokobanReflection,
  projectAction,
  sokobanAdmissible,
} from './projection.js';
import { SOKOBAN_PROMPTS } from './prompts.js';
import { lessonAction, solverTurn } from './lessons.js';
import { sokobanRuleReflection } from './reflection.js';
import { renderGrid } from './render.js';
import { type SokobanAction, type SokobanState, stepStill, stepTurn } from './rules.js';
import { DEFAULT_SEARCH_DEPTH } from './solver.js';

const DOC = `Sokoban (reference LaMer §8.1, after gym_sokoban).

Description: push every box onto a target in a walled room. Levels are
generated from the task seed (random-walk room, boxes pulled away from their
targets by reverse play) and accepted when the shortest solution has between
minSolutionSteps and maxSolutionSteps moves (up to 10 tries), or given as text
(\`level\`, Boxoban characters: # wall, @ player, $ box, . goal, * box on goal,
+ player on goal, space floor).

Actions: up to movesPerTurn (3) moves per turn inside <action> </action>,
comma-separated, from up, down, left, right (and still, a no-op). A reply with
no move keyword is invalid and acts as still.

Observation: one line per row, "{row}:" then " "+symbol per cell: # wall,
_ floor, O target, X box, √ box on target, P player, S player on target.

Start: the generated (or given) level; restart returns to it.

Rewards: per primitive move −0.1, +1 when a box reaches a target, −1 when one
leaves, +10 when all boxes are on targets; still/invalid −0.1. A turn returns
only its LAST move's reward (reference quirk): a win on the 3rd move gives 10.9,
a win on the 2nd then a neutral 3rd move gives 9.9.

End: all boxes on targets (won), maxSteps primitive moves, or a dead state (no
solution within searchDepth moves). Only the turn's last move's done counts, and
the step limit is the reference's \`steps == maxSteps\` test. Moves after a win in
the same turn still run; a turn that won is done (won implies done) even if a
later move of it pushed a box off again.

Params: width, height, numBoxes (generation), searchDepth (100: generation
search depth, acceptance and dead-state bound), maxSteps (30), minSolutionSteps (5),
maxSolutionSteps (21), movesPerTurn (1..3, default 3; the faithful prompt names
it as a word), level (optional level text; width/height/numBoxes are then
ignored; raise searchDepth for levels needing more than 100 moves).`;

const paramsSchema = z
  .object({
    width: z.number().int().min(4).max(16),
    height: z.number().int().min(4).max(16),
    numBoxes: z.number().int().min(1).max(8),
    searchDepth: z.number().int().min(1).max(1000).default(DEFAULT_SEARCH_DEPTH),
    maxSteps: z.number().int().min(1).default(30),
    minSolutionSteps: z.number().int().min(0).default(5),
    maxSolutionSteps: z.number().int().min(0).default(21),
    movesPerTurn: z.number().int().min(1).max(MAX_MOVES_PER_REPLY).default(3),
    level: z.string().optional(),
  })
  .superRefine((p, ctx) => {
    if (p.minSolutionSteps > p.maxSolutionSteps) {
      ctx.addIssue({ code: 'custom', path: ['minSolutionSteps'], message: 'must be <= maxSolutionSteps' });
    }
    if (p.numBoxes + 1 >= (p.width - 2) * (p.height - 2)) {
      ctx.addIssue({ code: 'custom', path: ['numBoxes'], message: 'too many boxes for the room interior' });
    } else if (p.level === undefined && p.numBoxes > maxGeneratedBoxes(p.width, p.height)) {
      ctx.addIssue({
        code: 'custom',
        path: ['numBoxes'],
        message:
          `a generated ${p.width}x${p.height} level takes at most ${maxGeneratedBoxes(p.width, p.height)} boxes: ` +
          'level generation and the dead-state search grow with the box placements C(interior cells, boxes), ' +
          `and ${p.numBoxes} boxes would take minutes per level or step; use fewer boxes or a smaller room, or give a level`,
      });
    }
    if (p.level !== undefined) {
      try {
        parseLevel(p.level);
      } catch (error) {
        if (!(error instanceof ParseError)) throw error;
        ctx.addIssue({ code: 'custom', path: ['level'], message: error.message });
      }
    }
  });

/** Params of Sokoban-v0: board size, box count, step limit, moves per reply, solver depth, or a fixed `level` in Boxoban text (see `lamer envs sokoban`). */
export type SokobanParams = z.infer<typeof paramsSchema>;

/**
 * Largest box placement count C(interior cells, boxes) a generated level may
 * have: about twice the 10x10-4 preset's C(64, 4) = 635,376. Measured on 2
 * shared cores (validation seeds): 10x10-4 and 16x16-3 levels take ≤ ~3 s to
 * generate and steps ≤ ~0.7 s; 12x12-4 (C = 3.9M) steps took 3 s, 13x13-5
 * 20 s, and 16x16-8 levels took over 30 s each and then steps ran out of memory.
 */
export const MAX_BOX_PLACEMENTS = 1_300_000;

function placements(cells: number, boxes: number): number {
  let c = 1;
  for (let k = 0; k < boxes; k++) c = (c * (cells - k)) / (k + 1);
  return c;
}

/** The most boxes a generated width × height level may have (see MAX_BOX_PLACEMENTS). */
export function maxGeneratedBoxes(width: number, height: number): number {
  const cells = (width - 2) * (height - 2);
  let boxes = 1;
  while (boxes + 2 < cells && placements(cells, boxes + 1) <= MAX_BOX_PLACEMENTS) boxes++;
  return boxes;
}

const base = { searchDepth: 100, maxSteps: 30, minSolutionSteps: 5, maxSolutionSteps: 21, movesPerTurn: 3 };

export const SOKOBAN_PRESETS: Record<string, SokobanParams> = {
  default: { width: 6, height: 6, numBoxes: 2, ...base },
  '6x6-3': { width: 6, height: 6, numBoxes: 3, ...base },
  '8x8-3': { width: 8, height: 8, numBoxes: 3, ...base },
  '10x10-4': { width: 10, height: 10, numBoxes: 4, ...base },
};

/** The initial state of a task seed (or of the given level text). */
export function sokobanInitial(seed: number, params: SokobanParams): SokobanState {
  const run = {
    steps: 0,
    maxSteps: params.maxSteps,
    searchDepth: params.searchDepth,
    movesPerTurn: params.movesPerTurn,
  };
  if (params.level !== undefined) return { ...parseLevel(params.level), ...run, bound: null };
  const { width, height, layout, boxes, player, solutionLength } = cachedLevel(seed, params);
  return { width, height, layout, boxes: [...boxes], player, ...run, bound: solutionLength };
}

// Generated levels by seed and generation params: initial() is called for every trial,
// restart check and replay, and a 10x10 level takes a few hundred milliseconds.
const LEVELS = new Map<string, GeneratedLevel>();
const LEVEL_CACHE_LIMIT = 1024;

function cachedLevel(seed: number, p: SokobanParams): GeneratedLevel {
  const key = [
    seed,
    p.width,
    p.height,
    p.numBoxes,
    p.searchDepth,
    p.minSolutionSteps,
    p.maxSolutionSteps,
  ].join(',');
  let level = LEVELS.get(key);
  if (level === undefined) {
    level = generateLevel(seed, p);
    if (LEVELS.size >= LEVEL_CACHE_LIMIT) LEVELS.delete(LEVELS.keys().next().value as string);
    LEVELS.set(key, level);
  }
  return level;
}

/** The Sokoban-v0 env (alias `sokoban`): push every box onto a target; an action is one or more moves per reply. */
export const sokoban: EnvDefinition<SokobanState, SokobanAction, SokobanParams> = {
  id: 'Sokoban-v0',
  aliases: ['sokoban'],
  doc: DOC,
  paramsSchema,
  defaultPreset: 'default',
  presets: SOKOBAN_PRESETS,
  maxTurns: 7,
  initial: sokobanInitial,
  step: stepTurn,
  stepInvalid: stepStill,
  observe: renderGrid,
  anchor: renderGrid,
  project: projectAction,
  parseReflection: parseSokobanReflection,
  describeAction: describeSokobanAction,
  formatAction: formatSokobanAction,
  admissible: sokobanAdmissible,
  randomAction(state: SokobanState, rng: Rng): SokobanAction {
    const n = rng.int(1, state.movesPerTurn);
    const out: Move[] = [];
    for (let i = 0; i < n; i++) out.push(rng.pick(MOVES));
    return out;
  },
  expertAction: solverTurn,
  lessonAction,
  ruleReflection: sokobanRuleReflection,
  prompts: SOKOBAN_PROMPTS,
};

// Level data: types, geometry, Boxoban text
export {
  type Geometry,
  geometry,
  MOVES,
  type Move,
  type SokobanLevel,
  type TurnMove,
} from './board.js';
export { type BoxobanLevel, parseBoxoban, parseLevel, toBoxobanText } from './boxoban.js';

// Generation (fast path for benchmarks) and solving
export { type GeneratedLevel, type GenerateParams, GenerationError, generateLevel } from './generator.js';
export {
  describeSokobanAction,
  formatSokobanAction,
  MAX_MOVES_PER_REPLY,
  parseSokobanReflection,
  projectAction,
} from './projection.js';
export {
  currentBlock,
  memoryBlocks,
  PAST_WINDOW,
  PLAY_WINDOW,
  REFLECT_WINDOW,
  SOKOBAN_PROMPTS,
} from './prompts.js';
export { playedMoves, sokobanRuleReflection } from './reflection.js';
export { lessonAction as sokobanLessonAction, readPlan, solverTurn } from './lessons.js';
export { renderGrid, SYMBOLS } from './render.js';
// Rules, rendering, projection, prompts
export {
  BOX_OFF_TARGET_PENALTY,
  BOX_ON_TARGET_REWARD,
  FINISH_REWARD,
  isWon,
  type SokobanAction,
  type SokobanState,
  STEP_PENALTY,
  solutionWithin,
  stepStill,
  stepTurn,
} from './rules.js';
export { DEFAULT_SEARCH_DEPTH, isSolvable, shortestSolutionLength, solve } from './solver.js';
export {
  CURR_TRAJ_AT_TRAJ1,
  CURR_TRAJ_AT_TRAJ2_TO_N,
  fill,
  HISTORY_ONLY_TEMPLATE,
  NUMBER_WORDS,
  PAST_TRAJECTORY_AND_REFLECTION_TEMPLATE,
  REFLECTION_ONLY_TEMPLATE,
  SOKOBAN_PLAY_PROMPT,
  SOKOBAN_REFLECT_PROMPT,
  TRAJ_2_TO_N_INIT,
} from './templates.js';
