/**
 * Named points of a training run, in run order, where a hook can act: tests kill the process at
 * each (test/train/resume.test.ts) to check that a run resumed from any of them loses nothing and
 * ends as an uninterrupted run does.
 */
import { type AtomicWriteOptions, beforeEachWrite } from '../learner/atomic-write.js';

/** A named point of a training run (in run order), where `TrainHooks.at` is called. */
export type TrainPhase =
  /** After a warm-start step's update, before its checkpoint. */
  | 'warmstart'
  /** While a warm-start checkpoint's files are written. */
  | 'warmstart-checkpoint'
  /** While the finished warm start is validated (its report not yet written). */
  | 'warmstart-validation'
  /** During a step's rollout (when its first trial ends). */
  | 'rollout'
  /** While the step's PPO update runs. */
  | 'update'
  /** While the step's validation runs. */
  | 'validation'
  /** While the history file is rewritten with the step's line. */
  | 'history'
  /** While the step's checkpoint files are written. */
  | 'checkpoint';

/** Callbacks at named points of a run (`TrainOptions.hooks`): tests kill the process there. */
export interface TrainHooks {
  /** Called at each phase of each step (`step`: the training step, or the warm-start step). */
  at?(phase: TrainPhase, step: number): void;
}

/** Atomic-write options that call the hook before each chunk of a file (a kill there leaves it half-written). */
export function writesAt(hooks: TrainHooks | undefined, phase: TrainPhase, step: number): AtomicWriteOptions {
  const at = hooks?.at;
  return at ? beforeEachWrite(() => at(phase, step)) : {};
}
