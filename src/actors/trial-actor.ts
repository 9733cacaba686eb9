/**
 * The logic the rollout runs its default trials with: the trial machine, with
 * a reply in `playing` or `reflecting` applied without a machine macrostep
 * when it leads to `playing` or `reflecting` again without a failure: a reply
 * that continues an attempt, the last reply of an attempt followed by a
 * reflection or the next attempt, and a reflection followed by the next
 * attempt. It applies the machine's own context updates in the machine's order
 * (the pure functions behind the named actions `applyPlay`, `endAttempt`,
 * `startAttempt`, `preparePlay`, `prepareReflection`, `applyReflection`, and
 * the guards `finished`, `playNext`, `attemptOver`, all in trial-setup.ts),
 * then the turn's forward, the next ask and the deferred turn emit. Each reply
 * is one LLM call, and XState's macrostep for it (microstep sets, eventless
 * transitions, snapshot rebuilds) was most of the engine's per-turn cost over
 * a plain loop (bench:engine). Every other event (a reply that ends the trial
 * or fails, errors, retries, stop), the snapshot format, persistence and
 * restore are the machine's own; another machine (the composed trial, a
 * custom one) or one whose fast-path actions or guards were replaced with
 * `provide` is returned as it is. XState inspection sees no microstep for a
 * fast-path reply (the snapshot updates and the events are the same). Written
 * as XState ActorLogic, delegating to the machine.
 */
import type { ActorLogic, ActorScope, AnyActorRef, EventObject } from 'xstate';
import type { TurnEmitted } from './events.js';
import type { ReplyEvent } from './policy-actor.js';
import { turnTarget } from './shared.js';
import { trialMachine } from './trial.js';
import type { TrialContext, TrialEvent, TrialInput } from './trial-config.js';
import {
  applyPlayUpdate,
  applyReflectionUpdate,
  attemptOver,
  endAttemptUpdate,
  finished,
  playNext,
  preparePlayUpdate,
  prepareReflectionUpdate,
  startAttemptUpdate,
} from './trial-setup.js';

type Machine = typeof trialMachine;
type TrialSnapshot = ReturnType<Machine['getInitialSnapshot']>;
type Scope = ActorScope<TrialSnapshot, TrialEvent>;
export type TrialLogic = ActorLogic<TrialSnapshot, TrialEvent, TrialInput, Scope['system'], EventObject>;

/** The named implementations this logic applies itself: any of them replaced keeps the machine path. */
const FAST_ACTIONS = [
  'applyPlay',
  'emitTurn',
  'forwardTurn',
  'ask',
  'endAttempt',
  'startAttempt',
  'preparePlay',
  'prepareReflection',
  'applyReflection',
] as const;
const FAST_GUARDS = ['finished', 'playNext', 'attemptOver'] as const;

type Own = 'playing' | 'reflecting';

/** What a reply does without leaving the trial's own states: the state entered, its context, the turn. */
interface FastStep {
  value: Own;
  context: TrialContext;
  turn: TurnEmitted;
}

// each assign of the machine: the context with the action's partial update (XState's own merge)
const merge = (c: TrialContext, update: Partial<TrialContext>): TrialContext => Object.assign({}, c, update);

/**
 * The machine's `next` state after an attempt or a reflection: the state it enters (with its entry
 * actions' context), or null when the trial ends or fails there (left to the machine).
 */
function enterNext(c: TrialContext): { value: Own; context: TrialContext } | null {
  if (finished(c)) return null;
  if (playNext(c)) {
    const started = merge(c, startAttemptUpdate(c));
    if (started.failed !== null) return null;
    const prepared = merge(started, preparePlayUpdate(started));
    return prepared.failed !== null || attemptOver(prepared) ? null : { value: 'playing', context: prepared };
  }
  const reflecting = merge(c, prepareReflectionUpdate(c));
  return reflecting.failed !== null ? null : { value: 'reflecting', context: reflecting };
}

/**
 * A reply in `playing` or `reflecting` as the machine's macrostep applies it (the same context
 * updates, in order), when it ends in one of those states without a failure; else null.
 */
function fastStep(value: unknown, c: TrialContext, event: ReplyEvent): FastStep | null {
  if (c.failed !== null || c.request === null || c.request.key !== event.key) return null;
  let applied: TrialContext;
  let next: { value: Own; context: TrialContext } | null;
  if (value === 'playing' && c.play !== null) {
    applied = merge(c, applyPlayUpdate(c, event));
    if (applied.failed !== null) return null;
    next = attemptOver(applied)
      ? enterNext(merge(applied, endAttemptUpdate(applied)))
      : { value: 'playing', context: applied };
  } else if (value === 'reflecting' && c.reflect !== null) {
    applied = merge(c, applyReflectionUpdate(c, event));
    if (applied.failed !== null) return null;
    next = enterNext(applied);
  } else {
    return null;
  }
  if (next === null) return null;
  const sample = applied.samples[applied.samples.length - 1]!;
  return { value: next.value, context: next.context, turn: { type: 'turn', sample } };
}

/** `machine` (a provided default trial machine) with replies applied without a macrostep where they can be. */
export function trialLogic(machine: Machine): Machine | TrialLogic {
  const actions = machine.implementations.actions as Record<string, unknown>;
  const ours = trialMachine.implementations.actions as Record<string, unknown>;
  const guards = machine.implementations.guards as Record<string, unknown>;
  const ourGuards = trialMachine.implementations.guards as Record<string, unknown>;
  // only our default machine (same states, possibly other actors or other actions provided)
  if (
    machine.config !== trialMachine.config ||
    FAST_ACTIONS.some((name) => actions[name] !== ours[name]) ||
    FAST_GUARDS.some((name) => guards[name] !== ourGuards[name])
  ) {
    return machine;
  }
  // the active state nodes of each own state, as the machine's snapshots hold them
  const nodes = {
    playing: machine.resolveState({ value: 'playing', context: {} as TrialContext })._nodes,
    reflecting: machine.resolveState({ value: 'reflecting', context: {} as TrialContext })._nodes,
  };
  const logic: TrialLogic = {
    config: machine.config,
    transition: (snapshot, event: TrialEvent | EventObject, scope: Scope) => {
      if (event.type === 'reply' && snapshot.status === 'active') {
        let next: FastStep | null = null;
        try {
          next = fastStep(snapshot.value, snapshot.context, event as ReplyEvent);
        } catch (_error) {
          // not lost: the machine path below applies the same reply again and records this failure
          next = null;
        }
        if (next !== null) {
          // the machine's order: forwardTurn and ask run during the step, the emit after it
          const { turn, context, value } = next;
          turnTarget(context.cfg.reportTo, scope.self, scope.system)?.send(turn);
          if (context.request !== null) {
            (snapshot.children as Record<string, AnyActorRef | undefined>).policy?.send({
              type: 'ask',
              request: context.request,
            });
          }
          scope.defer(() => scope.emit(turn));
          if (value === snapshot.value) return Object.assign({}, snapshot, { context }) as TrialSnapshot;
          return Object.assign({}, snapshot, { context, value, _nodes: nodes[value] }) as TrialSnapshot;
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
