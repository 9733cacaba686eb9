// Biome sorts these exports by module. Checkpoints: atomic-write, checkpoint(-dirs), safetensors(-read). Sessions: session, session-core.

// Credit assignment: cross-episode returns and advantages (LaMer/GiGPO, GRPO, PPO without a critic)
export {
  type CreditConfig,
  type CreditedBatch,
  computeAdvantages,
  crossEpisodeReturns,
  DEFAULT_INVALID_PENALTY,
  type Estimator,
  episodeRewards,
  type GigpoInput,
  type GigpoMode,
  type GigpoOptions,
  type GigpoResult,
  gigpoAdvantages,
  grpoAdvantages,
  ppoBaselineAdvantages,
  type ReturnOptions,
  type ReturnVariant,
} from './credit/index.js';
// Graph compiler (the IR, gradient rules, validator, ONNX serialization) lives in ./graph/index.ts.
// Built-in model and its graphs (model/train-step helper)
export {
  type AdamWConfig,
  type AdamWInputs,
  type AdamWOutputs,
  adamwUpdate,
  DEFAULT_ADAMW_CONFIG,
} from './adamw.js';
export { type AtomicWriteIo, type AtomicWriteOptions, writeFileAtomic } from './atomic-write.js';
export {
  type AdamWState,
  type Checkpoint,
  type LoadCheckpointOptions,
  loadCheckpoint,
  loadLatestCheckpoint,
  type ResumeOptions,
  readSafetensorsFile,
  type SaveCheckpointOptions,
  saveCheckpoint,
  specOf,
  writeSafetensorsFile,
} from './checkpoint.js';
export {
  CHECKPOINT_FILES,
  type CheckpointManifest,
  type CheckpointRef,
  checkpointDirName,
  latestCheckpoint,
  listCheckpoints,
  pruneCheckpoints,
} from './checkpoint-dirs.js';
// Hugging Face models: LoRA adapters and their PEFT folders
export { type PeftAdapter, PeftError, readPeftAdapter, writePeftAdapter } from './hf/peft.js';
export type { HfCheckpoint, HfTensorRef } from './hf/weights.js';
export { buildInferenceGraph, buildLogprobGraph, type InferenceGraphOptions } from './inference.js';
export {
  initLora,
  LORA_TARGETS,
  type LoraConfig,
  type LoraTarget,
  loraConfig,
  loraShapes,
  mergeLora,
} from './lora.js';
export {
  buildLoss,
  DEFAULT_LOSS_CONFIG,
  type LossInputs,
  type LossStats,
  type PpoLossConfig,
  scoredTokens,
  shiftTokens,
  targetLogprobs,
  tokenLogprobs,
} from './loss.js';
export {
  DEFAULT_MODEL_CONFIG,
  type ForwardInputs,
  type ForwardOutputs,
  forward,
  architectureOf,
  headDim,
  hfConfig,
  initParams,
  type Llama3RopeScaling,
  type LoraTensors,
  lmHead,
  type ModelConfig,
  modelConfig,
  type Params,
  paramConstants,
  paramCount,
  paramInputs,
  paramShapes,
  positionsFromMask,
  projections,
} from './model.js';
export {
  CheckpointError,
  dtypeBytes,
  encodeSafetensors,
  encodeSafetensorsChunks,
  f32Arrays,
  f32Spec,
  f32Tensors,
  isSafetensorsDtype,
  numel,
  type SafetensorsDtype,
  type SafetensorsFile,
  type StoredTensor,
  type TensorArray,
  type TensorMap,
  type TensorSpec,
  toFloat32,
} from './safetensors.js';
export {
  checkTensorSpec,
  type DecodeOptions,
  decodeSafetensors,
  type HeaderEntry,
  readSafetensorsHeader,
} from './safetensors-read.js';
export {
  type InferenceRunner,
  OnnxSession,
  type SessionOptions,
  WorkerSession,
  type WorkerSessionOptions,
} from './session.js';
export { checkProvider } from './provider-check.js';
export {
  EXECUTION_PROVIDERS,
  type ExecutionProvider,
  type Feeds,
  type GraphOptimizationLevel,
  type Outputs,
  ProviderUnavailableError,
  SessionError,
  type SessionErrorKind,
  type SessionSettings,
  type TensorValue,
} from './session-core.js';
export {
  applyUpdate,
  type HostTensor,
  initTrainState,
  type LrSchedule,
  lrAt,
  optimizerFeeds,
  type TrainState,
} from './train-state.js';
export {
  buildApplyGraph,
  buildGradGraph,
  buildTrainStepGraph,
  type TrainGraphConfig,
  trainGraphConfig,
  trainNames,
} from './train-step.js';
// Learner runtime: the Trainer (PPO / supervised steps, checkpoints, resume), token batches, output-folder checks
export {
  type CheckpointConfig,
  type CheckpointOptions,
  checkOutputDir,
  checkpointBytes,
  DEFAULT_TRAINER_CONFIG,
  loadTrainerCheckpoint,
  MODEL_CONFIG_FIELD,
  type MiniBatchPlan,
  NothingToResumeError,
  OutputDirError,
  type OutputDirProblem,
  type PreflightIo,
  padSequences,
  planMiniBatches,
  recordedTokens,
  saveTrainerCheckpoint,
  type TrainerCheckpoint,
  type TrainerConfig,
  type TrainerConfigInput,
  type TrainerSnapshot,
  Trainer,
  TrainerError,
  type TrainerOptions,
  type TrainSequence,
  type TrainStats,
  type TurnTokens,
  toSequence,
  trainerConfig,
} from './trainer/index.js';
