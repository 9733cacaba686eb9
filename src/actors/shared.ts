/**
 * Pieces shared by the episode, reflector, trial and rollout machines: the
 * retry settings, request keys and seeds, env lookups and initial states,
 * and (re-exported from policy-actor.ts) the `generate` actor: the one side
 * effect, policy calls, as one long-lived child actor per machine.
 */
import type { AnyActorRef } from 'xstate';
import { getEnv, parseParams } from '../envs/core/registry.js';
import type { AnyEnvDefinition, Json } from '../envs/core/types.js';
import { isFinalFailure } from '../policy/errors.js';
import type { GenerationOracle, GenerationRequest, SamplingSettings } from '../policy/types.js';
import type { Phase } from '../streams/types.js';
import { deriveSeed } from '../util/rng.js';

/** Retries of a failed policy call: `retries` more tries, waiting `backoffMs`, doubling each time. */
export interface RetrySettings {
  retries: number;
  backoffMs: number;
}

/** Default retry of a failed policy call: 2 more tries, the first after 1000 ms, then doubling. */
export const DEFAULT_RETRY: RetrySettings = { retries: 2, backoffMs: 1000 };

/** Who a machine's turns belong to (plain JSON; part of every request key and sample). */
export interface TurnOwner {
  taskId: string;
  groupId: string;
  trialId: string;
}

/** System id of the rollout actor: its trials' episodes send their turn samples straight to it. */
export const ROLLOUT_SYSTEM_ID = 'lamer.rollout';

/**
 * Where a machine's turn samples go besides its own listeners: the actor
 * registered as `reportTo` in the system (the rollout: one hop instead of one
 * per level), else the parent, else nowhere.
 */
export function turnTarget(
  reportTo: string | undefined,
  self: AnyActorRef,
  system: { get(id: string): AnyActorRef | undefined },
): AnyActorRef | undefined {
  return (reportTo !== undefined ? system.get(reportTo) : undefined) ?? self._parent;
}

/**
 * Stable, idempotent key of one policy call: `task/trial/attempt/turn/phase`.
 *
 * Built by `join`, not a template literal: V8 builds a template of nine parts as a tree of eight
 * concatenated strings (32 bytes each), and a served trial keeps the keys it was answered until it
 * ends (served.ts, the client's replay cache); `join` makes one flat string.
 */
export function requestKey(owner: TurnOwner, attempt: number, turn: number, phase: Phase): string {
  return [owner.taskId, owner.trialId, attempt, turn, phase].join('/');
}

/**
 * A request for one call. The sampling seed is derived from the base seed and
 * the key, so each call has its own reproducible randomness.
 */
export function makeRequest(
  key: string,
  prompt: string,
  sampling: SamplingSettings,
  baseSeed: number,
  oracle: GenerationOracle,
): GenerationRequest {
  return {
    key,
    messages: [{ role: 'user', content: prompt }],
    // Object.assign, not `{ ...sampling, seed }` (slow on V8 11.3, see trial-config.ts `episodeInput`)
    sampling: Object.assign({}, sampling, { seed: deriveSeed(sampling.seed ?? baseSeed, key) }),
    oracle,
  };
}

/**
 * `items` with `item` appended, in a new array of exactly that length: a context's arrays (a trial's
 * samples, an attempt's history) are never changed, an update replaces them. Why not `[...items, item]`:
 * V8 builds a spread by growing an array, about three times the bytes (spare capacity included) for the
 * short arrays of a trial, at the same speed (bench:engine: two such copies a turn).
 */
export function appended<T>(items: readonly T[], item: T): T[] {
  const n = items.length;
  const out = new Array<T>(n + 1);
  for (let i = 0; i < n; i++) out[i] = items[i]!;
  out[n] = item;
  return out;
}

/** Delay before retry number `tries` (1-based). */
export function backoffDelay(retry: RetrySettings, tries: number): number {
  return retry.backoffMs * 2 ** Math.max(0, tries - 1);
}

/** What the retry pieces below read of a machine that asks the policy: its settings and failed tries. */
interface Retrying {
  readonly context: { readonly cfg: { readonly retry: RetrySettings }; readonly tries: number };
}

/**
 * Guard `canRetry` of the episode, reflector and trial machines: the failed call may be tried again
 * (tries left, and not a final failure: a policy that already retried, or a request it refused).
 */
export const canRetry = ({ context: c, event }: Retrying & { event?: unknown }): boolean =>
  c.tries < c.cfg.retry.retries && !isFinalFailure((event as { error?: unknown } | undefined)?.error);

/** Delay `retryDelay` of the same machines: the backoff before the next try. */
export const retryDelay = ({ context: c }: Retrying): number => backoffDelay(c.cfg.retry, c.tries);

/** The context update of a failed try (a `reply.error` event): one more try, and why it failed. */
export const failedTry = (context: Retrying['context'], event: unknown) => ({
  tries: context.tries + 1,
  failed: describeFailure((event as { error?: unknown }).error),
});

/** How `asking` handles a failed call: another try after the backoff, or the machine's `failed` state. */
const FAILED_CALL = [
  { guard: 'canRetry', target: 'backoff', actions: 'noteFailure' },
  { target: 'failed', actions: 'noteFailure' },
] as const;
const BACKOFF = { after: { retryDelay: 'asking' } } as const;

/**
 * The `asking` and `backoff` states of a machine that asks its `policy` child for one reply (the
 * reflector): a reply goes to `replied`; a failed call is tried again after the backoff, or the machine
 * ends in its `failed` state. Its named implementations: `prepareRequest`, `ask`, `applyReply`,
 * `emitTurn`, `forwardTurn`, `noteFailure`, `canRetry`, `retryDelay`.
 */
export function askingStates<R extends string>(replied: R) {
  return {
    asking: {
      entry: ['prepareRequest', 'ask'],
      on: {
        reply: { target: replied, actions: ['applyReply', 'emitTurn', 'forwardTurn'] },
        'reply.error': FAILED_CALL,
      },
    },
    backoff: BACKOFF,
  } as const;
}

/**
 * The env threw in a step machine (the episode: its step, or building its next request): `failed` says
 * why and no request is pending. A failed call waiting for its retry keeps its request, so it is not this;
 * nor is a reflector that applied its reply. Its turn is then not reported.
 */
export const stepCrashed = (c: { failed: string | null; request: unknown }): boolean =>
  c.failed !== null && c.request === null;

/** The context update of a machine whose env threw (`error`): failed, no request pending (what {@link stepCrashed} reads). */
export const stepFailure = (error: unknown) => ({ failed: describeFailure(error), request: null });

/**
 * Send the machine's `policy` child `ask` for `request` directly (the episode's and the default trial's
 * `ask` action): not `sendTo`, which defers a relay per call.
 */
export function askPolicy(self: AnyActorRef, request: GenerationRequest): void {
  const children = self.getSnapshot().children as Record<string, AnyActorRef | undefined>;
  children.policy?.send({ type: 'ask', request });
}

/**
 * The same states for a machine that asks one reply per turn until `over` holds (the episode): a reply
 * stays in `asking` and asks the next turn in the same transition (`prepareRequest` and `ask` do nothing
 * once `over` holds), and `asking` leaves for `replied` when `over` holds, or for `failed` when `crashed`
 * holds (the machine could not apply a reply or build its next request); failed calls as in
 * {@link askingStates}. Why: the episode went through a transient `check` state after each reply and
 * entered `asking` again, two microsteps a turn (each computes the states to exit and enter and clones
 * the snapshot); a composed trial plays every turn this way.
 */
export function turnStates<R extends string, G extends string, C extends string>(
  replied: R,
  over: G,
  crashed: C,
) {
  return {
    asking: {
      entry: ['prepareRequest', 'ask'],
      always: [
        { guard: crashed, target: 'failed' },
        { guard: over, target: replied },
      ],
      on: {
        reply: { actions: ['applyReply', 'emitTurn', 'forwardTurn', 'prepareRequest', 'ask'] },
        'reply.error': FAILED_CALL,
      },
    },
    backoff: BACKOFF,
  } as const;
}

/** The registered env of an id (kept in one place so lookups stay cheap and uniform). */
export function envOf(envId: string): AnyEnvDefinition {
  return getEnv(envId);
}

/** Validated params per env and raw params object (trials of a rollout share one params object). */
const parsedParams = new WeakMap<AnyEnvDefinition, WeakMap<object, Json>>();

/**
 * An env's params validated by its schema (defaults filled in; a bad value is
 * a ConfigError naming the field), or its default preset when none are given.
 * The result is cached per params object: params are read, never mutated, so
 * a rollout validates its params once, not once per trial.
 */
export function resolvedParams(env: AnyEnvDefinition, params: Json | undefined): Json {
  const raw = params ?? env.presets[env.defaultPreset];
  if (raw === null || typeof raw !== 'object') return parseParams(env, raw) as Json;
  let byRaw = parsedParams.get(env);
  if (!byRaw) {
    byRaw = new WeakMap();
    parsedParams.set(env, byRaw);
  }
  let parsed = byRaw.get(raw);
  if (parsed === undefined) {
    parsed = parseParams(env, raw) as Json;
    byRaw.set(raw, parsed);
  }
  return parsed;
}

/** The initial state of a task: `env.initial(seed, resolvedParams(env, params))`. */
export function initialState(env: AnyEnvDefinition, seed: number, params: Json | undefined): Json {
  return env.initial(seed, resolvedParams(env, params));
}

/** The initial state of a task by env id (for custom trial machines: every attempt restarts from it). */
export function taskInitial(envId: string, seed: number, params?: Json): Json {
  return initialState(envOf(envId), seed, params);
}

/** Task type of an instance for breakdowns (`env.taskType`, else the env id). */
export function taskTypeOf(env: AnyEnvDefinition, initial: Json): string {
  return env.taskType ? env.taskType(initial) : env.id;
}

/**
 * Error text of a failed call, for `TrialRecord.failed`: the error and its causes (a policy client
 * wraps a policy's own error, e.g. the server's, as the `cause` of a PolicyError: the text keeps it).
 */
export function describeFailure(error: unknown): string {
  const parts: string[] = [];
  for (let e = error, depth = 0; e !== undefined && depth < 4; depth++) {
    parts.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(' ← caused by ');
}

export { generateActor, missingPolicy } from './policy-actor.js';
