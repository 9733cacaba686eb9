/**
 * What the rollout machine (rollout.ts) does when a trial ends, as plain functions over its context: store
 * the record, give the slot the plan's next trial, and the actions that follow (`collectActions`: the
 * context update, the slot's `run`, the `trial` and `task` events, and the batcher's new count when the
 * number in flight changed). One function for both ways a rollout is built: `rolloutMachine`'s own
 * `collect`, and the wired rollout's (provide.ts), which first emits the turns its trials' relay still holds.
 *
 * Why one action per trial end with named, parameterised actions (since 2026-12-07, session 11): the end
 * was three actions (`drainTurns`, `collect`, `inFlightChanged`), two of them `enqueueActions` (each builds
 * its `enqueue` helpers, a dozen closures) and `collect` built an action with each `enqueue.assign` /
 * `sendTo` / `emit` call; the batcher's count is unchanged when the slot gets a next trial.
 */
import type { AnyActorRef } from 'xstate';
import type { TrialRecord } from '../streams/types.js';
import type { TaskEmitted, TrialEmitted } from './events.js';
import type { LaneReport, LaneRunEvent } from './lane.js';
import type { RolloutContext } from './rollout.js';
import { describeFailure } from './shared.js';
import type { TrialInput } from './trial-config.js';

/** The record of a trial whose actor crashed: no samples, `failed` set. */
function failedRecord(plan: TrialInput, error: unknown): TrialRecord {
  return {
    taskId: plan.taskId!,
    groupId: plan.groupId!,
    trialId: plan.trialId!,
    envId: plan.envId,
    taskType: plan.envId,
    seed: plan.seed,
    attempts: plan.schedule ? plan.schedule.filter((s) => s.phase === 'play').length : (plan.attempts ?? 3),
    samples: [],
    wonAt: null,
    failed: describeFailure(error),
  };
}

/* The context updates of the machine's `collect` and `launch` actions, as pure functions. */

/** `slots` with `trialId` in `lane`'s `slot`: new objects for the map and that lane's entry, the rest shared. */
function withSlot(
  slots: RolloutContext['slots'],
  lane: string,
  slot: string,
  trialId: string,
): Record<string, Record<string, string>> {
  const entry = Object.assign({}, slots?.[lane]);
  entry[slot] = trialId;
  const next = Object.assign({}, slots);
  next[lane] = entry;
  return next;
}

/**
 * A finished trial's record stored at plan index `i`, its id in `running` replaced by `next`'s (or
 * removed when the plan has no next trial); returns all of its task's records once complete, else
 * null. In place: `results` (one entry per trial of the plan) and `running` (one per trial in
 * flight) are the machine's own arrays, and copying them at every trial end cost O(plan x
 * concurrency) (64 MB copied over a 4096-trial plan at 2048 in flight, bench:cluster). A persisted
 * snapshot shares them: serialise it at once (JSON, as `getPersistedSnapshot` callers do), not later.
 */
export function collectUpdate(
  c: RolloutContext,
  i: number,
  trialId: string,
  record: TrialRecord,
  next: TrialInput | null,
): TrialRecord[] | null {
  const { results, running } = c;
  results[i] = record;
  const slot = running.indexOf(trialId);
  if (slot !== -1) {
    if (next !== null) running[slot] = next.trialId!;
    else {
      running[slot] = running[running.length - 1]!;
      running.pop();
    }
  } else if (next !== null) running.push(next.trialId!);
  const group = c.taskTrials[record.taskId] ?? [];
  return group.every((j) => results[j] !== null) ? group.map((j) => results[j]!) : null;
}

/** The next trials of the plan that fit beside `running` under the concurrency limit. */
export function trialsToStart(c: RolloutContext, running: readonly string[]): TrialInput[] {
  const started: TrialInput[] = [];
  for (let i = c.next; running.length + started.length < c.concurrency && i < c.plan.length; i++) {
    started.push(c.plan[i]!);
  }
  return started;
}

/** The named actions {@link collectActions} enqueues (the rollout machine's, rollout.ts). */
export type CollectAction =
  | { type: 'advance'; params: Pick<RolloutContext, 'next' | 'slots'> }
  | { type: 'sendRun'; params: { to: AnyActorRef | string; run: LaneRunEvent } }
  | { type: 'emitReport'; params: TrialEmitted | TaskEmitted }
  | 'inFlightChanged';

/**
 * A trial ended (`event`, from its lane or from a served trial itself): store its record and enqueue what
 * follows: the context update (`advance`: the plan's next trial and the slot it goes to), the slot's next
 * trial (`sendRun`: to the slot's actor when it reported itself and waits, a served trial, else to its
 * lane), the `trial` event and, when the task's trials are all in, its `task` event (`emitReport`), and
 * `inFlightChanged` when the number of trials in flight changed (no next trial for the slot).
 */
export function collectActions(
  c: RolloutContext,
  event: LaneReport,
  enqueue: (action: CollectAction) => void,
): void {
  const e = event;
  // a lane does not see the `run` its served trials get from here: the slot's trial is named by `slots`
  const trialId = e.type === 'lane.error' ? (c.slots?.[e.lane]?.[e.slot] ?? e.trialId) : e.trialId;
  const i = c.index[trialId];
  if (i === undefined) return;
  const record = e.type === 'lane.done' ? e.record : failedRecord(c.plan[i]!, e.error);
  const trial = c.next < c.plan.length ? c.plan[c.next]! : null;
  const inFlight = c.running.length;
  const task = collectUpdate(c, i, trialId, record, trial);
  if (trial !== null) {
    enqueue({
      type: 'advance',
      params: { next: c.next + 1, slots: withSlot(c.slots, e.lane, e.slot, trial.trialId!) },
    });
    const run: LaneRunEvent = { type: 'run', slot: e.slot, trial };
    enqueue({
      type: 'sendRun',
      params: { to: e.type === 'lane.done' && e.actor !== undefined ? e.actor : e.lane, run },
    });
  }
  enqueue({ type: 'emitReport', params: { type: 'trial', record } });
  if (task !== null)
    enqueue({ type: 'emitReport', params: { type: 'task', taskId: record.taskId, records: task } });
  if (c.running.length !== inFlight) enqueue('inFlightChanged');
}
