// Local ONNX LM policy (Hugging Face ONNX export layout), its export of the built-in model,
// and the token-exact consistency helpers the learner uses.
export { buildDecodeGraph } from './decode-graph.js';
export { LmEngine } from './engine.js';
export { builtinGenerationConfig, exportModelDir, LAMER_MODEL_FIELD, WEIGHTS_FILE } from './export.js';
export { type GenerateContext, generateRows, type RowRequest, type RowResult } from './generate.js';
export {
  checkGraphNames,
  type GenerationDefaults,
  MODEL_DIR_FILES,
  type ModelDir,
  type ModelDirConfig,
  ModelDirError,
  readModelDir,
} from './model-dir.js';
export type { OnnxPolicyOptions, OnnxPolicyStats } from './options.js';
export { OnnxPolicy } from './policy.js';
export {
  addPhases,
  addProfile,
  type DecodeProfile,
  emptyPhases,
  emptyProfile,
  profileSince,
  type WorkerPhases,
} from './profile.js';
export type { KvLayout, WeightTensor } from './protocol.js';
export { contextOf, rowRequest } from './requests.js';
export { type Sampled, type SamplerSettings, sampleToken, topKIndices } from './sampling.js';
export {
  builtinPromptCodec,
  type PromptCodec,
  promptTokens,
  renderPrompt,
  TokenConsistencyError,
  type TrainingTokens,
  trainingTokens,
  turnMessages,
} from './tokens.js';
