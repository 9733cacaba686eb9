/**
 * Seeded task generation, after ALFWorld's own (ALFRED's scenes, `gen/`):
 * a task type from the allowed ones, a floor plan where that type is valid
 * (`GOALS_VALID`) and that has what it needs, a goal (object type, target
 * receptacle type, lamp), then the room: every static receptacle of the plan
 * (numbered as ALFWorld's demangler numbers them), every object class of the
 * plan that some receptacle accepts in 1..3 instances (the task's object in
 * 1..4, at least 2 for Pick Two) placed in receptacles that accept them
 * (`VAL_RECEPTACLE_OBJECTS`), never already in a target receptacle, and the
 * plan's lamps on a desk / side table / dresser / table. The goal sentence is
 * one of the type's two templates. A generated game is kept only when the
 * expert planner solves it within the game's 50 commands (always so far:
 * plans are at most ~12 commands); else the next sub-seed is tried.
 */
import { ConfigError } from '../../util/errors.js';
import { deriveSeed, Rng } from '../../util/rng.js';
import {
  CAN_CONTAIN,
  CLEANABLE,
  COOLABLE,
  GOAL_TEMPLATES,
  GOALS_VALID,
  HEATABLE,
  LAMP_RECEPTACLES,
  MAX_INSTANCES,
  MAX_STEPS,
  OPENABLE_TYPES,
  PICKUP_REPEAT_MAX,
  PLACEABLE_TYPES,
  RECEPTACLE_OBJECT_TYPES,
  RECEPTACLE_TYPES,
  type RoomKind,
  SLICEABLE,
  TASK_TYPES,
  type TaskType,
  type TaskTypeId,
  TOGGLEABLE,
  TREATMENT_APPLIANCE,
} from './constants.js';
import { FLOOR_PLANS, type FloorPlan } from './floorplans.js';
import { plan } from './planner.js';
import { initialState } from './rules.js';
import { type Game, type GameObject, type Goal, type Receptacle, typeName } from './world.js';

export type FloorPlanSplit = 'seen' | 'unseen' | 'all';

export interface GeneratorParams {
  /** ALFWorld task-type ids (1 pick … 6 pick two). */
  taskTypes: TaskTypeId[];
  rooms: RoomKind[];
  /** ALFWorld's train scenes (`seen`), its unseen test scenes, or both. */
  floorPlans: FloorPlanSplit;
}

/** Treatment requirement of a task type on the object class. */
function treatable(type: TaskType, obj: string): boolean {
  if (type === 'pick_clean_then_place_in_recep') return CLEANABLE.has(obj);
  if (type === 'pick_heat_then_place_in_recep') return HEATABLE.has(obj);
  if (type === 'pick_cool_then_place_in_recep') return COOLABLE.has(obj);
  return true;
}

/** Object classes of a plan a generated room places (some receptacle of the room accepts them). */
function placeableIn(plan: FloorPlan): string[] {
  const receps = [...plan.receptacles.keys()];
  return [...plan.objects]
    .filter((t) => PLACEABLE_TYPES.has(t) && !RECEPTACLE_TYPES.has(t))
    .filter((t) => receps.some((r) => CAN_CONTAIN[r]!.includes(t)))
    .sort();
}

function lampReceptacles(plan: FloorPlan): string[] {
  return LAMP_RECEPTACLES.filter((r) => plan.receptacles.has(r));
}

const goalsCache = new Map<string, Goal[]>();

/** Every goal a task type can have in a floor plan (cached: plans and types are fixed). */
export function goalsFor(type: TaskType, plan: FloorPlan): Goal[] {
  const key = `${type}|${plan.name}`;
  let goals = goalsCache.get(key);
  if (!goals) {
    goals = computeGoals(type, plan);
    goalsCache.set(key, goals);
  }
  return goals;
}

function computeGoals(type: TaskType, plan: FloorPlan): Goal[] {
  const appliance = TREATMENT_APPLIANCE[type];
  if (appliance && !plan.receptacles.has(appliance)) return [];
  const objs = placeableIn(plan).filter((o) => treatable(type, o));
  if (type === 'look_at_obj_in_light') {
    if (lampReceptacles(plan).length === 0) return [];
    const lamps = [...TOGGLEABLE].filter((l) => plan.objects.has(l)).sort();
    return lamps.flatMap((toggle) => objs.map((obj) => ({ obj, recep: null, toggle })));
  }
  const goals: Goal[] = [];
  for (const obj of objs)
    for (const recep of plan.receptacles.keys()) {
      if (recep === appliance || !CAN_CONTAIN[recep]!.includes(obj)) continue;
      // The objects must start somewhere else than a target receptacle.
      const elsewhere = [...plan.receptacles.keys()].some(
        (r) => r !== recep && CAN_CONTAIN[r]!.includes(obj),
      );
      if (elsewhere) goals.push({ obj, recep, toggle: null });
    }
  return goals;
}

const plansCache = new Map<string, FloorPlan[]>();

/** The floor plans a task type can be generated in under the params. */
export function plansFor(type: TaskType, params: GeneratorParams): FloorPlan[] {
  const key = `${type}|${params.rooms.join(',')}|${params.floorPlans}`;
  let plans = plansCache.get(key);
  if (!plans) {
    plans = FLOOR_PLANS.filter(
      (p) =>
        params.rooms.includes(p.kind) &&
        GOALS_VALID[type].includes(p.kind) &&
        (params.floorPlans === 'all' || (params.floorPlans === 'seen') === p.seen) &&
        goalsFor(type, p).length > 0,
    );
    plansCache.set(key, plans);
  }
  return plans;
}

/** Param problems (a task type no allowed room supports), for the params schema. */
export function generatorProblems(params: GeneratorParams): string[] {
  return params.taskTypes
    .filter((id) => plansFor(TASK_TYPES[id], params).length === 0)
    .map(
      (id) =>
        `task type ${id} (${TASK_TYPES[id]}) needs a room of kind ${GOALS_VALID[TASK_TYPES[id]].join(' or ')}; rooms allows ${params.rooms.join(', ')}`,
    );
}

/** An object of a class with the properties ALFWorld's constants give it. */
export function objectInfo(type: string, name: string): GameObject {
  return {
    name,
    type,
    pickupable: !TOGGLEABLE.has(type),
    cleanable: CLEANABLE.has(type),
    heatable: HEATABLE.has(type),
    coolable: COOLABLE.has(type),
    toggleable: TOGGLEABLE.has(type),
    sliceable: SLICEABLE.has(type),
    receptacleObject: RECEPTACLE_OBJECT_TYPES.has(type),
  };
}

/** Display order: by type name, instances numbered from the highest down (ALFWorld's print order). */
function byDisplay<T extends { type: string; n: number }>(items: T[]): T[] {
  return items.sort((a, b) => (a.type === b.type ? b.n - a.n : typeName(a.type) < typeName(b.type) ? -1 : 1));
}

function buildRoom(rng: Rng, type: TaskType, plan: FloorPlan, goal: Goal): Game {
  const receps = byDisplay(
    [...plan.receptacles].flatMap(([t, count]) =>
      Array.from({ length: count }, (_, i) => ({ type: t, n: i + 1 })),
    ),
  );
  const receptacles: Receptacle[] = receps.map((r, i) => ({
    name: `${typeName(r.type)} ${r.n}`,
    type: r.type,
    loc: i,
    openable: OPENABLE_TYPES.has(r.type),
  }));
  const items: { type: string; n: number; in: number }[] = [];
  for (const t of placeableIn(plan)) {
    const isTarget = t === goal.obj;
    const count = !isTarget
      ? rng.int(1, MAX_INSTANCES)
      : type === 'pick_two_obj_and_place'
        ? rng.int(2, PICKUP_REPEAT_MAX)
        : rng.int(1, PICKUP_REPEAT_MAX);
    const allowed = receptacles
      .map((r, i) => ({ r, i }))
      .filter(({ r }) => CAN_CONTAIN[r.type]!.includes(t) && !(isTarget && r.type === goal.recep))
      .map(({ i }) => i);
    if (allowed.length === 0) continue;
    for (let n = 1; n <= count; n++) items.push({ type: t, n, in: rng.pick(allowed) });
  }
  const lampSpots = receptacles
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => LAMP_RECEPTACLES.includes(r.type));
  if (lampSpots.length > 0)
    for (const lamp of [...TOGGLEABLE].sort())
      if (plan.objects.has(lamp)) items.push({ type: lamp, n: 1, in: rng.pick(lampSpots).i });
  const objects = byDisplay(items);
  const canContain: Record<string, string[]> = {};
  for (const t of plan.receptacles.keys()) canContain[t] = [...CAN_CONTAIN[t]!];
  const template = rng.pick(GOAL_TEMPLATES[type]);
  const task = template
    .replace('{obj}', typeName(goal.obj))
    .replace('{recep}', typeName(goal.recep ?? ''))
    .replace('{toggle}', typeName(goal.toggle ?? ''));
  return {
    source: plan.name,
    taskType: type,
    task,
    goal,
    receptacles,
    objects: objects.map((o) => objectInfo(o.type, `${typeName(o.type)} ${o.n}`)),
    canContain,
    startLoc: receptacles.length,
    startIn: objects.map((o) => o.in),
  };
}

/** Sub-seeds tried before giving up (never needed so far: every first try was solvable). */
const MAX_TRIES = 20;

/** The game of a seed. Deterministic; every returned game is solved by the expert planner within 50 commands. */
export function generateGame(seed: number, params: GeneratorParams): Game {
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    const rng = Rng.seeded(deriveSeed(seed, 'alfworld', attempt));
    const type = TASK_TYPES[rng.pick(params.taskTypes)];
    const plans = plansFor(type, params);
    if (plans.length === 0) throw new ConfigError(generatorProblems(params).join('; '));
    const floor = rng.pick(plans);
    const goal = rng.pick(goalsFor(type, floor));
    const game = buildRoom(rng, type, floor, goal);
    const solution = plan(initialState(game));
    if (solution !== null && solution.length > 0 && solution.length <= MAX_STEPS) return game;
  }
  throw new RangeError(`no solvable ALFWorld game for seed ${seed} in ${MAX_TRIES} tries`);
}
