/**
 * Runs with their live metric stream, for library users: `startTraining` and
 * `startEval` start the run and return its live log at once, so
 * `liveMetrics(run)` can be subscribed to while it goes (late subscribers
 * get the whole stream from the start).
 */
import { type EvalIO, type EvalOptions, type EvalResult, runEval } from '../cli/eval-run.js';
import type { TrainConfig } from '../train/config.js';
import { runTraining, type TrainOptions, type TrainResult } from '../train/loop.js';
import { LiveLog, type WithLiveLog } from './log.js';

export interface LiveRun<T> extends WithLiveLog {
  /** The run's result; rejects with its failure. */
  done: Promise<T>;
}

/** Starts a training run and returns its live log at once (`done` resolves with the result); `liveMetrics(run)` streams its events. */
export function startTraining(
  config: TrainConfig,
  options: Omit<TrainOptions, 'liveLog'>,
): LiveRun<TrainResult> {
  const live = new LiveLog();
  return { live, done: runTraining(config, { ...options, liveLog: live }) };
}

/** Starts an evaluation run and returns its live log at once (`done` resolves with the result); `liveMetrics(run)` streams its events. */
export function startEval(options: EvalOptions, io: Omit<EvalIO, 'liveLog'>): LiveRun<EvalResult> {
  const live = new LiveLog();
  return { live, done: runEval(options, { ...io, liveLog: live }) };
}
