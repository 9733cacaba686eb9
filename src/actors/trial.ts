/**
 * The trial machine: up to N attempts of one task instance (reference §2).
 * The attempt schedule is data (`schedule.ts`): play; then, while attempts
 * remain and the task is not yet won, reflect, restart from the identical
 * initial state, play. The trial stops at the first win (no reflection after
 * a success).
 *
 * Memory is explicit in context (`memory: AttemptMemory[]`, one entry per
 * finished attempt, its reflection filled in by the following reflect step).
 * Memory modes: `reflection_only` (reference default), `history_only`,
 * `history_and_reflection`, and `none`: independent retries with no memory,
 * no reflection turns, every attempt rendered as attempt 0 (our fix of
 * reference bug §12.7). The env's prompts do the wording; this machine passes
 * the attempt index, the attempt's own history and the memory.
 *
 * Named implementations: actors `episode`, `reflector` (swap them, or their
 * `generate`, with `provide`), actions `recordAttempt`, `recordReflection`,
 * `crash`, `finish`, `emitTurn`, `forwardTurn`, `reportTrial`, `trialEnded`, guards `finished`, `playNext`.
 */
import { assign, emit, setup } from 'xstate';
import type { AttemptMemory, HistoryRecord, Json, MemoryMode, PromptStyle } from '../envs/core/types.js';
import type { SamplingSettings } from '../policy/types.js';
import type { TrialRecord, TurnSample } from '../streams/types.js';
import { ConfigError } from '../util/errors.js';
import { type EpisodeInput, type EpisodeOutput, episodeMachine } from './episode.js';
import type { TrialMachineEmitted, TurnEmitted } from './events.js';
import { type ReflectorInput, type ReflectorOutput, reflectorMachine } from './reflector.js';
import {
  defaultSchedule,
  playCount,
  type ScheduleStep,
  usesReflection,
  validateSchedule,
} from './schedule.js';
import {
  DEFAULT_RETRY,
  describeFailure,
  envOf,
  initialState,
  type RetrySettings,
  type TurnOwner,
  taskTypeOf,
  turnTarget,
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
}

export type TrialEvent = TurnEmitted;

/** The schedule of trial settings: the given one, or the reference schedule; validated. */
export function trialSchedule(settings: TrialSettings): { memoryMode: MemoryMode; schedule: ScheduleStep[] } {
  const memoryMode = settings.memoryMode ?? 'reflection_only';
  if (settings.reflect === true && memoryMode === 'none') {
    throw new ConfigError(
      'memory mode "none" (independent retries) cannot have reflection turns; set reflect: false',
    );
  }
  const reflect = settings.reflect ?? usesReflection(memoryMode);
  const schedule = settings.schedule ?? defaultSchedule(settings.attempts ?? 3, reflect);
  validateSchedule(schedule, memoryMode);
  return { memoryMode, schedule };
}

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

function owner(cfg: TrialConfig): TurnOwner {
  return { taskId: cfg.taskId, groupId: cfg.groupId, trialId: cfg.trialId };
}

function episodeInput(c: TrialContext): EpisodeInput {
  const { cfg } = c;
  const step = cfg.schedule[c.step]! as ScheduleStep & { maxTurns?: number };
  const none = cfg.memoryMode === 'none';
  return {
    ...owner(cfg),
    envId: cfg.envId,
    seed: cfg.seed,
    initial: c.initial,
    attempt: c.attempt,
    promptAttempt: none ? 0 : c.attempt,
    memory: none ? [] : c.memory,
    memoryMode: cfg.memoryMode,
    style: step.style ?? cfg.style,
    maxTurns: step.maxTurns ?? cfg.maxTurns,
    sampling: step.sampling ? { ...cfg.sampling, ...step.sampling } : cfg.sampling,
    retry: cfg.retry,
    reportTo: cfg.reportTo,
  };
}

function reflectorInput(c: TrialContext): ReflectorInput {
  const { cfg } = c;
  const step = cfg.schedule[c.step]!;
  const last = c.last!;
  return {
    ...owner(cfg),
    envId: cfg.envId,
    seed: cfg.seed,
    initial: c.initial,
    final: last.final,
    attempt: last.attempt,
    history: last.history,
    style: step.style ?? cfg.style,
    sampling: step.sampling ? { ...cfg.sampling, ...step.sampling } : cfg.sampling,
    retry: cfg.retry,
    reportTo: cfg.reportTo,
  };
}

export const trialMachine = setup({
  types: {
    input: {} as TrialInput,
    context: {} as TrialContext,
    output: {} as TrialRecord,
    events: {} as TrialEvent,
    emitted: {} as TrialMachineEmitted,
  },
  actors: { episode: episodeMachine, reflector: reflectorMachine },
  actions: {
    recordAttempt: assign(({ context: c, event }) => {
      const out = (event as unknown as { output: EpisodeOutput }).output;
      const memory =
        c.cfg.memoryMode === 'none'
          ? c.memory
          : [...c.memory, { attempt: out.attempt, history: out.history, reflection: '' }];
      return {
        step: c.step + 1,
        attempt: c.attempt + 1,
        memory,
        last: { attempt: out.attempt, final: out.final, history: out.history },
        samples: c.samples.concat(out.samples),
        wonAt: out.won ? out.attempt : c.wonAt,
        failed: out.failed,
      };
    }),
    recordReflection: assign(({ context: c, event }) => {
      const out = (event as unknown as { output: ReflectorOutput }).output;
      const memory = c.memory.map((m) =>
        m.attempt === out.attempt ? { ...m, reflection: out.reflection } : m,
      );
      return {
        step: c.step + 1,
        memory,
        samples: out.sample ? [...c.samples, out.sample] : c.samples,
        failed: out.failed,
      };
    }),
    crash: assign(({ event }) => ({ failed: describeFailure((event as { error?: unknown }).error) })),
    finish: assign(({ context: c }) => {
      const record: TrialRecord = {
        ...owner(c.cfg),
        envId: c.cfg.envId,
        taskType: c.taskType,
        seed: c.cfg.seed,
        attempts: c.cfg.attempts,
        samples: c.samples,
        wonAt: c.wonAt,
      };
      if (c.failed !== null) record.failed = c.failed;
      return { record };
    }),
    emitTurn: emit(({ event }) => event),
    // turns reach here only when the episode found no `reportTo` actor: pass them up
    forwardTurn: ({ context, event, self, system }) => {
      turnTarget(context.cfg.reportTo, self, system)?.send(event);
    },
    reportTrial: emit(({ context }) => ({ type: 'trial' as const, record: context.record! })),
    /** Called when the trial ends; `trialWithPolicy` drops the trial's replay-cache entries here. */
    trialEnded: () => {},
  },
  guards: {
    finished: ({ context: c }) => c.failed !== null || c.wonAt !== null || c.step >= c.cfg.schedule.length,
    playNext: ({ context: c }) => c.cfg.schedule[c.step]!.phase === 'play',
  },
}).createMachine({
  id: 'trial',
  context: ({ input }) => {
    const { cfg, initial, taskType } = resolveTrialInput(input);
    return {
      cfg,
      initial,
      taskType,
      step: 0,
      attempt: 0,
      memory: [],
      last: null,
      samples: [],
      wonAt: null,
      failed: null,
      record: null,
    };
  },
  initial: 'next',
  on: { turn: { actions: ['emitTurn', 'forwardTurn'] } },
  states: {
    next: {
      always: [
        { guard: 'finished', target: 'done' },
        { guard: 'playNext', target: 'playing' },
        { target: 'reflecting' },
      ],
    },
    playing: {
      invoke: {
        src: 'episode',
        input: ({ context }) => episodeInput(context),
        onDone: { target: 'next', actions: 'recordAttempt' },
        onError: { target: 'next', actions: 'crash' },
      },
    },
    reflecting: {
      invoke: {
        src: 'reflector',
        input: ({ context }) => reflectorInput(context),
        onDone: { target: 'next', actions: 'recordReflection' },
        onError: { target: 'next', actions: 'crash' },
      },
    },
    done: { type: 'final', entry: ['finish', 'reportTrial', 'trialEnded'] },
  },
  output: ({ context }) => context.record!,
});
