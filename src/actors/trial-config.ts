/**
 * The trial's settings, input and context (plain JSON), and the inputs it
 * gives an episode or a reflection: shared by the default trial machine
 * (which plays them in its own states) and the composed one (which invokes
 * the episode and reflector machines). See trial.ts.
 */
import type { AttemptMemory, HistoryRecord, Json, MemoryMode, PromptStyle } from '../envs/core/types.js';
import type { GenerationRequest, SamplingSettings } from '../policy/types.js';
import type { TrialRecord, TurnSample } from '../streams/types.js';
import { ConfigError } from '../util/errors.js';
import type { EpisodeConfig } from './episode.js';
import type { TurnEmitted } from './events.js';
import type { PolicyReply } from './policy-actor.js';
import type { ReflectorConfig } from './reflector.js';
import {
  defaultSchedule,
  playCount,
  type ScheduleStep,
  usesReflection,
  validateSchedule,
} from './schedule.js';
import {
  DEFAULT_RETRY,
  envOf,
  initialState,
  type RetrySettings,
  type TurnOwner,
  taskTypeOf,
} from './shared.js';

/** How a trial runs (plain JSON); shared by every trial of a rollout. */
export interface TrialSettings {
  /** N, the number of attempts (default 3). Ignored when `schedule` is given. */
  attempts?: number;
  memoryMode?: MemoryMode;
  /**
   * Generate reflection turns. Default: when the memory mode shows reflections
   * (`reflection_only`, `history_and_reflection`). The reference also runs them
   * under `history_only` (its `do_reflection` defaults to true, and its prompt
   * shows past attempts only once a reflection exists); set `reflect: true` to match.
   */
  reflect?: boolean;
  /** A custom attempt schedule (default: derived from `attempts` and `reflect`). */
  schedule?: ScheduleStep[];
  style?: PromptStyle;
  /** Turn budget per attempt (default the env's `maxTurns`). */
  maxTurns?: number;
  sampling?: SamplingSettings;
  retry?: RetrySettings;
}

export interface TrialInput extends TrialSettings, Partial<TurnOwner> {
  envId: string;
  params?: Json;
  /** Task seed: the instance every attempt restarts from. */
  seed: number;
  /** System id of the actor that collects turn samples (set by the rollout); default the parent. */
  reportTo?: string;
}

export interface TrialConfig extends TurnOwner {
  envId: string;
  seed: number;
  memoryMode: MemoryMode;
  schedule: ScheduleStep[];
  attempts: number;
  style: PromptStyle;
  maxTurns: number;
  sampling: SamplingSettings;
  retry: RetrySettings;
  reportTo?: string;
}

/** The attempt a reflect step reflects on. */
export interface LastAttempt {
  attempt: number;
  final: Json;
  history: HistoryRecord[];
}

/** Context of a trial machine (plain JSON): schedule position, attempt memory, samples, outcome, call in progress. */
export interface TrialContext {
  cfg: TrialConfig;
  /** The identical initial state of every attempt. */
  initial: Json;
  taskType: string;
  /** Index of the next schedule step. */
  step: number;
  /** Index of the next play attempt. */
  attempt: number;
  memory: AttemptMemory[];
  last: LastAttempt | null;
  samples: TurnSample[];
  wonAt: number | null;
  failed: string | null;
  record: TrialRecord | null;
  /** The attempt being played in the trial's own states (null between attempts and in the composed trial). */
  play: AttemptRun | null;
  /** The reflection being asked in the trial's own states. */
  reflect: ReflectorConfig | null;
  /** The policy request in progress (asked of the `policy` child, or of the rollout's client). */
  request: GenerationRequest | null;
  /** Failed tries of that request. */
  tries: number;
}

/** An attempt in progress: its settings, the env state and its history so far. */
export interface AttemptRun {
  cfg: EpisodeConfig;
  state: Json;
  history: HistoryRecord[];
  done: boolean;
}

/** A delayed retry of a failed policy call. */
export interface RetryEvent {
  type: 'retry';
}

/** Ask the pending policy request again (a restored trial that its rollout serves, served.ts). */
export interface ResumeEvent {
  type: 'resume';
}

/** Lane → a served trial waiting in its slot (servedTrialMachine, its trial over): play this trial next. */
export interface TrialRunEvent {
  type: 'run';
  trial: TrialInput;
}

/**
 * A served trial → its lane, when its rollout has no system id (else it sends the rollout the lane's `lane.done`
 * itself): the trial in `slot` ended with this record; its actor waits for the next `run`.
 */
export interface TrialDoneEvent {
  type: 'trial.done';
  slot: string;
  record: TrialRecord;
}

/**
 * Events a trial machine handles: its children's turns, policy replies, delayed retries, `resume`, and
 * (a served trial) its slot's next trial.
 */
export type TrialEvent = TurnEmitted | PolicyReply | RetryEvent | ResumeEvent | TrialRunEvent;

/**
 * The reference schedules made so far, by `attempts * 2 + (reflect ? 1 : 0)`: every trial of a rollout has
 * the same settings, so its trials share one schedule (read, never changed; a persisted snapshot holds a
 * copy) instead of building and validating the same steps once per trial.
 */
const referenceSchedules = new Map<number, ScheduleStep[]>();

/** The schedule of trial settings: the given one, or the reference schedule; validated. */
export function trialSchedule(settings: TrialSettings): { memoryMode: MemoryMode; schedule: ScheduleStep[] } {
  const memoryMode = settings.memoryMode ?? 'reflection_only';
  if (settings.reflect === true && memoryMode === 'none') {
    throw new ConfigError(
      'memory mode "none" (independent retries) cannot have reflection turns; set reflect: false',
    );
  }
  const reflect = settings.reflect ?? usesReflection(memoryMode);
  if (settings.schedule !== undefined) {
    validateSchedule(settings.schedule, memoryMode);
    return { memoryMode, schedule: settings.schedule };
  }
  const attempts = settings.attempts ?? 3;
  const id = Number.isInteger(attempts) && attempts >= 1 ? attempts * 2 + (reflect ? 1 : 0) : -1;
  let schedule = referenceSchedules.get(id);
  if (schedule === undefined) {
    // a reference schedule is valid under every memory mode its `reflect` allows (checked above)
    schedule = defaultSchedule(attempts, reflect);
    validateSchedule(schedule, memoryMode);
    referenceSchedules.set(id, schedule);
  }
  return { memoryMode, schedule };
}

/**
 * A {@link TrialInput} with its defaults filled in, plus the task's initial state and task type.
 * Throws {@link ConfigError} for an invalid schedule, `UnknownIdError` for an unknown env.
 */
export function resolveTrialInput(input: TrialInput): { cfg: TrialConfig; initial: Json; taskType: string } {
  const env = envOf(input.envId);
  const { memoryMode, schedule } = trialSchedule(input);
  const maxTurns = input.maxTurns ?? env.maxTurns;
  const initial = initialState(env, input.seed, input.params);
  const taskId = input.taskId ?? `seed-${input.seed}`;
  return {
    cfg: {
      taskId,
      groupId: input.groupId ?? taskId,
      trialId: input.trialId ?? `${taskId}#0`,
      envId: env.id,
      seed: input.seed,
      memoryMode,
      schedule,
      attempts: playCount(schedule),
      style: input.style ?? 'faithful',
      maxTurns,
      sampling: input.sampling ?? {},
      retry: input.retry ?? DEFAULT_RETRY,
      reportTo: input.reportTo,
    },
    initial,
    taskType: taskTypeOf(env, initial),
  };
}

/**
 * The settings of the episode of the current play step, built from the trial's resolved config
 * (env id, task type and defaults resolved once per trial by `resolveTrialInput`): the composed
 * trial's episode input, and what `resolveEpisodeInput` makes of it, field for field and in its key
 * order. The served trial uses it as its attempt's settings after checking the turn budget
 * (trial-updates.ts `attemptConfig`); the episode machine checks it when it resolves its input.
 *
 * Objects here and in the turn path are written field by field: on our Node 20
 * (V8 11.3) a literal that spreads an object and then adds keys (`{ ...a, k: v }`)
 * costs about 2.5 µs per added key (a slow map transition per key), measured.
 */
export function episodeInput(c: TrialContext): EpisodeConfig {
  const { cfg } = c;
  const step = cfg.schedule[c.step]! as ScheduleStep & { maxTurns?: number };
  const none = cfg.memoryMode === 'none';
  return {
    taskId: cfg.taskId,
    groupId: cfg.groupId,
    trialId: cfg.trialId,
    envId: cfg.envId,
    seed: cfg.seed,
    initial: c.initial,
    taskType: c.taskType,
    attempt: c.attempt,
    promptAttempt: none ? 0 : c.attempt,
    memory: none ? [] : c.memory,
    memoryMode: cfg.memoryMode,
    style: step.style ?? cfg.style,
    maxTurns: step.maxTurns ?? cfg.maxTurns,
    sampling: step.sampling ? Object.assign({}, cfg.sampling, step.sampling) : cfg.sampling,
    retry: cfg.retry,
    reportTo: cfg.reportTo,
  };
}

/**
 * The settings of the reflection of the current reflect step (on `c.last`), built as
 * {@link episodeInput}: the composed trial's reflector input, and what `resolveReflectorInput` makes of it.
 */
export function reflectorInput(c: TrialContext): ReflectorConfig {
  const { cfg } = c;
  const step = cfg.schedule[c.step]!;
  const last = c.last!;
  return {
    taskId: cfg.taskId,
    groupId: cfg.groupId,
    trialId: cfg.trialId,
    envId: cfg.envId,
    seed: cfg.seed,
    initial: c.initial,
    final: last.final,
    attempt: last.attempt,
    history: last.history,
    taskType: c.taskType,
    style: step.style ?? cfg.style,
    sampling: step.sampling ? Object.assign({}, cfg.sampling, step.sampling) : cfg.sampling,
    retry: cfg.retry,
    reportTo: cfg.reportTo,
  };
}
