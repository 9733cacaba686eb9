/**
 * The logic the rollout runs its default trials with: the trial machine, with
 * a reply that continues an attempt applied without a machine macrostep (the
 * same turn functions, context update, turn event, forward and next ask as the
 * machine's `reply` transition in `playing`). Each such reply is one LLM call,
 * and XState's macrostep for it (microstep sets, snapshot rebuild) was most of
 * the engine's per-turn cost over a plain loop (bench:engine). Every other
 * event (the reply that ends an attempt, errors, retries, stop), the snapshot,
 * persistence and restore are the machine's own; another machine (the composed
 * trial, a custom one) or one whose `applyPlay`, `emitTurn`, `forwardTurn` or
 * `ask` were replaced with `provide` is returned as it is. XState inspection
 * sees no microstep for a fast-path reply (the snapshot update and the events
 * are the same). Written as XState ActorLogic, delegating to the machine.
 */
import type { ActorLogic, ActorScope, AnyActorRef, EventObject } from 'xstate';
import type { TurnEmitted } from './events.js';
import type { ReplyEvent } from './policy-actor.js';
import { turnTarget } from './shared.js';
import { trialMachine } from './trial.js';
import type { AttemptRun, TrialContext, TrialEvent, TrialInput } from './trial-config.js';
import { playReply, playRequest } from './turns.js';

type Machine = typeof trialMachine;
type TrialSnapshot = ReturnType<Machine['getInitialSnapshot']>;
type Scope = ActorScope<TrialSnapshot, TrialEvent>;
export type TrialLogic = ActorLogic<TrialSnapshot, TrialEvent, TrialInput, Scope['system'], EventObject>;

const FAST = ['applyPlay', 'emitTurn', 'forwardTurn', 'ask'] as const;

/** The trial context after a reply that continues its attempt, with its turn and next request; else null. */
function continueAttempt(
  c: TrialContext,
  event: ReplyEvent,
): { context: TrialContext; turn: TurnEmitted } | null {
  const run = c.play;
  if (run === null || c.failed !== null || c.request === null || c.request.key !== event.key) return null;
  const t = playReply(run.cfg, run.state, run.history.length, c.request, event.generation);
  if (t.record.done || run.history.length + 1 >= run.cfg.maxTurns) return null;
  const play: AttemptRun = { cfg: run.cfg, state: t.state, history: [...run.history, t.record], done: false };
  const request = playRequest(play.cfg, play.state, play.history);
  const context: TrialContext = Object.assign({}, c, {
    play,
    samples: [...c.samples, t.sample],
    wonAt: t.record.won ? run.cfg.attempt : c.wonAt,
    request,
    tries: 0,
  });
  return { context, turn: { type: 'turn', sample: t.sample } };
}

/** `machine` (a provided default trial machine) with mid-attempt replies applied without a macrostep. */
export function trialLogic(machine: Machine): Machine | TrialLogic {
  const actions = machine.implementations.actions as Record<string, unknown>;
  const ours = trialMachine.implementations.actions as Record<string, unknown>;
  // only our default machine (same states, possibly other actors or other actions provided)
  if (machine.config !== trialMachine.config || FAST.some((name) => actions[name] !== ours[name])) {
    return machine;
  }
  const logic: TrialLogic = {
    config: machine.config,
    transition: (snapshot, event: TrialEvent | EventObject, scope: Scope) => {
      if (event.type === 'reply' && snapshot.status === 'active' && snapshot.value === 'playing') {
        let next: ReturnType<typeof continueAttempt> = null;
        try {
          next = continueAttempt(snapshot.context, event as ReplyEvent);
        } catch (_error) {
          // not lost: the machine path below applies the same reply again and records this failure
          next = null;
        }
        if (next !== null) {
          // the machine's order: forwardTurn and ask run during the step, the emit after it
          const { turn, context } = next;
          turnTarget(context.cfg.reportTo, scope.self, scope.system)?.send(turn);
          (snapshot.children as Record<string, AnyActorRef | undefined>).policy?.send({
            type: 'ask',
            request: context.request!,
          });
          scope.defer(() => scope.emit(turn));
          return Object.assign({}, snapshot, { context }) as TrialSnapshot;
        }
      }
      return machine.transition(snapshot, event as TrialEvent, scope as never);
    },
    getInitialSnapshot: (scope, input) => machine.getInitialSnapshot(scope as never, input),
    start: (snapshot) => machine.start(snapshot),
    getPersistedSnapshot: (snapshot, options) => machine.getPersistedSnapshot(snapshot, options as never),
    restoreSnapshot: (persisted, scope) => machine.restoreSnapshot(persisted as never, scope as never),
  };
  return logic;
}
