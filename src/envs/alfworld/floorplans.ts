/**
 * The 120 AI2-THOR floor plans ALFWorld uses (assets/floorplans.json, from
 * ALFWorld's `gen/layouts/FloorPlan*-objects.json` and `*-openable.json`, MIT,
 * see assets/LICENSE.alfworld): the object and receptacle classes of each
 * room, and how many interactable instances of a receptacle class it has.
 * A sink basin's and a bathtub basin's instances are counted under `Sink` and
 * `Bathtub` there (their AI2-THOR ids start with those names).
 */
import plansJson from './assets/floorplans.json' with { type: 'json' };
import { isSeenPlan, RECEPTACLE_TYPES, type RoomKind, roomKindOf } from './constants.js';

export interface FloorPlan {
  /** `FloorPlan12`. */
  name: string;
  number: number;
  kind: RoomKind;
  /** One of ALFWorld's train scenes (7–30 of each kind) rather than its unseen test scenes (1–6). */
  seen: boolean;
  /** Every object class in the room. */
  objects: ReadonlySet<string>;
  /** Receptacle class → instances, for the static receptacles of the room. */
  receptacles: ReadonlyMap<string, number>;
}

const RAW = plansJson as Record<string, { objects: string[]; openableReceptacles: Record<string, number> }>;

/**
 * Instances of a receptacle class the data has no count for: one, except stove burners, which the
 * openable lists leave out and AI2-THOR kitchens have four of.
 */
function defaultCount(type: string): number {
  return type === 'StoveBurner' ? 4 : 1;
}

function countOf(type: string, counts: Record<string, number>): number {
  const key = type === 'SinkBasin' ? 'Sink' : type === 'BathtubBasin' ? 'Bathtub' : type;
  return counts[key] ?? defaultCount(type);
}

function buildPlan(name: string): FloorPlan {
  const raw = RAW[name]!;
  const number = Number(name.replace('FloorPlan', ''));
  const kind = roomKindOf(number);
  if (kind === null) throw new RangeError(`floor plan ${name} has no room kind`);
  const objects = new Set(raw.objects);
  const receptacles = new Map<string, number>();
  for (const type of [...objects].sort())
    if (RECEPTACLE_TYPES.has(type)) receptacles.set(type, countOf(type, raw.openableReceptacles));
  return { name, number, kind, seen: isSeenPlan(number), objects, receptacles };
}

/** All floor plans, by plan number. */
export const FLOOR_PLANS: readonly FloorPlan[] = Object.keys(RAW)
  .map(buildPlan)
  .sort((a, b) => a.number - b.number);

export function floorPlan(name: string): FloorPlan {
  const plan = FLOOR_PLANS.find((p) => p.name === name);
  if (!plan) throw new RangeError(`unknown floor plan ${name}`);
  return plan;
}
