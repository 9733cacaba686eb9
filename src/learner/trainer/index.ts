// The learner runtime: config, token batches, the Trainer, checkpoints and output-folder checks.
export {
  chunks,
  lengthChunks,
  type MiniBatchPlan,
  padSequences,
  planMiniBatches,
  recordedTokens,
  responseLogprobs,
  sampleLabel,
  TrainerError,
  type TrainSequence,
  type TurnTokens,
  toSequence,
} from './batch.js';
export {
  type CheckpointConfig,
  DEFAULT_TRAINER_CONFIG,
  type TrainerConfig,
  type TrainerConfigInput,
  trainerConfig,
} from './config.js';
export { type GradResult, type LossKind, TRAINER_SESSION_DEFAULTS, TrainerGraphs } from './graphs.js';
export { activationBytes, budgetedMicroBatches } from './memory.js';
export {
  loadTrainerCheckpoint,
  MODEL_CONFIG_FIELD,
  saveTrainerCheckpoint,
  type TrainerCheckpoint,
  type TrainerSnapshot,
} from './persist.js';
export {
  checkOutputDir,
  checkpointBytes,
  OutputDirError,
  type OutputDirProblem,
  type PreflightIo,
} from './preflight.js';
export { firstNonFinite, runStep, type StepMeans, type StepResult } from './step.js';
export type { CheckpointOptions, TrainerOptions, TrainStats } from './options.js';
export { NothingToResumeError, startingCheckpoint } from './start.js';
export { Trainer } from './trainer.js';
