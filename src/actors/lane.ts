/**
 * A lane: up to LANE_TRIALS of a rollout's trials in flight, as its children.
 * The rollout spawns ceil(concurrency / LANE_TRIALS) lanes, each with its
 * first trials; a lane runs each trial it is given in one of its slots (a
 * spawned `trial` child, swappable with `provide`), tells the rollout how it
 * ended (`lane.done` with the record, or `lane.error`), and starts the next
 * one the rollout sends into that slot (`run`). Persisted with the rollout
 * (its trials are its children). A turn event (or a batch's `turns`) that
 * reaches the lane (a rollout without a system id, whose trials report to
 * their parent) goes on to the rollout.
 *
 * Why lanes, not every trial a child of the rollout: XState copies a machine's
 * `children` object on every spawn and every stop (and one with a key deleted
 * is slow to copy), so with N trials in flight each trial started and ended cost
 * O(N): 18% and 23% of the engine's CPU at 512 and 2048 in flight
 * (bench:cluster's engine alone, `--cpu-prof`). A lane's children are at most
 * LANE_TRIALS, and the rollout's are the lanes, spawned once and stopped once.
 *
 * Why slots: a trial's actor id is its slot (`slot0` ... `slot15`). A served
 * trial (servedTrialMachine, the default in a rollout) ends without a final state:
 * it reports its end straight to the rollout (the `lane.done` this lane would
 * send, naming the actor) and waits, and the rollout sends the next trial of its
 * slot to that same actor (`run`), without this lane: two events a trial, not four
 * (since 2026-12-07, session 10; ~7% of the engine's own CPU a MineSweeper turn). So a
 * slot's trials share one actor (until
 * 2026-12-07 every trial was a new actor: constructing, initialising and
 * stopping it, and the done event it sent, were ~8% of the engine's own CPU per
 * MineSweeper turn, bench:engine). Any other trial machine ends in a final state,
 * and the next trial in that slot, a new actor, replaces it in `children` under
 * the same id; the lane stops no trial (one that ended is stopped already: XState
 * stops an actor when it reaches its final state or fails), it only drops them
 * all when it stops. A
 * stop deletes a key from `children`, which leaves the object in V8's slow
 * dictionary mode, so every later copy of it was slow; and a unique child id made
 * every trial's `xstate.done.actor.<id>` a new event type, which XState looks up
 * and caches once per type. Both cost ~8 µs a trial (bench:engine, MineSweeper:
 * ~1 µs a turn). The lane keeps each slot's trial id (`context.trials`) to name a
 * trial that failed, as far as it knows: the `run`s the rollout sends a served trial
 * directly pass it by, so the rollout names a crashed trial by its own `slots` (rollout.ts).
 * A served trial reports to this lane (`trial.done`) only when its rollout has no
 * system id to send to. An ended trial stays in its slot until the next one or the
 * lane's end, so a snapshot can hold one: restored, it is not started again
 * (XState starts a restored machine's active children only; a served trial waiting
 * for its next trial is started but runs no entry action again, and its record is
 * handed over already), so its end is not reported twice.
 *
 * Each lane also invokes one `policyPort` (served.ts; id `policy`, never a slot id):
 * when the rollout serves its trials' policy calls itself (`rolloutWithPolicy`), the port withdraws the
 * lane's open requests when it stops and has restored trials ask theirs again.
 */
import { type AnyActorRef, assign, enqueueActions, sendParent, setup } from 'xstate';
import type { TrialRecord } from '../streams/types.js';
import type { TurnEmitted } from './events.js';
import { policyPort } from './served.js';
import { trialMachine } from './trial.js';
import type { TrialDoneEvent, TrialInput } from './trial-config.js';
import type { TurnsEvent } from './turn-relay.js';

/** Most trials one lane runs at once. */
export const LANE_TRIALS = 16;

/** Rollout → lane: start this trial in this slot (the slot of the lane's trial that ended). */
export interface LaneRunEvent {
  type: 'run';
  slot: string;
  trial: TrialInput;
}

/**
 * Rollout → lane: the first trials of a kept rollout's next one (rollout.ts `keep`), trial k in slot k, as
 * a `run` each (one event for the lane's trials, not one each).
 */
export interface LaneRunsEvent {
  type: 'runs';
  trials: TrialInput[];
}

/**
 * Lane → rollout: the trial ended with this record. A served trial sends it itself (trial-setup.ts
 * `reportEnd`), naming its actor, which waits in its slot for the next trial.
 */
export interface LaneDoneEvent {
  type: 'lane.done';
  lane: string;
  /** The trial's slot in the lane (the rollout's `run` for the next trial names it). */
  slot: string;
  trialId: string;
  record: TrialRecord;
  /** The slot's actor, waiting for the slot's next trial: the rollout sends it `run` itself (not via the lane). */
  actor?: AnyActorRef;
}

/** Lane → rollout: the trial's actor crashed (the rollout records it as failed). */
export interface LaneErrorEvent {
  type: 'lane.error';
  lane: string;
  slot: string;
  trialId: string;
  error: unknown;
}

/** What a lane tells its rollout. */
export type LaneReport = LaneDoneEvent | LaneErrorEvent;

/** Context of {@link laneMachine} (plain JSON): the trials it started with, and each slot's trial id. */
export interface LaneContext {
  first: TrialInput[];
  /**
   * Trial id of each slot's latest trial, by slot id (`slot0` ...). A lane persisted before lanes had slots
   * has none: its children's ids are their trial ids, and it restores and goes on with them as slots.
   */
  trials: Record<string, string>;
}

/** The id of slot `k` of a lane. */
const slotId = (k: number): string => `slot${k}`;

type TrialDone = { type: `xstate.done.actor.${string}`; actorId: string; output: TrialRecord };
type TrialError = { type: `xstate.error.actor.${string}`; actorId: string; error: unknown };

/**
 * The actor in `slot` when it waits for the slot's next trial (a served trial whose trial is over,
 * trial.ts: it takes `run`), else undefined (an empty slot, an ended or failed actor, a trial machine that ends in a
 * final state): then the next trial gets a new actor.
 */
function waitingTrial(lane: AnyActorRef, slot: string, run: LaneRunEvent): AnyActorRef | undefined {
  const child = (lane.getSnapshot().children as Record<string, AnyActorRef | undefined>)[slot];
  const snapshot = child?.getSnapshot();
  return snapshot?.status === 'active' && snapshot.can?.(run) === true ? child : undefined;
}

/**
 * Up to {@link LANE_TRIALS} trials of a rollout at once: starts its input trials, then each one a
 * `run` event gives it, and reports every trial's end to its parent (`lane.done` / `lane.error`).
 */
export const laneMachine = setup({
  types: {
    input: {} as TrialInput[],
    context: {} as LaneContext,
    events: {} as
      | LaneRunEvent
      | LaneRunsEvent
      | TurnEmitted
      | TurnsEvent
      | TrialDone
      | TrialError
      | TrialDoneEvent,
  },
  // `policyPort`: one per lane, for trials its rollout serves (served.ts); by default it does nothing
  actors: { trial: trialMachine, policyPort: policyPort(null) },
  actions: {
    startFirst: assign(({ context, spawn }) => {
      context.first.forEach((input, k) => {
        spawn('trial', { id: slotId(k), input, syncSnapshot: false });
      });
      return {};
    }),
    // the next trial of a slot whose trial ended (`run`), or of each slot (`runs`): its actor plays it when it
    // waits for one (a served trial), else a new actor replaces the ended one in `children` (same id, no stop)
    run: enqueueActions(({ context, event, self, enqueue }) => {
      const runs: LaneRunEvent[] =
        event.type === 'runs'
          ? (event as LaneRunsEvent).trials.map((trial, k) => ({ type: 'run', slot: slotId(k), trial }))
          : [event as LaneRunEvent];
      const trials = Object.assign({}, context.trials);
      const spawned: LaneRunEvent[] = [];
      for (const run of runs) {
        trials[run.slot] = run.trial.trialId!;
        const waiting = waitingTrial(self, run.slot, run);
        if (waiting !== undefined) enqueue.sendTo(waiting, run);
        else spawned.push(run);
      }
      // the new actors spawned and recorded in one context update
      enqueue.assign(({ spawn }) => {
        for (const run of spawned) spawn('trial', { id: run.slot, input: run.trial, syncSnapshot: false });
        return { trials };
      });
    }),
    report: sendParent(({ context, event, self }) => {
      const e = event as TrialDone | TrialError | TrialDoneEvent;
      const slot = e.type === 'trial.done' ? e.slot : e.actorId;
      // (a lane persisted before slots has no `trials`: its children's ids are their trial ids)
      const trialId = context.trials?.[slot] ?? slot;
      if (e.type === 'trial.done')
        return { type: 'lane.done', lane: self.id, slot, trialId, record: e.record };
      return 'output' in e
        ? { type: 'lane.done', lane: self.id, slot, trialId, record: e.output }
        : { type: 'lane.error', lane: self.id, slot, trialId, error: e.error };
    }),
    forwardTurn: sendParent(({ event }) => event as TurnEmitted),
    forwardTurns: sendParent(({ event }) => event as TurnsEvent),
  },
}).createMachine({
  id: 'lane',
  context: ({ input }) => ({
    first: input,
    trials: Object.fromEntries(input.map((t, k) => [slotId(k), t.trialId!])),
  }),
  // spawned after the entry's trials; a restored lane starts it after them, so they get `resume` started
  invoke: { id: 'policy', src: 'policyPort' },
  entry: 'startFirst',
  on: {
    run: { actions: 'run' },
    runs: { actions: 'run' },
    turn: { actions: 'forwardTurn' },
    turns: { actions: 'forwardTurns' },
    'xstate.done.actor.*': { actions: 'report' },
    'trial.done': { actions: 'report' },
    'xstate.error.actor.*': { actions: 'report' },
  },
});
