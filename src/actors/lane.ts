/**
 * A lane: up to LANE_TRIALS of a rollout's trials in flight, as its children.
 * The rollout spawns ceil(concurrency / LANE_TRIALS) lanes, each with its
 * first trials; a lane runs each trial it is given (a spawned `trial` child,
 * id = the trial id, swappable with `provide`), tells the rollout how it ended
 * (`lane.done` with the record, or `lane.error`), and starts the next one the
 * rollout sends (`run`). Persisted with the rollout (its trials are its
 * children). A turn event (or a batch's `turns`) that reaches the lane (a
 * rollout without a system id, whose trials report to their parent) goes on to
 * the rollout.
 *
 * Why lanes, not every trial a child of the rollout: XState copies a machine's
 * `children` object on every spawn and every stop (and one with a key deleted
 * is slow to copy), so with N trials in flight each trial started and ended cost
 * O(N): 18% and 23% of the engine's CPU at 512 and 2048 in flight
 * (bench:cluster's engine alone, `--cpu-prof`). A lane's children are at most
 * LANE_TRIALS, and the rollout's are the lanes, spawned once and stopped once.
 *
 * Each lane also invokes one `policyPort` (served.ts; id `policy`, never a trial id: those hold a `#`):
 * when the rollout serves its trials' policy calls itself (`rolloutWithPolicy`), the port withdraws the
 * lane's open requests when it stops and has restored trials ask theirs again.
 */
import { enqueueActions, sendParent, setup, spawnChild, stopChild } from 'xstate';
import type { TrialRecord } from '../streams/types.js';
import type { TurnEmitted } from './events.js';
import { policyPort } from './served.js';
import { trialMachine } from './trial.js';
import type { TrialInput } from './trial-config.js';
import type { TurnsEvent } from './turn-relay.js';

/** Most trials one lane runs at once. */
export const LANE_TRIALS = 16;

/** Rollout → lane: start this trial. */
export interface LaneRunEvent {
  type: 'run';
  trial: TrialInput;
}

/** Lane → rollout: the trial ended with this record. */
export interface LaneDoneEvent {
  type: 'lane.done';
  lane: string;
  trialId: string;
  record: TrialRecord;
}

/** Lane → rollout: the trial's actor crashed (the rollout records it as failed). */
export interface LaneErrorEvent {
  type: 'lane.error';
  lane: string;
  trialId: string;
  error: unknown;
}

/** What a lane tells its rollout. */
export type LaneReport = LaneDoneEvent | LaneErrorEvent;

/** Context of {@link laneMachine} (plain JSON): the trials it started with. */
export interface LaneContext {
  first: TrialInput[];
}

type TrialDone = { type: `xstate.done.actor.${string}`; actorId: string; output: TrialRecord };
type TrialError = { type: `xstate.error.actor.${string}`; actorId: string; error: unknown };

/**
 * Up to {@link LANE_TRIALS} trials of a rollout at once: starts its input trials, then each one a
 * `run` event gives it, and reports every trial's end to its parent (`lane.done` / `lane.error`).
 */
export const laneMachine = setup({
  types: {
    input: {} as TrialInput[],
    context: {} as LaneContext,
    events: {} as LaneRunEvent | TurnEmitted | TurnsEvent | TrialDone | TrialError,
  },
  // `policyPort`: one per lane, for trials its rollout serves (served.ts); by default it does nothing
  actors: { trial: trialMachine, policyPort: policyPort(null) },
  actions: {
    startFirst: enqueueActions(({ context, enqueue }) => {
      for (const input of context.first) enqueue.spawnChild('trial', { id: input.trialId!, input });
    }),
    // per trial: plain action objects, not `enqueueActions` (which builds its `enqueue` helpers per call)
    start: spawnChild('trial', {
      id: ({ event }) => (event as LaneRunEvent).trial.trialId!,
      input: ({ event }) => (event as LaneRunEvent).trial,
    }),
    stopTrial: stopChild(({ event }) => (event as TrialDone | TrialError).actorId),
    report: sendParent(({ event, self }) => {
      const e = event as TrialDone | TrialError;
      return 'output' in e
        ? { type: 'lane.done', lane: self.id, trialId: e.actorId, record: e.output }
        : { type: 'lane.error', lane: self.id, trialId: e.actorId, error: e.error };
    }),
    forwardTurn: sendParent(({ event }) => event as TurnEmitted),
    forwardTurns: sendParent(({ event }) => event as TurnsEvent),
  },
}).createMachine({
  id: 'lane',
  context: ({ input }) => ({ first: input }),
  // spawned after the entry's trials; a restored lane starts it after them, so they get `resume` started
  invoke: { id: 'policy', src: 'policyPort' },
  entry: 'startFirst',
  on: {
    run: { actions: 'start' },
    turn: { actions: 'forwardTurn' },
    turns: { actions: 'forwardTurns' },
    'xstate.done.actor.*': { actions: ['stopTrial', 'report'] },
    'xstate.error.actor.*': { actions: ['stopTrial', 'report'] },
  },
});
