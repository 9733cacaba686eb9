/**
 * ALFWorld's own games (the json_2.1.1 data set, a separate download): a game
 * folder holds `traj_data.json` (task type, `pddl_params`) and the PDDL
 * problem, as `game.tw-pddl` (TextWorld's JSON: `pddl_problem`, `grammar`
 * with the goal sentence, `solvable`) and/or `initial_state.pddl`. A loaded
 * game becomes the same `Game` the generator makes, named as ALFWorld's
 * demangler names entities (sorted ids; each type's instances numbered from
 * the highest down along them; `…|SinkBasin` ids read "sinkbasin").
 *
 * As ALFWorld's `collect_game_files`: folders under `movable` or `Sliced`,
 * sliced or movable-receptacle tasks and games marked unsolvable are skipped.
 * Where a file states no fact of a property (`canContain`, `pickupable`,
 * `openable`, `cleanable`, …) ALFWorld's constants supply it. Objects in no
 * receptacle (the text game cannot take them) are left out; an object in two
 * receptacles is kept in the first.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ParseError } from '../../util/errors.js';
import {
  CAN_CONTAIN,
  CLEANABLE,
  COOLABLE,
  GOAL_TEMPLATES,
  HEATABLE,
  OPENABLE_TYPES,
  PLACEABLE_TYPES,
  RECEPTACLE_OBJECT_TYPES,
  SLICEABLE,
  TASK_TYPES,
  type TaskType,
  TOGGLEABLE,
} from './constants.js';
import { FLOOR_PLANS } from './floorplans.js';
import { parseProblem } from './pddl.js';
import { plan } from './planner.js';
import { initialState } from './rules.js';
import type { Game, GameObject, Receptacle } from './world.js';

/** AI2-THOR class names by their lower-case form (PDDL readers lower-case everything). */
const CLASS_NAMES = new Map<string, string>();
for (const name of [
  ...FLOOR_PLANS.flatMap((p) => [...p.objects]),
  ...Object.keys(CAN_CONTAIN),
  ...Object.values(CAN_CONTAIN).flat(),
])
  CLASS_NAMES.set(name.toLowerCase(), name);

/** `mugtype` / `Mug` / `mug` → `Mug` (unknown classes keep their lower-case name). */
export function className(raw: string): string {
  const lower = raw.toLowerCase().replace(/type$/, '');
  return CLASS_NAMES.get(lower) ?? lower;
}

/** ALFWorld's demangler: entity id → display name (`cabinet_bar__plus_00_dot_68…` → `cabinet 3`). */
export function demangle(ids: readonly string[]): Map<string, string> {
  const sorted = [...ids].sort();
  const baseOf = (id: string): string | null => {
    const cut = id.indexOf('_bar_');
    if (cut === -1) return null;
    const base = id.slice(0, cut);
    return id.includes('basin') && !base.endsWith('basin') ? `${base}basin` : base;
  };
  const counts = new Map<string, number>();
  for (const id of sorted) {
    const base = baseOf(id);
    if (base !== null) counts.set(base, (counts.get(base) ?? 0) + 1);
  }
  const out = new Map<string, string>();
  for (const id of sorted) {
    const base = baseOf(id);
    if (base === null) {
      out.set(id, id);
      continue;
    }
    const n = counts.get(base)!;
    counts.set(base, n - 1);
    out.set(id, `${base} ${n}`);
  }
  return out;
}

interface TrajData {
  task_type?: unknown;
  pddl_params?: {
    object_target?: unknown;
    parent_target?: unknown;
    toggle_target?: unknown;
    mrecep_target?: unknown;
    object_sliced?: unknown;
  };
}

const TASK_TYPE_NAMES = new Set<string>(Object.values(TASK_TYPES));

/** The goal of a game from its `traj_data.json`; a ParseError says why a game cannot be played. */
function goalOf(
  traj: TrajData,
  where: string,
): { taskType: TaskType; obj: string; recep: string; toggle: string } {
  const type = String(traj.task_type ?? '');
  if (!TASK_TYPE_NAMES.has(type))
    throw new ParseError(`${where}: task_type "${type}" is not one of ALFWorld's six text-game task types`);
  const p = traj.pddl_params ?? {};
  if (p.object_sliced === true)
    throw new ParseError(`${where}: sliced tasks are skipped, as ALFWorld's text games do`);
  if (typeof p.mrecep_target === 'string' && p.mrecep_target !== '')
    throw new ParseError(`${where}: movable-receptacle tasks are skipped, as ALFWorld's text games do`);
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  if (!str(p.object_target)) throw new ParseError(`${where}: pddl_params.object_target is missing`);
  return {
    taskType: type as TaskType,
    obj: str(p.object_target),
    recep: str(p.parent_target),
    toggle: str(p.toggle_target),
  };
}

export interface GameFiles {
  /** The PDDL problem text. */
  problem: string;
  /** Parsed traj_data.json. */
  traj: unknown;
  /** TextWorld grammar of game.tw-pddl (its task sentence is used when given). */
  grammar?: string;
  source: string;
}

/** A game from its files' contents. */
export function gameFromFiles(files: GameFiles): Game {
  const where = files.source;
  const goal = goalOf(files.traj as TrajData, where);
  const { facts } = parseProblem(files.problem, `${where}: PDDL problem`);
  const by = (pred: string) => facts.filter((f) => f[0] === pred);
  const has = (pred: string) => new Set(by(pred).map((f) => f[1]!));
  const stated = (pred: string) => by(pred).length > 0;
  const recepType = new Map(by('receptacletype').map((f) => [f[1]!, className(f[2]!)]));
  const objType = new Map(by('objecttype').map((f) => [f[1]!, className(f[2]!)]));
  const recepLoc = new Map(by('receptacleatlocation').map((f) => [f[1]!, f[2]!]));
  const agentAt = by('atlocation')[0]?.[2];
  if (agentAt === undefined) throw new ParseError(`${where}: no (atLocation agent1 …) fact`);
  const inRecep = new Map<string, string>();
  for (const f of by('inreceptacle'))
    if (recepType.has(f[2]!) && !inRecep.has(f[1]!)) inRecep.set(f[1]!, f[2]!);
  const names = demangle([...recepType.keys(), ...objType.keys()]);
  const recepIds = [...recepType.keys()].filter((r) => recepLoc.has(r)).sort();
  const locs = new Map<string, number>();
  const locOf = (l: string) => {
    if (!locs.has(l)) locs.set(l, locs.size);
    return locs.get(l)!;
  };
  const openable = has('openable');
  const receptacles: Receptacle[] = recepIds.map((r) => ({
    name: names.get(r)!,
    type: recepType.get(r)!,
    loc: locOf(recepLoc.get(r)!),
    openable: stated('openable') ? openable.has(r) : OPENABLE_TYPES.has(recepType.get(r)!),
  }));
  const startLoc = locOf(agentAt);
  const objIds = [...objType.keys()]
    .filter((o) => inRecep.has(o) && recepIds.includes(inRecep.get(o)!))
    .sort();
  const property = (pred: string, fallback: (type: string) => boolean) => {
    const set = has(pred);
    return (o: string) => (stated(pred) ? set.has(o) : fallback(objType.get(o)!));
  };
  const pickupable = property('pickupable', (t) => PLACEABLE_TYPES.has(t) && !TOGGLEABLE.has(t));
  const cleanable = property('cleanable', (t) => CLEANABLE.has(t));
  const heatable = property('heatable', (t) => HEATABLE.has(t));
  const coolable = property('coolable', (t) => COOLABLE.has(t));
  const toggleable = property('toggleable', (t) => TOGGLEABLE.has(t));
  const sliceable = property('sliceable', (t) => SLICEABLE.has(t));
  const receptacleObject = property('isreceptacleobject', (t) => RECEPTACLE_OBJECT_TYPES.has(t));
  const objects: GameObject[] = objIds.map((o) => ({
    name: names.get(o)!,
    type: objType.get(o)!,
    pickupable: pickupable(o),
    cleanable: cleanable(o),
    heatable: heatable(o),
    coolable: coolable(o),
    toggleable: toggleable(o),
    sliceable: sliceable(o),
    receptacleObject: receptacleObject(o),
  }));
  const canContain: Record<string, string[]> = {};
  const recepTypes = new Set(receptacles.map((r) => r.type));
  if (stated('cancontain')) {
    for (const f of by('cancontain')) {
      const rt = className(f[1]!);
      canContain[rt] = [...(canContain[rt] ?? []), className(f[2]!)];
    }
  } else for (const t of recepTypes) canContain[t] = [...(CAN_CONTAIN[t] ?? [])];
  const taskSentence = /Your task is to: (.*?)\./.exec(files.grammar ?? '')?.[1];
  const template = GOAL_TEMPLATES[goal.taskType][0];
  const task =
    taskSentence ??
    template
      .replace('{obj}', goal.obj.toLowerCase())
      .replace('{recep}', goal.recep.toLowerCase())
      .replace('{toggle}', goal.toggle.toLowerCase());
  return {
    source: files.source,
    taskType: goal.taskType,
    task,
    goal: {
      obj: className(goal.obj),
      recep: goal.recep ? className(goal.recep) : null,
      toggle: goal.toggle ? className(goal.toggle) : null,
    },
    receptacles,
    objects,
    canContain,
    startLoc,
    startIn: objIds.map((o) => recepIds.indexOf(inRecep.get(o)!)),
  };
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ParseError(`${path}: not readable JSON (${(error as Error).message})`, { cause: error });
  }
}

/** The game of one folder (`traj_data.json` + `game.tw-pddl` or `initial_state.pddl`). */
export function loadGameDir(dir: string, source = dir): Game {
  const traj = readJson(join(dir, 'traj_data.json'));
  const tw = join(dir, 'game.tw-pddl');
  if (existsSync(tw)) {
    const data = readJson(tw) as { pddl_problem?: unknown; grammar?: unknown; solvable?: unknown };
    if (data.solvable === false)
      throw new ParseError(`${source}: game.tw-pddl is marked unsolvable (skipped)`);
    if (typeof data.pddl_problem !== 'string') throw new ParseError(`${tw}: no "pddl_problem" text`);
    return gameFromFiles({
      problem: data.pddl_problem,
      traj,
      ...(typeof data.grammar === 'string' ? { grammar: data.grammar } : {}),
      source,
    });
  }
  const pddl = join(dir, 'initial_state.pddl');
  if (!existsSync(pddl)) throw new ParseError(`${source}: neither game.tw-pddl nor initial_state.pddl`);
  return gameFromFiles({ problem: readFileSync(pddl, 'utf8'), traj, source });
}

/** Game folders under `root` (those with a traj_data.json), sorted, skipping `movable` and `Sliced` ones. */
export function findGameDirs(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir).sort();
    if (entries.includes('traj_data.json')) out.push(dir);
    for (const e of entries) {
      const p = join(dir, e);
      if (statSync(p).isDirectory() && !/movable|Sliced/.test(e)) walk(p);
    }
  };
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new ParseError(`games folder ${root} does not exist or is not a folder`);
  walk(root);
  return out;
}

export interface LoadedGames {
  games: Game[];
  /** Folders not played, and why. */
  skipped: { dir: string; reason: string }[];
}

const loaded = new Map<string, LoadedGames>();

/** Every playable game under `root` (cached per folder): parsed, and solved by the planner. */
export function loadGames(root: string): LoadedGames {
  const cached = loaded.get(root);
  if (cached) return cached;
  const result: LoadedGames = { games: [], skipped: [] };
  for (const dir of findGameDirs(root)) {
    const source = relative(root, dir) || '.';
    try {
      const game = loadGameDir(dir, source);
      if (plan(initialState(game)) === null)
        result.skipped.push({ dir: source, reason: 'the planner finds no plan' });
      else result.games.push(game);
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      result.skipped.push({ dir: source, reason: error.message });
    }
  }
  loaded.set(root, result);
  return result;
}
