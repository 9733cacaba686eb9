/**
 * The logic `createRolloutActor` runs: the rollout machine, with two events
 * handled without a machine macrostep:
 * - `turn`: emitted straight to the actor's listeners. A turn changes nothing
 *   in the rollout's state (the machine's only handling of it is the
 *   `forwardTurn` emit), and it comes once per LLM call.
 * - a trial's done event, unless it is the last one (the machine then ends
 *   the rollout): the machine's `collect`, `launch` and `inFlightChanged`
 *   applied in its order, through the same update functions
 *   (`collectUpdate`, `trialsToStart` in rollout.ts) (the record stored, the trial child stopped, the
 *   `trial` and `task` emits deferred, the next trials spawned and started
 *   after the step as XState spawns, trial-xstate.ts). Its macrostep (four
 *   snapshot rebuilds, two copies of the children map, microstep sets, the
 *   eventless `allDone` check) cost about as much as a short trial's turns.
 * The machine steps it skips were a sizeable share of the engine's cost over
 * a plain loop (bench:engine). Every other event, the snapshot, persistence
 * and restore are the machine's own. A rollout actor created from
 * `rolloutMachine` or `rolloutWithPolicy` directly keeps the machine path; both
 * emit the same events (test/actors/rollout.test.ts). The done fast path is
 * taken only when `collect`, `launch` and the `allDone` guard are ours and
 * `inFlightChanged` is a plain function. Written as XState ActorLogic (the
 * documented interface of custom actors), delegating to the machine.
 */
import type { ActorLogic, ActorScope, ActorSystem, AnyActorLogic, AnyActorRef, EventObject } from 'xstate';
import type { TrialRecord } from '../streams/types.js';
import type { RolloutEmitted, TurnEmitted } from './events.js';
import {
  collectUpdate,
  type RolloutContext,
  type RolloutEvent,
  type RolloutInput,
  rolloutMachine,
  trialsToStart,
} from './rollout.js';
import {
  type CustomAction,
  copyChildren,
  plainAction,
  spawnChild,
  startSpawned,
  stopChild,
} from './trial-xstate.js';

type Machine = typeof rolloutMachine;
type RolloutSnapshot = ReturnType<Machine['getInitialSnapshot']>;
// biome-ignore lint/suspicious/noExplicitAny: XState's own AnyActorSystem (not exported from the package root)
type AnyActorSystem = ActorSystem<any>;
type Scope = ActorScope<RolloutSnapshot, RolloutEvent, AnyActorSystem, RolloutEmitted>;

export type RolloutLogic = ActorLogic<
  RolloutSnapshot,
  RolloutEvent,
  RolloutInput,
  AnyActorSystem,
  RolloutEmitted
>;

const DONE = 'xstate.done.actor.';

/**
 * A trial's done event as the machine's `collect`, `launch`, `inFlightChanged` apply it, or null when
 * the machine must take it (an unknown child, or the rollout's last trial).
 */
function trialDone(
  snapshot: RolloutSnapshot,
  event: { actorId: string; output: TrialRecord },
  scope: Scope,
  trial: AnyActorLogic,
  inFlightChanged: CustomAction,
): RolloutSnapshot | null {
  const c = snapshot.context;
  const i = c.index[event.actorId];
  if (i === undefined) return null;
  const record = event.output;
  const { results, running, task } = collectUpdate(c, i, event.actorId, record);
  const started = trialsToStart(c, running);
  const next = c.next + started.length;
  if (next >= c.plan.length && running.length + started.length === 0) return null; // allDone: the machine ends it
  const collected: RolloutContext = Object.assign({}, c, { results, running });
  const child = (snapshot.children as Record<string, AnyActorRef | undefined>)[event.actorId];
  const children = copyChildren(snapshot.children, event.actorId);
  if (child) stopChild(scope, child);
  scope.defer(() => scope.emit({ type: 'trial', record }));
  if (task !== null) scope.defer(() => scope.emit({ type: 'task', taskId: record.taskId, records: task }));
  let context = collected;
  const args = { event, self: scope.self, system: scope.system };
  if (started.length > 0) {
    context = Object.assign({}, collected, {
      next,
      running: [...running, ...started.map((t) => t.trialId!)],
    });
    // tell the batcher the new count before the trials start asking
    inFlightChanged({ context, ...args }, undefined);
    for (const input of started) {
      const ref = spawnChild(scope, trial, 'trial', input.trialId!, input);
      children[input.trialId!] = ref;
      startSpawned(scope, ref);
    }
  }
  inFlightChanged({ context, ...args }, undefined);
  return Object.assign({}, snapshot, { context, children }) as RolloutSnapshot;
}

/** `machine` (a provided rollout machine) with turn events and trial ends handled without a machine step. */
export function rolloutLogic(machine: Machine): RolloutLogic {
  const actions = machine.implementations.actions as Record<string, unknown>;
  const ours = rolloutMachine.implementations.actions as Record<string, unknown>;
  const inFlightChanged = plainAction(actions, 'inFlightChanged');
  const trial = (machine.implementations.actors as Record<string, AnyActorLogic>).trial!;
  const fastDone =
    machine.config === rolloutMachine.config &&
    actions.collect === ours.collect &&
    actions.launch === ours.launch &&
    machine.implementations.guards.allDone === rolloutMachine.implementations.guards.allDone;
  return {
    config: machine.config,
    transition: (snapshot, event, scope) => {
      const { type } = event as EventObject;
      if (type === 'turn' && snapshot.status === 'active') {
        scope.emit(event as TurnEmitted);
        return snapshot;
      }
      if (
        fastDone &&
        inFlightChanged !== null &&
        snapshot.status === 'active' &&
        type.startsWith(DONE) &&
        snapshot.value === 'running'
      ) {
        const done = event as unknown as { actorId: string; output: TrialRecord };
        const next = trialDone(snapshot, done, scope, trial, inFlightChanged);
        if (next !== null) return next;
      }
      return machine.transition(snapshot, event, scope as never);
    },
    getInitialSnapshot: (scope, input) => machine.getInitialSnapshot(scope as never, input),
    start: (snapshot) => machine.start(snapshot),
    getPersistedSnapshot: (snapshot, options) => machine.getPersistedSnapshot(snapshot, options as never),
    restoreSnapshot: (persisted, scope) => machine.restoreSnapshot(persisted as never, scope as never),
  };
}
