/** The Trainer's option, step-result and checkpoint-option types (trainer.ts holds the class). */
import type { TurnSample } from '../../streams/types.js';
import type { AtomicWriteOptions } from '../atomic-write.js';
import type { TurnTokens } from './batch.js';
import type { LossKind } from './graphs.js';
import type { TrainerCheckpoint, TrainerSnapshot } from './persist.js';
import type { PreflightIo } from './preflight.js';
import type { StepMeans } from './step.js';

/** Options of {@link Trainer.create}: logger, resume, initial weights, session and I/O hooks. */
export interface TrainerOptions {
  /** Messages (resume, skipped checkpoints, a stopped step); default console.warn. */
  logger?: (message: string) => void;
  /**
   * Continue from the newest usable checkpoint under `config.checkpoint.dir` (damaged ones are
   * skipped with a message; none usable is a NothingToResumeError), or from the one given (as
   * `loadTrainerCheckpoint` returned it).
   */
  resume?: boolean | TrainerCheckpoint;
  /** Start from these weights (with LoRA: adapters) instead of the seeded init (e.g. the warm-start model); ignored on resume. */
  initialParams?: Readonly<Record<string, Float32Array>>;
  /**
   * The reference policy of the KL penalty (`loss.klCoef` > 0): default `initialParams` (also on
   * resume, where they are not the starting weights), else the weights at creation. With LoRA these
   * are adapters; a fresh adapter (B = 0) is the base model itself, so by default the KL is to the base.
   */
  referenceParams?: Readonly<Record<string, Float32Array>>;
  /** The token ids of a turn (default: the ids recorded on the sample); pass the ONNX policy's `trainingTokens`. */
  tokens?: (sample: TurnSample) => TurnTokens;
  /** Replaces the file-system calls of the output-folder check (tests). */
  preflightIo?: Partial<PreflightIo>;
}

/** What one training step did: step and policy version, loss kind, samples and tokens, stale samples, updates, mean loss statistics, checkpoint. */
export interface TrainStats extends StepMeans {
  /** This step's number (1-based). */
  step: number;
  /** Policy version after the step (unchanged when no update was applied). */
  policyVersion: number;
  mode: LossKind;
  /** Samples trained on (before mini-batch padding copies). */
  samples: number;
  /** Response tokens trained on. */
  tokens: number;
  /** Samples from an older policy version that were trained on with their recorded log-probs. */
  staleUsed: number;
  /** Samples dropped: older policy version with staleness 'drop', or stale without recorded log-probs. */
  staleDropped: number;
  updates: number;
  /** Updates skipped because the gradient norm was not finite. */
  skippedUpdates: number;
  /** True when the step was stopped (non-finite loss or weights) and the previous weights kept. */
  stopped: boolean;
  message?: string;
  /** Folder of the checkpoint saved after this step. */
  checkpoint?: string;
}

/** Options of {@link Trainer.checkpoint}: what to save beside the trainer's own state, and how. */
export interface CheckpointOptions {
  /** Save this snapshot (`snapshot()`) instead of the current state. */
  at?: TrainerSnapshot;
  /** The caller's own state (plain JSON), given back as `resumedState` on resume. */
  extra?: unknown;
  /** How the files are written (tests: a crash mid-write). */
  write?: AtomicWriteOptions;
}
