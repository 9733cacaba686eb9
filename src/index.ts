/**
 * `lamer-ts`: the common surface — envs and their contract, the trial engine
 * (rollouts, trial machines, schedules), policies, the trial/turn streams and
 * their metrics, live metrics, and training and evaluation runs. Every name
 * here is also in its subpath (`lamer-ts/envs`, `/actors`, `/policy`,
 * `/streams`, `/metrics`, `/live`, `/train`, `/learner`), which hold the rest.
 *
 * @module lamer-ts
 */

// Errors, seeded randomness, and the V8 settings the engine runs with
export {
  ConfigError,
  ContractViolationError,
  LamerError,
  ParseError,
  UnknownIdError,
} from './util/errors.js';
export { deriveSeed, Rng, type RngState } from './util/rng.js';
export { applyEngineV8Flags } from './util/v8-flags.js';

// Envs: the contract, the registry, the built-in envs, seeds, the contract checker
export {
  type AnyEnvDefinition,
  type AttemptMemory,
  BUILTIN_ENVS,
  type ContractOptions,
  type ContractReport,
  checkEnvContract,
  type EnvDefinition,
  getEnv,
  type Json,
  listEnvs,
  type MemoryMode,
  type PlayPromptContext,
  type Projection,
  type PromptSet,
  type PromptStyle,
  type ReflectPromptContext,
  registerBuiltinEnvs,
  registerEnv,
  type StepResult,
  taskSeeds,
  validationSeeds,
} from './envs/index.js';

// The trial engine: rollouts, trial machines, schedules
export {
  composedTrialMachine,
  createRolloutActor,
  defaultSchedule,
  type EpisodeOutput,
  episodeMachine,
  type ReflectorOutput,
  type RolloutActor,
  RolloutBusyError,
  RolloutRunner,
  type RolloutRunnerOptions,
  type RolloutTask,
  type RunnerRolloutOptions,
  type RunRolloutOptions,
  reflectorMachine,
  runRollout,
  type ScheduleStep,
  type TrialEmitted,
  type TrialSettings,
  type TurnEmitted,
  taskInitial,
  trialMachine,
  trialWithPolicy,
} from './actors/index.js';

// Policies: the contract, scripted, OpenAI-compatible HTTP, local ONNX
export {
  type AnsweredRequest,
  type ChatMessage,
  expertPolicy,
  type Generation,
  type GenerationRequest,
  type JoinRequests,
  OnnxPolicy,
  OpenAiPolicy,
  type OpenAiPolicyOptions,
  type Policy,
  PolicyError,
  randomPolicy,
  type SamplingSettings,
} from './policy/index.js';

// Streams and metrics
export {
  type MetricEvent,
  type RolloutStreams,
  rolloutStreams,
  type TaskGroup,
  type TrialRecord,
  type TurnSample,
  taskGroups,
} from './streams/index.js';
export {
  consoleTable,
  invalidActionRate,
  jsonlSink,
  passAtK,
  reward,
  trajectoryEntropy,
  turnsPerAttempt,
} from './metrics/index.js';

// Live metrics
export { type LiveEvent, type LiveRun, liveMetrics, startEval, startTraining } from './live/index.js';

// Training and evaluation runs
export {
  type EvalOptions,
  type EvalResult,
  loadTrainConfig,
  runEval,
  runTraining,
  type TrainConfig,
  type TrainResult,
} from './train/index.js';
