/**
 * Events the machines emit (XState `emit`; listen with `actor.on(type, fn)`),
 * consumed by the stream bridge. Type-only module.
 *
 * - `turn`: after each LLM call is processed (play or reflect). Reflect
 *   samples carry the attempt reflected on and `turn` = its number of play turns.
 * - `trial`: when a trial ends (won, out of attempts, or failed).
 * - `task`: when all trials of a task (one group) ended; records in trial order.
 * - `done`: when the rollout ends.
 *
 * The episode and reflector machines emit `turn`; the trial machine emits
 * `turn` and `trial`; the rollout machine emits all four.
 */
import type { TrialRecord, TurnSample } from '../streams/types.js';

/** Emitted after each LLM call (play or reflect turn) with its sample. */
export interface TurnEmitted {
  type: 'turn';
  sample: TurnSample;
}

/** Emitted when a trial ends (won, out of attempts, or failed) with its record. */
export interface TrialEmitted {
  type: 'trial';
  record: TrialRecord;
}

/** Emitted by the rollout when all trials of a task ended; `records` in trial order. */
export interface TaskEmitted {
  type: 'task';
  taskId: string;
  records: TrialRecord[];
}

/** Emitted by the rollout when it ends (a kept one, `RolloutInput.keep`: when its last trial ended). */
export interface DoneEmitted {
  type: 'done';
  /** A kept rollout's records in plan order (it has no output: it waits for the next rollout). */
  records?: TrialRecord[];
}

/** What the episode and reflector machines emit. */
export type EpisodeEmitted = TurnEmitted;
/** What a trial machine emits. */
export type TrialMachineEmitted = TurnEmitted | TrialEmitted;
/** What the rollout machine emits (listen with `actor.on(type, fn)`). */
export type RolloutEmitted = TurnEmitted | TrialEmitted | TaskEmitted | DoneEmitted;
