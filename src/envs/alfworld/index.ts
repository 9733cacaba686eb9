/**
 * ALFWorld-v0 (aliases: alfworld): ALFWorld's household text games
 * (reference lamer.md §8.4), generated from its PDDL domain, text grammar,
 * floor plans and object constants, or loaded from its game files.
 */
import { z } from 'zod';
import type { EnvDefinition } from '../core/types.js';
import { ROOM_KINDS, TASK_TYPE_SHORT, TASK_TYPES, type TaskTypeId } from './constants.js';
import { generateGame, generatorProblems, type GeneratorParams } from './generator.js';
import { lessonCommand } from './lessons.js';
import { expertCommand } from './planner.js';
import { describeAlfWorldAction, parseAlfWorldReflection, projectAlfWorld } from './projection.js';
import { ALFWORLD_PROMPTS } from './prompts.js';
import { ruleReflection } from './reflection.js';
import { admissibleCommands, initialState, stepInvalidState, stepState } from './rules.js';
import type { AlfWorldState, Game } from './world.js';
import { loadGames } from './loader.js';
import { ParseError } from '../../util/errors.js';
import { deriveSeed } from '../../util/rng.js';

const DOC = `ALFWorld-v0: household tasks in a text world (ALFWorld's TextWorld games; reference lamer.md §8.4).
Description: a room (one of ALFWorld's 120 AI2-THOR floor plans: kitchens, living rooms, bedrooms, bathrooms) with
  numbered receptacles and objects; a task of one of six types: 1 pick_and_place_simple, 2 look_at_obj_in_light,
  3 pick_clean_then_place_in_recep, 4 pick_heat_then_place_in_recep, 5 pick_cool_then_place_in_recep,
  6 pick_two_obj_and_place ("put a clean mug in coffeemachine."). Rules from ALFWorld's PDDL domain, sentences
  from its text grammar, which objects go where and which can be cleaned / heated / cooled / switched on from
  its constants.
Actions: the game's commands, e.g. "go to cabinet 1", "open cabinet 1", "take mug 1 from cabinet 1",
  "move mug 1 to coffeemachine 1", "clean mug 1 with sinkbasin 1", "heat ...", "cool ...", "use desklamp 1",
  "examine ...", "look", "inventory". Parsing (reference): the lower-cased text between the first <action> and
  the first </action>, stripped. A command the game does not accept prints "Nothing happens."
Observation: what the game prints; at the start "-= Welcome to TextWorld, ALFRED! =-", the room ("You are in the
  middle of a room. Looking quickly around you, you see a cabinet 4, ..., and a toaster 1.") and "Your task is
  to: ...". The prompt lists the admissible commands. The GiGPO anchor is the printed text.
Start: a seeded game (task type, floor plan, placements, goal sentence), solvable by the expert planner.
Rewards: 10 when the task is done (won), else 0.
End: won, or after 50 commands (ALFWorld's step limit); the turn budget is 10 (training) or 30 (evaluation).
Params: taskTypes (ids 1-6), rooms (kitchen | livingroom | bedroom | bathroom), floorPlans (seen: ALFWorld's
  train scenes 7-30 of each kind | unseen: its test scenes 1-6 | all), games (a folder of ALFWorld's own game
  files, json_2.1.1 layout: traj_data.json with game.tw-pddl or initial_state.pddl; a seed picks one of its
  games of the allowed types; --games DIR on the CLI). Presets: train and id (types 1-4; id
  is evaluated on held-out validation seeds), ood (types 5-6: Cool, Pick Two), all (1-6).`;

export const alfworldParamsSchema = z
  .strictObject({
    taskTypes: z
      .array(z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5), z.literal(6)]))
      .min(1),
    rooms: z.array(z.enum(ROOM_KINDS)).min(1),
    floorPlans: z.enum(['seen', 'unseen', 'all']),
    /** A folder of ALFWorld game files (json_2.1.1 layout): play those instead of generated games. */
    games: z.string().min(1).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.games === undefined) {
      for (const message of generatorProblems(p as GeneratorParams))
        ctx.addIssue({ code: 'custom', path: ['taskTypes'], message });
      return;
    }
    try {
      const n = gamesOf(p.games, p.taskTypes).length;
      if (n === 0)
        ctx.addIssue({
          code: 'custom',
          path: ['games'],
          message: `no playable game of task types ${p.taskTypes.join(', ')} under ${p.games} (${describeSkipped(p.games)})`,
        });
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      ctx.addIssue({ code: 'custom', path: ['games'], message: error.message });
    }
  });

/** Params of ALFWorld-v0: task types (ids 1-6), room kinds, seen/unseen floor plans, or a folder of ALFWorld game files (see `lamer envs alfworld`). */
export type AlfWorldParams = z.infer<typeof alfworldParamsSchema>;

const ALL_ROOMS = [...ROOM_KINDS];
const preset = (taskTypes: TaskTypeId[]): AlfWorldParams => ({
  taskTypes,
  rooms: ALL_ROOMS,
  floorPlans: 'seen',
});

/** Games of recent seeds: a trial asks for its initial state once per attempt restart and per trial. */
const cache = new Map<string, Game>();
const CACHE_SIZE = 1024;

/** The loaded games of a folder with the allowed task types, in folder order. */
function gamesOf(dir: string, taskTypes: readonly TaskTypeId[]): Game[] {
  const allowed = new Set(taskTypes.map((id) => TASK_TYPES[id]));
  return loadGames(dir).games.filter((g) => allowed.has(g.taskType));
}

function describeSkipped(dir: string): string {
  const { skipped } = loadGames(dir);
  return skipped.length === 0 ? 'none skipped' : `${skipped.length} skipped, e.g. ${skipped[0]!.reason}`;
}

function gameFor(seed: number, params: AlfWorldParams): Game {
  if (params.games !== undefined) {
    const games = gamesOf(params.games, params.taskTypes);
    return games[deriveSeed(seed, 'alfworld-games') % games.length]!;
  }
  const key = `${seed}|${JSON.stringify(params)}`;
  let game = cache.get(key);
  if (!game) {
    game = generateGame(seed, params as GeneratorParams);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(key, game);
  }
  return game;
}

/** The ALFWorld-v0 env (alias `alfworld`): household tasks in a text world; actions are the game's commands; reward 10 when the task is done. */
export const alfworld: EnvDefinition<AlfWorldState, string, AlfWorldParams> = {
  id: 'ALFWorld-v0',
  aliases: ['alfworld'],
  doc: DOC,
  paramsSchema: alfworldParamsSchema as unknown as z.ZodType<AlfWorldParams>,
  defaultPreset: 'train',
  presets: {
    train: preset([1, 2, 3, 4]),
    id: preset([1, 2, 3, 4]),
    ood: preset([5, 6]),
    all: preset([1, 2, 3, 4, 5, 6]),
  },
  maxTurns: 10,
  evalMaxTurns: 30,
  initial: (seed, params) => initialState(gameFor(seed, params)),
  step: stepState,
  stepInvalid: stepInvalidState,
  observe: (s) => s.feedback,
  anchor: (s) => s.feedback,
  project: projectAlfWorld,
  parseReflection: parseAlfWorldReflection,
  describeAction: describeAlfWorldAction,
  formatAction: (action) => action,
  admissible: admissibleCommands,
  randomAction: (s, rng) => rng.pick(admissibleCommands(s)),
  expertAction: expertCommand,
  lessonAction: (ctx) => lessonCommand(ctx),
  ruleReflection,
  taskType: (s) => TASK_TYPE_SHORT[s.game.taskType],
  task: (s) => s.game.task,
  prompts: ALFWORLD_PROMPTS,
};

export { TASK_TYPE_SHORT, TASK_TYPES };
