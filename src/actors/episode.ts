/**
 * The episode machine: one attempt. observe → ask the policy → project → step,
 * until the env says done or the turn budget (maxTurns) runs out. An invalid
 * reply takes the env's invalid step (reference §8: a no-op with the env's
 * penalty), is recorded with `valid: false` and counted.
 *
 * Each play prompt is `env.prompts[style].play(ctx)` with the trial's memory,
 * so the env's templates do the wording (turns.ts: the same turn functions
 * the default trial machine plays its attempts with). The policy is one child actor for
 * the whole episode (policy-actor.ts: invoked at the root as `policy` from the
 * named actor `generate`, one AbortController aborted when the episode
 * stops): each turn sends it `ask` and waits in `asking` for `reply` or
 * `reply.error`; a reply is applied and the next turn asked in one transition
 * that stays in `asking` (shared.ts `turnStates`), which leaves for `done`
 * when `over`. A failed call is retried after a backoff (`after` delay
 * named `retryDelay`), then the episode ends in `failed`; so does an env
 * that throws (its step, or its next prompt: guard `crashed`), with the
 * turns played before it in its output, as the default trial keeps them;
 * nothing throws across the actor boundary.
 *
 * Named implementations: actor `generate` (the policy child; provide one with
 * `episodeWithPolicy`, or `policyActor(call)`), actions `prepareRequest`,
 * `ask`, `applyReply`, `emitTurn`, `forwardTurn`, `noteFailure`, guards
 * `over`, `crashed`, `canRetry`, delay `retryDelay`.
 */
import { assign, enqueueActions, setup } from 'xstate';
import type { AttemptMemory, HistoryRecord, Json, MemoryMode, PromptStyle } from '../envs/core/types.js';
import type { GenerationRequest, SamplingSettings } from '../policy/types.js';
import type { TurnSample } from '../streams/types.js';
import { ConfigError } from '../util/errors.js';
import type { EpisodeEmitted } from './events.js';
import type { PolicyReply, ReplyEvent } from './policy-actor.js';
import {
  askPolicy,
  canRetry,
  DEFAULT_RETRY,
  envOf,
  failedTry,
  initialState,
  missingPolicy,
  type RetrySettings,
  retryDelay,
  stepCrashed,
  stepFailure,
  type TurnOwner,
  taskTypeOf,
  turnStates,
  turnTarget,
} from './shared.js';
import { type PlaySettings, playReply, playRequest } from './turns.js';

/** Input of one episode (plain JSON). */
export interface EpisodeInput extends Partial<TurnOwner> {
  envId: string;
  params?: Json;
  /** Task seed (the instance, and the base of the sampling seeds). */
  seed: number;
  /** Start state; default `env.initial(seed, params)`. A trial passes its identical initial state. */
  initial?: Json;
  /** 0-based attempt index (request keys and samples). Default 0. */
  attempt?: number;
  /** Attempt index shown in prompts (memory mode `none` shows 0). Default `attempt`. */
  promptAttempt?: number;
  /** Earlier attempts visible to this one. */
  memory?: AttemptMemory[];
  memoryMode?: MemoryMode;
  style?: PromptStyle;
  /** Turn budget; default the env's `maxTurns`. */
  maxTurns?: number;
  sampling?: SamplingSettings;
  retry?: RetrySettings;
  /** System id of the actor that collects turn samples (set by the rollout); default the parent. */
  reportTo?: string;
}

/** The resolved, immutable settings of an episode. */
export interface EpisodeConfig extends PlaySettings {
  maxTurns: number;
  retry: RetrySettings;
  reportTo?: string;
}

/** Context of {@link episodeMachine} (plain JSON): the attempt's state, history, samples and the call in progress. */
export interface EpisodeContext {
  cfg: EpisodeConfig;
  state: Json;
  history: HistoryRecord[];
  samples: TurnSample[];
  done: boolean;
  won: boolean;
  /** Invalid replies so far. */
  invalid: number;
  reward: number;
  /** The request of the call in progress (the `generate` child's input). */
  request: GenerationRequest | null;
  /** Failed tries of the current call. */
  tries: number;
  failed: string | null;
}

/** What {@link episodeMachine} returns: the attempt's final state, history, turn samples, outcome (`won`, `reward` summed) and failure if any. */
export interface EpisodeOutput {
  attempt: number;
  initial: Json;
  final: Json;
  history: HistoryRecord[];
  samples: TurnSample[];
  done: boolean;
  won: boolean;
  invalid: number;
  reward: number;
  /** Why the episode could not finish (policy failure after retries), else null. */
  failed: string | null;
}

/** Throws {@link ConfigError} unless `maxTurns` (an episode's turn budget) is an integer >= 0. */
export function checkMaxTurns(maxTurns: number): void {
  if (!(Number.isInteger(maxTurns) && maxTurns >= 0))
    throw new ConfigError(`maxTurns must be an integer >= 0, got ${maxTurns}`);
}

/**
 * An {@link EpisodeInput} with its defaults filled in (ids, initial state, turn budget, style, retry).
 * Throws {@link ConfigError} for a turn budget that is not an integer >= 0, `UnknownIdError` for an unknown env.
 */
export function resolveEpisodeInput(input: EpisodeInput): EpisodeConfig {
  const env = envOf(input.envId);
  const initial = input.initial ?? initialState(env, input.seed, input.params);
  const attempt = input.attempt ?? 0;
  const maxTurns = input.maxTurns ?? env.maxTurns;
  checkMaxTurns(maxTurns);
  return {
    taskId: input.taskId ?? `seed-${input.seed}`,
    groupId: input.groupId ?? input.taskId ?? `seed-${input.seed}`,
    trialId: input.trialId ?? 't0',
    envId: env.id,
    seed: input.seed,
    initial,
    taskType: taskTypeOf(env, initial),
    attempt,
    promptAttempt: input.promptAttempt ?? attempt,
    memory: input.memory ?? [],
    memoryMode: input.memoryMode ?? 'reflection_only',
    style: input.style ?? 'faithful',
    maxTurns,
    sampling: input.sampling ?? {},
    retry: input.retry ?? DEFAULT_RETRY,
    reportTo: input.reportTo,
  };
}

/** The attempt is over: the env said done, or the turn budget is spent. */
const over = (c: EpisodeContext): boolean => c.done || c.history.length >= c.cfg.maxTurns;

function outputOf(c: EpisodeContext): EpisodeOutput {
  return {
    attempt: c.cfg.attempt,
    initial: c.cfg.initial,
    final: c.state,
    history: c.history,
    samples: c.samples,
    done: c.done,
    won: c.won,
    invalid: c.invalid,
    reward: c.reward,
    failed: c.failed,
  };
}

/**
 * One attempt as an XState machine: observe, ask the policy, project the
 * reply, step the env, until done or `maxTurns`. Invalid replies take the
 * env's invalid step. Emits `turn`; outputs an {@link EpisodeOutput}. Needs a
 * policy: provide the `generate` actor (`episodeWithPolicy(policy)`).
 */
export const episodeMachine = setup({
  types: {
    input: {} as EpisodeInput,
    context: {} as EpisodeContext,
    output: {} as EpisodeOutput,
    events: {} as PolicyReply,
    emitted: {} as EpisodeEmitted,
  },
  actors: { generate: missingPolicy },
  actions: {
    // the next turn's request (none once the episode is over: the reply that ended it leaves it null);
    // a prompt that cannot be built ends the episode failed, the turns before it kept
    prepareRequest: assign(({ context: c }) => {
      if (stepCrashed(c) || over(c)) return {};
      try {
        return { request: playRequest(c.cfg, c.state, c.history) };
      } catch (error) {
        return stepFailure(error);
      }
    }),
    // a reply the env cannot take (its step threw) ends the episode failed, the turns before it kept
    applyReply: assign(({ context: c, event }) => {
      const gen = (event as ReplyEvent).generation;
      let t: ReturnType<typeof playReply>;
      try {
        t = playReply(c.cfg, c.state, c.history.length, c.request, gen);
      } catch (error) {
        return stepFailure(error);
      }
      return {
        state: t.state,
        history: [...c.history, t.record],
        samples: [...c.samples, t.sample],
        done: t.record.done,
        won: t.record.won,
        invalid: c.invalid + (t.valid ? 0 : 1),
        reward: c.reward + t.record.reward,
        request: null,
        tries: 0,
        failed: null,
      };
    }),
    // the applied reply's turn (none when it could not be applied)
    emitTurn: enqueueActions(({ context, enqueue }) => {
      if (!stepCrashed(context))
        enqueue.emit({ type: 'turn', sample: context.samples[context.samples.length - 1]! });
    }),
    // a direct send, not `sendTo`: one plain hop per turn keeps the engine close to a plain loop
    forwardTurn: ({ context, self, system }) => {
      if (stepCrashed(context)) return;
      turnTarget(context.cfg.reportTo, self, system)?.send({
        type: 'turn',
        sample: context.samples[context.samples.length - 1]!,
      });
    },
    // a direct send to the policy child, not `sendTo` (a deferred relay per call); nothing to ask once over
    ask: ({ context, self }) => {
      if (context.request !== null) askPolicy(self, context.request);
    },
    noteFailure: assign(({ context, event }) => failedTry(context, event)),
  },
  guards: {
    over: ({ context }) => over(context),
    crashed: ({ context }) => stepCrashed(context),
    canRetry,
  },
  delays: { retryDelay },
}).createMachine({
  id: 'episode',
  context: ({ input }) => {
    const cfg = resolveEpisodeInput(input);
    return {
      cfg,
      state: cfg.initial,
      history: [],
      samples: [],
      done: false,
      won: false,
      invalid: 0,
      reward: 0,
      request: null,
      tries: 0,
      failed: null,
    };
  },
  // the policy child lives as long as the machine (one actor, not one per call)
  invoke: { id: 'policy', src: 'generate' },
  initial: 'check',
  states: {
    // the start only: a turn budget of 0 ends at once; afterwards `asking` asks turn after turn until `over`
    check: { always: [{ guard: 'over', target: 'done' }, { target: 'asking' }] },
    ...turnStates('done', 'over', 'crashed'),
    done: { type: 'final' },
    failed: { type: 'final' },
  },
  output: ({ context }) => outputOf(context),
});
