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
  backoffDelay,
  DEFAULT_RETRY,
  describeFailure,
  envOf,
  makeRequest,
  missingPolicy,
  type RetrySettings,
  requestKey,
  type TurnOwner,
  taskTypeOf,
  turnTarget,
} from './shared.js';

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

export interface ReflectorConfig extends TurnOwner {
  envId: string;
  seed: number;
  initial: Json;
  final: Json;
  attempt: number;
  history: HistoryRecord[];
  taskType: string;
  style: PromptStyle;
  sampling: SamplingSettings;
  retry: RetrySettings;
  reportTo?: string;
}

export interface ReflectorContext {
  cfg: ReflectorConfig;
  request: GenerationRequest | null;
  tries: number;
  reflection: string;
  valid: boolean;
  sample: TurnSample | null;
  failed: string | null;
}

export interface ReflectorOutput {
  /** The attempt reflected on. */
  attempt: number;
  /** Parsed reflection ('' when the reply had no `<remark>` tags). */
  reflection: string;
  valid: boolean;
  sample: TurnSample | null;
  failed: string | null;
}

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
    prepareRequest: assign(({ context: { cfg } }) => {
      const prompt = envOf(cfg.envId).prompts[cfg.style].reflect({
        initial: cfg.initial,
        current: cfg.final,
        attempt: cfg.attempt,
        history: cfg.history,
      });
      const key = requestKey(cfg, cfg.attempt, cfg.history.length, 'reflect');
      const oracle = {
        envId: cfg.envId,
        phase: 'reflect' as const,
        state: cfg.final,
        reflect: { initial: cfg.initial, attempt: cfg.attempt, history: cfg.history },
      };
      return { request: makeRequest(key, prompt, cfg.sampling, cfg.seed, oracle) };
    }),
    applyReply: assign(({ context: c, event }) => {
      const gen = (event as ReplyEvent).generation;
      const { cfg } = c;
      const parsed = envOf(cfg.envId).parseReflection(gen.text);
      const valid = parsed.kind === 'reflection';
      const sample: TurnSample = {
        taskId: cfg.taskId,
        groupId: cfg.groupId,
        trialId: cfg.trialId,
        attempt: cfg.attempt,
        turn: cfg.history.length,
        phase: 'reflect',
        prompt: c.request?.messages[0]?.content ?? '',
        response: gen.text,
        reward: 0,
        valid,
        done: false,
        won: false,
        anchor: 'reflection',
        policyVersion: gen.policyVersion ?? 0,
        envId: cfg.envId,
        taskType: cfg.taskType,
      };
      if (parsed.kind === 'invalid') sample.info = { invalidReason: parsed.reason };
      if (gen.promptTokens) sample.promptTokens = gen.promptTokens;
      if (gen.responseTokens) sample.responseTokens = gen.responseTokens;
      if (gen.logprobs) sample.logprobs = gen.logprobs;
      return {
        reflection: parsed.kind === 'reflection' ? parsed.text : '',
        valid,
        sample,
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
    noteFailure: assign(({ context, event }) => ({
      tries: context.tries + 1,
      failed: describeFailure((event as { error?: unknown }).error),
    })),
  },
  guards: {
    canRetry: ({ context }) => context.tries < context.cfg.retry.retries,
  },
  delays: {
    retryDelay: ({ context }) => backoffDelay(context.cfg.retry, context.tries),
  },
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
    asking: {
      entry: ['prepareRequest', 'ask'],
      on: {
        reply: { target: 'done', actions: ['applyReply', 'emitTurn', 'forwardTurn'] },
        'reply.error': [
          { guard: 'canRetry', target: 'backoff', actions: 'noteFailure' },
          { target: 'failed', actions: 'noteFailure' },
        ],
      },
    },
    backoff: { after: { retryDelay: 'asking' } },
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
