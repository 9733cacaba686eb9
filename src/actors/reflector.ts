/**
 * The reflector machine: one reflection turn between attempts (reference
 * §3). Builds `env.prompts[style].reflect(ctx)` from the attempt just ended
 * (its initial and final state and its own history only), asks the policy,
 * parses `<remark>` with `env.parseReflection` (stripped, capped at 2000
 * characters; a missing tag gives '' and `valid: false`).
 *
 * The policy is one child actor (policy-actor.ts), invoked at the root as
 * `policy` from the named actor `generate`: the reflector sends it `ask` and
 * waits for `reply` / `reply.error`; a failed call is retried after a backoff.
 *
 * Named implementations: actor `generate`, actions `prepareRequest`, `ask`,
 * `applyReply`, `emitTurn`, `forwardTurn`, `noteFailure`, guard `canRetry`,
 * delay `retryDelay`.
 */
import { assign, emit, sendTo, setup } from 'xstate';
import type { HistoryRecord, Json, PromptStyle } from '../envs/core/types.js';
import type { GenerationRequest, SamplingSettings } from '../policy/types.js';
import type { TurnSample } from '../streams/types.js';
import type { EpisodeEmitted } from './events.js';
import type { PolicyReply, ReplyEvent } from './policy-actor.js';
import {
  askingStates,
  canRetry,
  DEFAULT_RETRY,
  envOf,
  failedTry,
  missingPolicy,
  type RetrySettings,
  retryDelay,
  type TurnOwner,
  taskTypeOf,
  turnTarget,
} from './shared.js';
import { type ReflectSettings, reflectReply, reflectRequest } from './turns.js';

/** Input of one reflection (plain JSON). */
export interface ReflectorInput extends Partial<TurnOwner> {
  envId: string;
  /** Task seed (base of the sampling seed). */
  seed: number;
  /** The attempt's initial state. */
  initial: Json;
  /** Final state of the attempt reflected on. */
  final: Json;
  /** 0-based index of the attempt reflected on. */
  attempt: number;
  /** That attempt's records. */
  history: HistoryRecord[];
  style?: PromptStyle;
  sampling?: SamplingSettings;
  retry?: RetrySettings;
  /** System id of the actor that collects turn samples (set by the rollout); default the parent. */
  reportTo?: string;
}

export interface ReflectorConfig extends ReflectSettings {
  retry: RetrySettings;
  reportTo?: string;
}

/** Context of {@link reflectorMachine} (plain JSON): the reflection asked, tries, and the parsed result. */
export interface ReflectorContext {
  cfg: ReflectorConfig;
  request: GenerationRequest | null;
  tries: number;
  reflection: string;
  valid: boolean;
  sample: TurnSample | null;
  failed: string | null;
}

/** What {@link reflectorMachine} returns: the reflection text, whether it was well formed, its sample, failure if any. */
export interface ReflectorOutput {
  /** The attempt reflected on. */
  attempt: number;
  /** Parsed reflection ('' when the reply had no `<remark>` tags). */
  reflection: string;
  valid: boolean;
  sample: TurnSample | null;
  failed: string | null;
}

/** A {@link ReflectorInput} with its defaults filled in (ids, style, retry). Throws `UnknownIdError` for an unknown env. */
export function resolveReflectorInput(input: ReflectorInput): ReflectorConfig {
  const env = envOf(input.envId);
  return {
    taskId: input.taskId ?? `seed-${input.seed}`,
    groupId: input.groupId ?? input.taskId ?? `seed-${input.seed}`,
    trialId: input.trialId ?? 't0',
    envId: env.id,
    seed: input.seed,
    initial: input.initial,
    final: input.final,
    attempt: input.attempt,
    history: input.history,
    taskType: taskTypeOf(env, input.initial),
    style: input.style ?? 'faithful',
    sampling: input.sampling ?? {},
    retry: input.retry ?? DEFAULT_RETRY,
    reportTo: input.reportTo,
  };
}

/**
 * One reflection turn between attempts as an XState machine: builds the
 * env's reflect prompt from the attempt just ended, asks the policy, parses
 * `<remark>`. Emits `turn`; outputs a {@link ReflectorOutput}. Provide the
 * `generate` actor (`reflectorWithPolicy(policy)`).
 */
export const reflectorMachine = setup({
  types: {
    input: {} as ReflectorInput,
    context: {} as ReflectorContext,
    output: {} as ReflectorOutput,
    events: {} as PolicyReply,
    emitted: {} as EpisodeEmitted,
  },
  actors: { generate: missingPolicy },
  actions: {
    prepareRequest: assign(({ context: { cfg } }) => ({ request: reflectRequest(cfg) })),
    applyReply: assign(({ context: c, event }) => {
      const t = reflectReply(c.cfg, c.request, (event as ReplyEvent).generation);
      return {
        reflection: t.reflection,
        valid: t.valid,
        sample: t.sample,
        request: null,
        tries: 0,
        failed: null,
      };
    }),
    emitTurn: emit(({ context }) => ({ type: 'turn' as const, sample: context.sample! })),
    // a direct send, not `sendTo`: one plain hop per turn keeps the engine close to a plain loop
    forwardTurn: ({ context, self, system }) => {
      turnTarget(context.cfg.reportTo, self, system)?.send({ type: 'turn', sample: context.sample! });
    },
    ask: sendTo('policy', ({ context }) => ({ type: 'ask' as const, request: context.request! })),
    noteFailure: assign(({ context, event }) => failedTry(context, event)),
  },
  guards: {
    canRetry,
  },
  delays: { retryDelay },
}).createMachine({
  id: 'reflector',
  context: ({ input }) => ({
    cfg: resolveReflectorInput(input),
    request: null,
    tries: 0,
    reflection: '',
    valid: false,
    sample: null,
    failed: null,
  }),
  // the policy child lives as long as the machine (one actor, not one per call)
  invoke: { id: 'policy', src: 'generate' },
  initial: 'asking',
  states: {
    ...askingStates('done'),
    done: { type: 'final' },
    failed: { type: 'final' },
  },
  output: ({ context: c }) => ({
    attempt: c.cfg.attempt,
    reflection: c.reflection,
    valid: c.valid,
    sample: c.sample,
    failed: c.failed,
  }),
});
