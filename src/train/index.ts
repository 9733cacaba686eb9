/**
 * `lamer-ts/train`: training runs (`lamer train` and `lamer pretrain` as
 * functions), their configuration and presets, evaluation runs (`lamer eval`
 * as a function), validation summaries and the run report.
 *
 * @module train
 */

// Configuration and presets
export {
  ALGOS,
  type Algo,
  type AlgoPlan,
  type ConfigSources,
  type DeepPartial,
  loadTrainConfig,
  PRESETS,
  type PresetName,
  parseTrainConfig,
  readConfigFile,
  TRAIN_PRESETS,
  type TrainConfig,
  type TrainConfigInput,
  trainConfigSchema,
  trainingPlan,
  validationOptions,
} from './config.js';

// Training: the warm start, the RL loop, its history and report
export { outDirOf, runTraining, type TrainOptions, type TrainResult } from './loop.js';
export type { TrainHooks, TrainPhase } from './phases.js';
export { ResumeError, type RunMode } from './resume.js';
export type { TrainIO } from './progress.js';
export {
  ensureWarmStart,
  loadWarmStart,
  pretrain,
  type WarmStart,
  type WarmStartReport,
} from './warmstart.js';
export { findShippedWarmStart, type ShippedReport, shipWarmStart } from './shipped.js';
export { type ExportOptions, exportRun, HF_RUN_FILE, type HfRunInfo } from './export.js';
export { type HistoryEntry, readHistory } from './history.js';
export type { LogprobShift } from './logprob-shift.js';
export type { DemoStats } from './warmstart-data.js';
export { type TrainReport, writeReport } from './report.js';

// Evaluation: validation summaries and `lamer eval` as a function
export {
  meanSummary,
  type RolloutSummary,
  summarize,
  type ValidationOptions,
  validate,
  validationFloor,
} from './evaluate.js';
export {
  type FinalEvaluation,
  finalEvaluation,
  formatFinalEvaluation,
  type ModelEvaluation,
  runFinalEvaluation,
} from './final-eval.js';
export { EVAL_SAMPLING, type EvalIO, type EvalOptions, type EvalResult, runEval } from '../cli/eval-run.js';
export { EVAL_MODES, type EvalMode } from '../cli/eval-modes.js';
