/**
 * What XState 5 does when a machine spawns a child and when a machine that
 * reached its final state stops its children, for the fast paths of
 * trial-actor.ts and rollout-actor.ts, which compute those steps without a
 * macrostep. Mirrors `resolveSpawn`/`executeSpawn` and `stopChildren` →
 * `resolveStop`/`executeStop` of xstate 5.x (dist `raise-*.js`); the
 * equality tests (test/actors/trial-actor.test.ts, rollout.test.ts) compare
 * both paths, so an XState upgrade that changes them shows there.
 */
import { type AnyActorLogic, type AnyActorRef, createActor } from 'xstate';

/** XState's `ProcessingStatus.Running` (internal, not exported). */
const RUNNING = 1;
/** XState's `ProcessingStatus.Stopped`. */
const STOPPED = 2;

interface Internal {
  _processingStatus: number;
  getSnapshot(): { children?: Record<string, AnyActorRef> } | undefined;
}

interface Scope {
  self: AnyActorRef;
  system: unknown;
  defer(fn: () => void): void;
  stopChild(child: AnyActorRef): void;
}

/** The child a machine's `spawnChild(src, { id, input })` creates (not started; see `startSpawned`). */
export function spawnChild(
  scope: Scope,
  logic: AnyActorLogic,
  src: string,
  id: string,
  input: unknown,
): AnyActorRef {
  return createActor(logic, {
    id,
    src,
    parent: scope.self,
    syncSnapshot: false,
    systemId: undefined,
    input,
  } as never) as unknown as AnyActorRef;
}

/** `executeSpawn`: start the child once the step is over, unless it was stopped meanwhile. */
export function startSpawned(scope: Scope, child: AnyActorRef): void {
  scope.defer(() => {
    if ((child as unknown as Internal)._processingStatus === STOPPED) return;
    child.start();
  });
}

function unregisterRecursively(system: { _unregister(ref: AnyActorRef): void }, ref: AnyActorRef): void {
  const snapshot = (ref as unknown as Internal).getSnapshot();
  if (snapshot && 'children' in snapshot) {
    for (const child of Object.values(snapshot.children ?? {})) unregisterRecursively(system, child);
  }
  system._unregister(ref);
}

/** `executeStop` of one child: unregistered now, stopped now if not running, else after the step. */
export function stopChild(scope: Scope, child: AnyActorRef): void {
  unregisterRecursively(scope.system as { _unregister(ref: AnyActorRef): void }, child);
  if ((child as unknown as Internal)._processingStatus !== RUNNING) {
    scope.stopChild(child);
    return;
  }
  scope.defer(() => scope.stopChild(child));
}

/**
 * A copy of a snapshot's `children` without `drop`, for a step that then adds spawned children (XState
 * copies them with a spread). Built as a dictionary-mode object: the rollout's children are keyed by
 * trial ids never seen before, and on V8 a fast-mode copy creates one hidden class per key, measured
 * ~65 µs for 64 children against ~10 µs this way. Same keys, values and order.
 */
export function copyChildren(
  children: Record<string, AnyActorRef | undefined>,
  drop: string,
): Record<string, AnyActorRef | undefined> {
  const copy: Record<string, AnyActorRef | undefined> = { a: undefined, b: undefined };
  delete copy.a; // deleting a property other than the last one switches V8 to dictionary mode
  delete copy.b;
  for (const id in children) if (id !== drop) copy[id] = children[id];
  return copy;
}

/** A custom action as XState calls it: `(args, params)`. */
export type CustomAction = (args: Record<string, unknown>, params: undefined) => void;

/**
 * The named action `name` of `actions` when it is a plain function that a fast path may call itself
 * (XState's built-in actions such as `assign` carry a `resolve`), else null.
 */
export function plainAction(actions: Record<string, unknown>, name: string): CustomAction | null {
  const action = actions[name];
  return typeof action === 'function' && !('resolve' in action) ? (action as CustomAction) : null;
}
