/**
 * Scripted policies behind the Policy contract: `randomPolicy` (a uniformly
 * random admissible action), `expertPolicy` (the env's solver, random when it
 * has none) and `scriptedTextPolicy` (given strings, for tests).
 *
 * Random and expert need the env state: they read `request.oracle` (which LLM
 * policies ignore). Their replies are wrapped as an LLM would write them
 * (`<action>...</action>`, `<remark>...</remark>`), so they go through the
 * same projection as real replies. Every random choice is seeded per request
 * (`request.sampling.seed`, else a hash of `request.key`). `withRuleReflections`
 * pairs any policy's play with the env's rule reflections.
 */
import { getEnv } from '../envs/core/registry.js';
import { wrapAction } from '../envs/core/tags.js';
import type { AnyEnvDefinition } from '../envs/core/types.js';
import { deriveSeed, Rng } from '../util/rng.js';
import { PolicyError } from './errors.js';
import type { Generation, GenerationOracle, GenerationRequest, Policy } from './types.js';

/** Reflection of scripted policies on envs without a rule reflector. */
export const GENERIC_REFLECTION =
  'The task is NOT successfully completed. Next attempt: avoid repeating the same actions and try a different plan from the initial state.';

/**
 * The seeded generator of one request. The seed is hashed first: raw small
 * consecutive seeds give correlated first draws from xoroshiro128+.
 */
export function requestRng(request: GenerationRequest): Rng {
  const seed = request.sampling.seed;
  return Rng.seeded(seed === undefined ? deriveSeed(0, request.key) : deriveSeed(seed, 'policy'));
}

function oracleOf(
  policy: string,
  request: GenerationRequest,
): { oracle: GenerationOracle; env: AnyEnvDefinition } {
  const oracle = request.oracle;
  if (!oracle) {
    throw new PolicyError(
      `policy "${policy}" needs request.oracle (the env state) for request ${request.key}; run it through the trial/episode machines, which fill it in`,
    );
  }
  return { oracle, env: getEnv(oracle.envId) };
}

/** `<remark>` reply of a scripted policy: the env's rule reflection, or a generic one. */
function scriptedReflection(env: AnyEnvDefinition, oracle: GenerationOracle): Generation {
  const r = oracle.reflect;
  const text =
    env.ruleReflection && r
      ? env.ruleReflection({
          initial: r.initial,
          current: oracle.state,
          attempt: r.attempt,
          history: r.history,
        })
      : GENERIC_REFLECTION;
  return { text: `<remark>${text}</remark>`, finishReason: 'stop' };
}

/**
 * The expert's move for a play request: the env's `lessonAction` on what the prompt shows (the
 * lessons of earlier attempts) when the env has one and the request carries the play context,
 * else `expertAction` on the state; null when the env's solver has no move.
 */
export function expertMove(env: AnyEnvDefinition, oracle: GenerationOracle): unknown {
  const p = oracle.play;
  if (env.lessonAction && p) {
    return env.lessonAction({
      initial: p.initial,
      current: oracle.state,
      attempt: p.attempt,
      history: p.history,
      memory: p.memory,
      memoryMode: p.memoryMode,
    });
  }
  return env.expertAction?.(oracle.state) ?? null;
}

type ActionChooser = (env: AnyEnvDefinition, oracle: GenerationOracle, rng: Rng) => unknown;

function oraclePolicy(name: string, choose: ActionChooser): Policy {
  return {
    name,
    async generate(requests: GenerationRequest[]): Promise<Generation[]> {
      return requests.map((request) => {
        const { oracle, env } = oracleOf(name, request);
        if (oracle.phase === 'reflect') return scriptedReflection(env, oracle);
        const action = choose(env, oracle, requestRng(request));
        return { text: wrapAction(env.formatAction(action)), finishReason: 'stop' };
      });
    },
  };
}

/**
 * `policy` for play, the env's rule reflection for reflections: the ablation "what if this policy's
 * reflections were always right?" (bench:lessons). Play requests go to `policy` in one batch; a
 * reflection request needs its oracle, like the scripted policies.
 */
export function withRuleReflections(policy: Policy): Policy {
  const name = `${policy.name}+rule-reflections`;
  return {
    name,
    async generate(requests: GenerationRequest[], signal?: AbortSignal): Promise<Generation[]> {
      const out: Generation[] = new Array(requests.length);
      const play: number[] = [];
      for (const [i, request] of requests.entries()) {
        if (request.oracle?.phase !== 'reflect') {
          play.push(i);
          continue;
        }
        const { oracle, env } = oracleOf(name, request);
        out[i] = scriptedReflection(env, oracle);
      }
      if (play.length > 0) {
        const replies = await policy.generate(
          play.map((i) => requests[i]!),
          signal,
        );
        play.forEach((i, k) => {
          out[i] = replies[k]!;
        });
      }
      return out;
    },
  };
}

/** A uniformly random admissible action each turn. */
export function randomPolicy(): Policy {
  return oraclePolicy('random', (env, oracle, rng) => env.randomAction(oracle.state, rng));
}

/** Options of {@link expertPolicy}. */
export interface ExpertOptions {
  /** Probability of a random action instead of the solver's (noisy demonstrations). Default 0. */
  epsilon?: number;
}

/** The env's solver acting on the prompt's lessons (`expertMove`); a random action where it has none. */
export function expertPolicy(options: ExpertOptions = {}): Policy {
  const epsilon = options.epsilon ?? 0;
  if (!(epsilon >= 0 && epsilon <= 1))
    throw new PolicyError(`expert epsilon must be in [0, 1], got ${epsilon}`);
  const name = epsilon > 0 ? `expert(eps=${epsilon})` : 'expert';
  return oraclePolicy(name, (env, oracle, rng) => {
    if (epsilon > 0 && rng.bernoulli(epsilon)) return env.randomAction(oracle.state, rng);
    return expertMove(env, oracle) ?? env.randomAction(oracle.state, rng);
  });
}

/** What {@link scriptedTextPolicy} replies: strings in order, a record by request key, or a function of the request and its index. */
export type Script =
  | readonly string[]
  | Readonly<Record<string, string>>
  | ((request: GenerationRequest, index: number) => string);

/** Options of {@link scriptedTextPolicy}. */
export interface ScriptedTextOptions {
  name?: string;
  /** What to do when an array script runs out: throw (default) or start over. */
  onExhausted?: 'error' | 'cycle';
}

/**
 * Returns given strings: an array in order (one per request, across batches),
 * a record by request key, or a function of the request and its index.
 * Useful to drive the machines through exact replies in tests.
 */
export function scriptedTextPolicy(script: Script, options: ScriptedTextOptions = {}): Policy {
  const name = options.name ?? 'scripted-text';
  let index = 0;
  const next = (request: GenerationRequest): string => {
    const i = index++;
    if (typeof script === 'function') return script(request, i);
    if (Array.isArray(script)) {
      const list = script as readonly string[];
      if (i < list.length) return list[i]!;
      if (options.onExhausted === 'cycle' && list.length > 0) return list[i % list.length]!;
      throw new PolicyError(
        `policy "${name}": script exhausted after ${list.length} replies (request ${request.key})`,
      );
    }
    const byKey = (script as Readonly<Record<string, string>>)[request.key];
    if (byKey === undefined)
      throw new PolicyError(`policy "${name}": no scripted reply for key ${request.key}`);
    return byKey;
  };
  return {
    name,
    async generate(requests: GenerationRequest[]): Promise<Generation[]> {
      return requests.map((request) => ({ text: next(request), finishReason: 'stop' }));
    },
  };
}
