/**
 * The logic the rollout runs its default trials with: the trial machine, with
 * its initial snapshot and every reply in `playing` or `reflecting` that does
 * not fail computed without a machine macrostep: a reply that continues an
 * attempt, the last reply of an attempt followed by a reflection or the next
 * attempt, a reflection followed by the next attempt, and the reply that ends
 * the trial (a win, or the last attempt over). It applies the machine's own
 * context updates in the machine's order (the pure functions behind the named
 * actions `startAttempt`, `preparePlay`, `applyPlay`, `endAttempt`,
 * `prepareReflection`, `applyReflection`, `finish`, and the guards `finished`,
 * `playNext`, `attemptOver`, all in trial-setup.ts), then the machine's effects
 * in its order: the turn's forward, the next ask, `trialEnded`, the deferred
 * emits (`turn`, `trial`), and at the end the policy child stopped as XState
 * stops the children of a machine that reached its final state (trial-xstate.ts).
 * The actor then does with the `done` snapshot what it does with the machine's
 * (observers, the done event with the record to the parent). Each reply is one
 * LLM call and each trial start and end one more macrostep (microstep sets,
 * eventless transitions, snapshot rebuilds): with them the engine kept under
 * half of a plain loop's turn rate (bench:engine). Every other event (a reply
 * that fails, errors, retries, stop), the snapshot format, persistence and
 * restore are the machine's own; another machine (the composed trial, a custom
 * one) or one whose fast-path actions or guards were replaced with `provide`
 * is returned as it is. XState inspection sees no microstep for a fast-path
 * step (the snapshots and the events are the same). Written as XState
 * ActorLogic, delegating to the machine.
 */
import type { ActorLogic, ActorScope, AnyActorLogic, AnyActorRef, EventObject } from 'xstate';
import type { TrialEmitted, TurnEmitted } from './events.js';
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
  finishUpdate,
  initialContext,
  playNext,
  preparePlayUpdate,
  prepareReflectionUpdate,
  startAttemptUpdate,
} from './trial-setup.js';
import { plainAction, spawnChild, startSpawned, stopChild } from './trial-xstate.js';

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
  'finish',
  'reportTrial',
] as const;
const FAST_GUARDS = ['finished', 'playNext', 'attemptOver'] as const;

type Own = 'playing' | 'reflecting';
type Entered = Own | 'done';

/** What a reply does without a failure: the state entered, its context, the turn. */
interface FastStep {
  value: Entered;
  context: TrialContext;
  turn: TurnEmitted;
}

// each assign of the machine: the context with the action's partial update (XState's own merge)
const merge = (c: TrialContext, update: Partial<TrialContext>): TrialContext => Object.assign({}, c, update);

/** The machine's `playing` entry (`startAttempt`, `preparePlay`), or null when the attempt cannot start. */
function enterPlaying(c: TrialContext): TrialContext | null {
  const started = merge(c, startAttemptUpdate(c));
  if (started.failed !== null) return null;
  const prepared = merge(started, preparePlayUpdate(started));
  return prepared.failed !== null || attemptOver(prepared) ? null : prepared;
}

/**
 * The machine's `next` state after an attempt or a reflection: the state it enters (with its entry
 * actions' context: `done` with its record), or null when an attempt or reflection fails to start.
 */
function enterNext(c: TrialContext): { value: Entered; context: TrialContext } | null {
  if (finished(c)) return c.failed !== null ? null : { value: 'done', context: merge(c, finishUpdate(c)) };
  if (playNext(c)) {
    const prepared = enterPlaying(c);
    return prepared === null ? null : { value: 'playing', context: prepared };
  }
  const reflecting = merge(c, prepareReflectionUpdate(c));
  return reflecting.failed !== null ? null : { value: 'reflecting', context: reflecting };
}

/**
 * A reply in `playing` or `reflecting` as the machine's macrostep applies it (the same context
 * updates, in order), when it applies without a failure; else null.
 */
function fastStep(value: unknown, c: TrialContext, event: ReplyEvent): FastStep | null {
  if (c.failed !== null || c.request === null || c.request.key !== event.key) return null;
  let applied: TrialContext;
  let next: { value: Entered; context: TrialContext } | null;
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

/** The machine's `ask` action: the pending request to the policy child. */
function ask(children: Record<string, AnyActorRef | undefined>, context: TrialContext): void {
  if (context.request !== null) children.policy?.send({ type: 'ask', request: context.request });
}

/** `machine` (a provided default trial machine) with its start and replies computed without a macrostep. */
export function trialLogic(machine: Machine): Machine | TrialLogic {
  const actions = machine.implementations.actions as Record<string, unknown>;
  const ours = trialMachine.implementations.actions as Record<string, unknown>;
  const guards = machine.implementations.guards as Record<string, unknown>;
  const ourGuards = trialMachine.implementations.guards as Record<string, unknown>;
  const trialEnded = plainAction(actions, 'trialEnded');
  const generate = (machine.implementations.actors as Record<string, AnyActorLogic>).generate!;
  // only our default machine (same states, possibly other actors, another plain `trialEnded`)
  if (
    machine.config !== trialMachine.config ||
    FAST_ACTIONS.some((name) => actions[name] !== ours[name]) ||
    FAST_GUARDS.some((name) => guards[name] !== ourGuards[name]) ||
    trialEnded === null
  ) {
    return machine;
  }
  // the machine's snapshot of each state (no context, no children) to copy from
  const template = (value: Entered) => machine.resolveState({ value, context: {} as TrialContext });
  const templates = {
    playing: template('playing'),
    reflecting: template('reflecting'),
    done: template('done'),
  };

  const start = (scope: Scope, input: TrialInput): TrialSnapshot | null => {
    const context = enterPlaying(initialContext({ input }));
    if (context === null) return null; // the trial ends at once: the machine's path
    // the root's `invoke` of the policy child, then `playing`'s entry (`ask`, deferred before the start)
    const policy = spawnChild(scope, generate, 'generate', 'policy', undefined);
    const children = { policy };
    scope.defer(() => ask(children, context));
    startSpawned(scope, policy);
    return Object.assign({}, templates.playing, { context, children }) as TrialSnapshot;
  };

  const reply = (snapshot: TrialSnapshot, event: ReplyEvent, scope: Scope): TrialSnapshot | null => {
    let next: FastStep | null = null;
    try {
      next = fastStep(snapshot.value, snapshot.context, event);
    } catch (_error) {
      // not lost: the machine path applies the same reply again and records this failure
      return null;
    }
    if (next === null) return null;
    // the machine's order: forwardTurn and ask (or trialEnded) run during the step, the emits after it
    const { turn, context, value } = next;
    const children = snapshot.children as Record<string, AnyActorRef | undefined>;
    turnTarget(context.cfg.reportTo, scope.self, scope.system)?.send(turn);
    if (value !== 'done') {
      ask(children, context);
      scope.defer(() => scope.emit(turn));
      if (value === snapshot.value) return Object.assign({}, snapshot, { context }) as TrialSnapshot;
      return Object.assign({}, snapshot, {
        context,
        value,
        _nodes: templates[value]._nodes,
      }) as TrialSnapshot;
    }
    trialEnded({ context, event, self: scope.self, system: scope.system }, undefined);
    const record = context.record!;
    scope.defer(() => scope.emit(turn));
    scope.defer(() => scope.emit({ type: 'trial', record } satisfies TrialEmitted as never));
    // a machine in its final state stops its children (XState keeps them in the final snapshot)
    for (const child of Object.values(children)) if (child) stopChild(scope, child);
    const { _nodes } = templates.done;
    return Object.assign({}, snapshot, { status: 'done', output: record, context, value, _nodes });
  };

  const logic: TrialLogic = {
    config: machine.config,
    transition: (snapshot, event: TrialEvent | EventObject, scope: Scope) => {
      if (event.type === 'reply' && snapshot.status === 'active') {
        const next = reply(snapshot, event as ReplyEvent, scope);
        if (next !== null) return next;
      }
      return machine.transition(snapshot, event as TrialEvent, scope as never);
    },
    getInitialSnapshot: (scope, input) => {
      let snapshot: TrialSnapshot | null = null;
      try {
        snapshot = start(scope, input);
      } catch (_error) {
        // not lost: the machine's path below meets the same error and returns its error snapshot
        snapshot = null;
      }
      return snapshot ?? machine.getInitialSnapshot(scope as never, input);
    },
    start: (snapshot) => machine.start(snapshot),
    getPersistedSnapshot: (snapshot, options) => machine.getPersistedSnapshot(snapshot, options as never),
    restoreSnapshot: (persisted, scope) => machine.restoreSnapshot(persisted as never, scope as never),
  };
  return logic;
}
