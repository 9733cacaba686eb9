/**
 * The ALFWorld state as plain JSON. A `Game` is the static part (the room's
 * receptacles and objects, what each object can undergo, the goal) and is
 * shared by reference between the states of one game; the state holds only
 * what the PDDL actions change (where the agent and each object are, which
 * receptacles are open, which objects are clean / hot / cool / sliced, which
 * lamps are on), the step count and the last feedback text.
 *
 * Receptacles and objects are kept in the order ALFWorld prints them: its
 * text engine lists entities in the order of their sorted ids, and its
 * demangler numbers instances of a type from the highest down along that
 * order ("a cabinet 4, a cabinet 3, …, a cabinet 1, a coffeemachine 1, …").
 */
import type { TaskType } from './constants.js';

export interface Receptacle {
  /** The name the player reads and types: `cabinet 3`, `sinkbasin 1`. */
  name: string;
  /** AI2-THOR class, e.g. `Cabinet`, `SinkBasin`. */
  type: string;
  /** Location id (receptacles may share one; the agent stands at a location). */
  loc: number;
  openable: boolean;
}

export interface GameObject {
  name: string;
  type: string;
  pickupable: boolean;
  cleanable: boolean;
  heatable: boolean;
  coolable: boolean;
  toggleable: boolean;
  sliceable: boolean;
  /** A Mug, Bowl, …: examining it says "This is a normal mug 1. In it, you see nothing." */
  receptacleObject: boolean;
}

export interface Goal {
  /** Object type to handle, e.g. `Mug`. */
  obj: string;
  /** Receptacle type to put it in (null for look tasks). */
  recep: string | null;
  /** Lamp type to look under (look tasks), e.g. `DeskLamp`. */
  toggle: string | null;
}

export interface Game {
  /** Where the game comes from: `FloorPlan12` for generated rooms, the game folder for loaded ones. */
  source: string;
  taskType: TaskType;
  /** The goal sentence without the final period, e.g. `put a clean mug in coffeemachine`. */
  task: string;
  goal: Goal;
  receptacles: Receptacle[];
  objects: GameObject[];
  /** Receptacle type → object types it accepts (the PDDL `canContain` facts). */
  canContain: Record<string, string[]>;
  /** Where the agent starts (a location with no receptacle in generated rooms: "the middle of a room"). */
  startLoc: number;
  /** Per object, the receptacle it starts in (index into `receptacles`). */
  startIn: number[];
}

/** Where an object is when the agent holds it. */
export const HELD = -1;

/** ALFWorld state (plain JSON): the static game plus what actions change (agent and object locations, open receptacles, object properties), steps and last feedback. */
export interface AlfWorldState {
  /** The static game: receptacles, objects, the goal (shared by reference between the states of one game). */
  game: Game;
  /** The agent's location id. */
  loc: number;
  /** Per object: receptacle index, or HELD. */
  in: number[];
  /** Sorted indices of open receptacles. */
  open: number[];
  /** Sorted object indices with each property. */
  clean: number[];
  hot: number[];
  cool: number[];
  sliced: number[];
  toggled: number[];
  /** Commands sent to the game this attempt (valid or not): the game ends at MAX_STEPS. */
  steps: number;
  won: boolean;
  /** What the game printed last (the intro at the start). */
  feedback: string;
}

/** The display name of a type: ALFWorld lower-cases the class (`SinkBasin` → `sinkbasin`). */
export function typeName(type: string): string {
  return type.toLowerCase();
}

/**
 * TextWorld's list rendering: items joined by ", " with ", and " before the last (so two items read
 * "a mug 1, and a cup 1"), "nothing" when empty.
 */
export function listText(items: readonly string[]): string {
  if (items.length === 0) return 'nothing';
  if (items.length === 1) return items[0]!;
  return `${items.slice(0, -1).join(', ')}, and ${items[items.length - 1]}`;
}

/** `a mug 1` — ALFWorld's indefinite article is always "a". */
export function withArticle(name: string): string {
  return `a ${name}`;
}

/** Insert into a sorted index list (new array). */
export function withIndex(list: readonly number[], i: number): number[] {
  if (list.includes(i)) return list as number[];
  return [...list, i].sort((a, b) => a - b);
}

export function withoutIndex(list: readonly number[], i: number): number[] {
  return list.includes(i) ? list.filter((x) => x !== i) : (list as number[]);
}

/** The receptacles at a location, in display order. */
export function receptaclesAt(game: Game, loc: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < game.receptacles.length; r++) if (game.receptacles[r]!.loc === loc) out.push(r);
  return out;
}

/** Objects in a receptacle, in display order. */
export function objectsIn(state: AlfWorldState, r: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < state.in.length; o++) if (state.in[o] === r) out.push(o);
  return out;
}

export function heldObject(state: AlfWorldState): number {
  return state.in.indexOf(HELD);
}

/** A receptacle's contents can be seen and reached (PDDL: not openable, or opened). */
export function isReachable(state: AlfWorldState, r: number): boolean {
  return !state.game.receptacles[r]!.openable || state.open.includes(r);
}
