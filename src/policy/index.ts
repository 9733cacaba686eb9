// Contract (types)
export type {
  AnsweredRequest,
  ChatMessage,
  Generation,
  GenerationOracle,
  GenerationRequest,
  JoinRequests,
  Policy,
  SamplingSettings,
} from './types.js';

// Errors
export { PolicyError } from './errors.js';

// Scripted policies
export {
  type ExpertOptions,
  expertPolicy,
  GENERIC_REFLECTION,
  randomPolicy,
  requestRng,
  type Script,
  type ScriptedTextOptions,
  scriptedTextPolicy,
  withRuleReflections,
} from './scripted.js';

// OpenAI-compatible HTTP policy
export {
  HttpAdapterError,
  HttpAuthError,
  HttpBadRequestError,
  HttpNotFoundError,
  HttpPolicyError,
  HttpReplyFormatError,
  HttpRetriesExhaustedError,
  HttpTokensMissingError,
} from './http/errors.js';
export { OpenAiPolicy, type OpenAiPolicyOptions, type RetryNotice } from './http/openai.js';
export { DEFAULT_RETRY, type RetrySettings } from './http/retry.js';
export { type OpenAiSpec, parseOpenAiSpec } from './http/spec.js';

// Tokenizers and chat templates (Hugging Face files; the built-in model's own tokenizer)
export {
  BUILTIN_CHAT_TEMPLATE,
  ChatTemplate,
  ChatTemplateError,
  type RenderOptions,
  type SpecialTokenField,
  specialTokenText,
  type TokenizerConfig,
} from './chat-template.js';
export {
  builtinTokenizerFiles,
  type DecodeOptions,
  type EncodeOptions,
  type LoadedTokenizer,
  loadBuiltinTokenizer,
  loadTokenizerDir,
  TextTokenizer,
  TokenizerError,
} from './tokenizer.js';
export {
  BUILTIN_ADDED_TOKENS,
  BUILTIN_VOCAB_BUDGET,
  type BuiltinTokenizerFiles,
  serializeTokenizerFile,
} from './vocab/builtin.js';

// Local ONNX LLMs (Hugging Face ONNX export layout, the built-in model); loads onnxruntime-node
export { builtinGenerationConfig, exportModelDir } from './onnx/export.js';
export { type HfModel, type HfModelOptions, readHfModel } from './onnx/hf-model.js';
export {
  type GenerationDefaults,
  type ModelDir,
  type ModelDirConfig,
  ModelDirError,
  readModelDir,
} from './onnx/model-dir.js';
export type { OnnxPolicyOptions, OnnxPolicyStats } from './onnx/options.js';
export { OnnxPolicy } from './onnx/policy.js';
export type { DecodeProfile, WorkerPhases } from './onnx/profile.js';
export type { PromptCodec } from './onnx/tokens.js';
