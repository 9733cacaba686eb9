/**
 * The logic `createRolloutActor` runs: the rollout machine, with its `turn`
 * events emitted straight to the actor's listeners instead of through a
 * machine macrostep. A turn changes nothing in the rollout's state (the
 * machine's only handling of it is the `forwardTurn` emit), and it comes once
 * per LLM call, so the machine step it skips (snapshot, microstep sets,
 * eventless check) was a sizeable share of the engine's per-turn cost
 * (bench:engine). Every other event, the snapshot, persistence and restore
 * are the machine's own. A rollout actor created from `rolloutMachine` or
 * `rolloutWithPolicy` directly keeps the machine path; both emit the same
 * events. Written as XState ActorLogic (the documented interface of custom
 * actors), delegating to the machine.
 */
import type { ActorLogic, ActorScope, EventObject } from 'xstate';
import type { RolloutEmitted, TurnEmitted } from './events.js';
import type { RolloutEvent, RolloutInput, rolloutMachine } from './rollout.js';

type Machine = typeof rolloutMachine;
type RolloutSnapshot = ReturnType<Machine['getInitialSnapshot']>;

export type RolloutLogic = ActorLogic<
  RolloutSnapshot,
  RolloutEvent,
  RolloutInput,
  ActorScope<RolloutSnapshot, RolloutEvent>['system'],
  RolloutEmitted
>;

/** `machine` (a provided rollout machine) with turn events emitted without a machine step. */
export function rolloutLogic(machine: Machine): RolloutLogic {
  return {
    config: machine.config,
    transition: (snapshot, event, scope) => {
      if ((event as EventObject).type === 'turn' && snapshot.status === 'active') {
        scope.emit(event as TurnEmitted);
        return snapshot;
      }
      return machine.transition(snapshot, event, scope as never);
    },
    getInitialSnapshot: (scope, input) => machine.getInitialSnapshot(scope as never, input),
    start: (snapshot) => machine.start(snapshot),
    getPersistedSnapshot: (snapshot, options) => machine.getPersistedSnapshot(snapshot, options as never),
    restoreSnapshot: (persisted, scope) => machine.restoreSnapshot(persisted as never, scope as never),
  };
}
