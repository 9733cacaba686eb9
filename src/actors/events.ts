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

export interface TurnEmitted {
  type: 'turn';
  sample: TurnSample;
}

export interface TrialEmitted {
  type: 'trial';
  record: TrialRecord;
}

export interface TaskEmitted {
  type: 'task';
  taskId: string;
  records: TrialRecord[];
}

export interface DoneEmitted {
  type: 'done';
}

export type EpisodeEmitted = TurnEmitted;
export type TrialMachineEmitted = TurnEmitted | TrialEmitted;
export type RolloutEmitted = TurnEmitted | TrialEmitted | TaskEmitted | DoneEmitted;
