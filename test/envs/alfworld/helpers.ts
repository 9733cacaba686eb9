/** A small hand-made ALFWorld room for rule tests ("put a clean mug in coffeemachine"). */
import { CAN_CONTAIN, OPENABLE_TYPES, type TaskType } from '../../../src/envs/alfworld/constants.js';
import { objectInfo } from '../../../src/envs/alfworld/generator.js';
import { initialState, stepState } from '../../../src/envs/alfworld/rules.js';
import type { AlfWorldState, Game, Goal } from '../../../src/envs/alfworld/world.js';

const RECEPS: [string, string][] = [
  ['cabinet 2', 'Cabinet'],
  ['cabinet 1', 'Cabinet'],
  ['coffeemachine 1', 'CoffeeMachine'],
  ['countertop 1', 'CounterTop'],
  ['desk 1', 'Desk'],
  ['fridge 1', 'Fridge'],
  ['microwave 1', 'Microwave'],
  ['sinkbasin 1', 'SinkBasin'],
];

const OBJECTS: [string, string, string][] = [
  ['apple 1', 'Apple', 'countertop 1'],
  ['desklamp 1', 'DeskLamp', 'desk 1'],
  ['knife 1', 'Knife', 'countertop 1'],
  ['mug 2', 'Mug', 'countertop 1'],
  ['mug 1', 'Mug', 'cabinet 1'],
];

export function tinyGame(
  taskType: TaskType = 'pick_clean_then_place_in_recep',
  task = 'put a clean mug in coffeemachine',
  goal: Goal = { obj: 'Mug', recep: 'CoffeeMachine', toggle: null },
): Game {
  const receptacles = RECEPS.map(([name, type], loc) => ({
    name,
    type,
    loc,
    openable: OPENABLE_TYPES.has(type),
  }));
  const canContain: Record<string, string[]> = {};
  for (const [, type] of RECEPS) canContain[type] = [...CAN_CONTAIN[type]!];
  return {
    source: 'test',
    taskType,
    task,
    goal,
    receptacles,
    objects: OBJECTS.map(([name, type]) => objectInfo(type, name)),
    canContain,
    startLoc: receptacles.length,
    startIn: OBJECTS.map(([, , at]) => receptacles.findIndex((r) => r.name === at)),
  };
}

export function tinyState(...args: Parameters<typeof tinyGame>): AlfWorldState {
  return initialState(tinyGame(...args));
}

/** Play commands; returns every step's result. */
export function play(s: AlfWorldState, commands: readonly string[]) {
  const results = [];
  let state = s;
  for (const c of commands) {
    const r = stepState(state, c);
    results.push(r);
    state = r.state;
  }
  return { state, results, feedback: results.map((r) => r.state.feedback) };
}
