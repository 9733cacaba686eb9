// Env actor
export { type EnvActorContext, type EnvActorEvent, type EnvActorInput, envMachine } from './env.js';

// Emitted events (type-only)
export type {
  DoneEmitted,
  EpisodeEmitted,
  RolloutEmitted,
  TaskEmitted,
  TrialEmitted,
  TrialMachineEmitted,
  TurnEmitted,
} from './events.js';

// Machines: episode, reflector, trial, rollout
export {
  type EpisodeConfig,
  type EpisodeContext,
  type EpisodeInput,
  type EpisodeOutput,
  episodeMachine,
  resolveEpisodeInput,
} from './episode.js';
export {
  type ReflectorConfig,
  type ReflectorContext,
  type ReflectorInput,
  type ReflectorOutput,
  reflectorMachine,
  resolveReflectorInput,
} from './reflector.js';
export { composedTrialMachine, servedTrialMachine, trialMachine } from './trial.js';
export {
  type AttemptRun,
  type LastAttempt,
  type ResumeEvent,
  type RetryEvent,
  resolveTrialInput,
  type TrialConfig,
  type TrialContext,
  type TrialDoneEvent,
  type TrialEvent,
  type TrialInput,
  type TrialRunEvent,
  type TrialSettings,
  trialSchedule,
} from './trial-config.js';
export {
  type LaneContext,
  type LaneDoneEvent,
  type LaneErrorEvent,
  type LaneReport,
  type LaneRunEvent,
  type LaneRunsEvent,
  LANE_TRIALS,
  laneMachine,
} from './lane.js';
export {
  planRollout,
  type RolloutContext,
  type RolloutEvent,
  type RolloutInput,
  type RolloutNextEvent,
  type RolloutTask,
  rolloutMachine,
} from './rollout.js';
export { TurnRelay, type TurnsEvent } from './turn-relay.js';
// A rollout's default trials served by its PolicyClient (no policy child per trial)
export {
  type AskArgs,
  type PolicyPortLogic,
  type PolicyPortSnapshot,
  policyPort,
  ServedPolicy,
} from './served.js';

// One play / reflection turn as pure functions (shared by the machines)
export {
  type PlaySettings,
  type PlayTurn,
  playReply,
  playRequest,
  type ReflectSettings,
  type ReflectTurn,
  reflectReply,
  reflectRequest,
} from './turns.js';

// Attempt schedules (data)
export {
  defaultSchedule,
  type PlayStep,
  playCount,
  type ReflectStep,
  type ScheduleStep,
  usesReflection,
  validateSchedule,
} from './schedule.js';

// Policy client: batching and replay cache
export { type AskHandle, PolicyClient, type PolicyClientOptions, type PolicyClientStats } from './client.js';

// Wiring a policy in, running a rollout
export {
  createRolloutActor,
  episodeWithPolicy,
  type PolicySource,
  type RolloutActor,
  type RunRolloutOptions,
  reflectorWithPolicy,
  rolloutWithPolicy,
  runRollout,
  type TrialParts,
  toClient,
  trialWithPolicy,
} from './provide.js';
// Rollouts one after another on one kept rollout actor
export {
  RolloutBusyError,
  RolloutRunner,
  type RolloutRunnerOptions,
  type RunnerRolloutOptions,
} from './rollout-runner.js';

// The policy actor (one child per trial, episode or reflection) and its events
export {
  type AskEvent,
  type DirectPolicyCall,
  generateActor,
  missingPolicy,
  type PolicyActorLogic,
  type PolicyActorSnapshot,
  type PolicyCall,
  type PolicyReply,
  policyActor,
  type ReplyErrorEvent,
  type ReplyEvent,
} from './policy-actor.js';

// Shared pieces for custom machines
export {
  DEFAULT_RETRY,
  makeRequest,
  type RetrySettings,
  ROLLOUT_SYSTEM_ID,
  requestKey,
  taskInitial,
  type TurnOwner,
  turnTarget,
} from './shared.js';

// Learner actor (credit → advantages → PPO → publish weights)
export {
  type LearnerContext,
  type LearnerEmitted,
  type LearnerEvent,
  type LearnerInput,
  type LearnerOutput,
  type LearnerTrainer,
  learnerMachine,
  learnerWithTrainer,
  type PublishWeights,
  type TrainInput,
} from './learner.js';
