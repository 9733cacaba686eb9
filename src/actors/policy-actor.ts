/**
 * The policy actor: the one side effect of the episode and reflector machines
 * (a policy call), as ONE long-lived child per machine instead of one child
 * per call. Each machine invokes it at its root under the id `policy` from
 * the named actor `generate` (swap it with `machine.provide({ actors: {
 * generate } })`, or with episodeWithPolicy / trialWithPolicy / runRollout).
 *
 * Protocol: the machine sends `{ type: 'ask', request }`; the actor answers
 * its parent with `{ type: 'reply', key, generation }` or `{ type:
 * 'reply.error', key, error }` (a rejected call, or a generation with
 * `finishReason: 'error'`). Failures are events the parent handles (retry
 * after a backoff, or its `failed` state), never throws across the actor
 * boundary. One request at a time: a reply to anything but the request
 * pending now is dropped.
 *
 * A `PolicyCall` actor owns one AbortController for its lifetime, aborted when
 * it stops (its machine ended or was stopped), which withdraws the request in
 * flight. Over a PolicyClient (`generateActor`) the actor uses the client's
 * callback form instead (`ask`, withdrawn with `cancel` when it stops): no
 * Promise per call and no AbortController per actor, a measurable part of
 * the engine's own cost per turn and per trial (bench:engine). Its snapshot holds the pending request (plain JSON), so a
 * persisted machine restored mid-call re-asks that request when it starts;
 * through the same PolicyClient the call is replayed from the cache or joins
 * the original one, never sent twice.
 *
 * Why a hand-written ActorLogic: XState's `fromCallback` cannot persist the
 * pending request and `fromPromise` needs a new child per call (the cost this
 * replaces: 20–36 µs per call, about a plain Sokoban turn).
 */
import type { ActorLogic, ActorScope, AnyActorRef, EventObject, Snapshot } from 'xstate';
import { PolicyError } from '../policy/errors.js';
import type { Generation, GenerationRequest } from '../policy/types.js';
import type { PolicyClient } from './client.js';

/** Machine → policy actor: answer this request. */
export interface AskEvent {
  type: 'ask';
  request: GenerationRequest;
}

/** Policy actor → machine: the generation for `key`. */
export interface ReplyEvent {
  type: 'reply';
  key: string;
  generation: Generation;
}

/** Policy actor → machine: the call for `key` failed. */
export interface ReplyErrorEvent {
  type: 'reply.error';
  key: string;
  error: unknown;
}

/** What a policy actor sends its parent: the generation, or the error of the call. */
export type PolicyReply = ReplyEvent | ReplyErrorEvent;

/** One policy call: a request and an abort signal in, a generation out. */
export type PolicyCall = (request: GenerationRequest, signal: AbortSignal) => Promise<Generation>;

/**
 * A policy call by callbacks, withdrawn by `cancel` instead of an AbortSignal: what a PolicyClient offers
 * (`ask` / `cancel`); `generateActor` uses it (no Promise per call, no AbortController per actor).
 */
export interface DirectPolicyCall {
  /** Ask for `request`'s generation: `resolve` or `reject` is called later, once; returns a handle for `cancel`. */
  ask(request: GenerationRequest, resolve: (g: Generation) => void, reject: (e: unknown) => void): object;
  /** Withdraw the request of `handle` (its `reject` gets `reason`); nothing once it was answered. */
  cancel(handle: object, reason: unknown): void;
}

/** Persisted snapshot of a policy actor: the request still pending, if any (re-asked on restore). */
export type PolicyActorSnapshot = Snapshot<undefined> & {
  /** The request asked and not answered yet (re-asked on restore). */
  pending: GenerationRequest | null;
};

type Scope = ActorScope<PolicyActorSnapshot, AskEvent>;
/** The XState actor logic of a policy actor ({@link policyActor}); accepts `ask` events. */
export type PolicyActorLogic = ActorLogic<PolicyActorSnapshot, AskEvent, unknown>;

// written field by field: `{ ...snapshot, pending }` is a slow literal on V8 11.3 (trial-config.ts)
const snapshotOf = (
  status: 'active' | 'stopped',
  pending: GenerationRequest | null,
): PolicyActorSnapshot => ({
  status,
  output: undefined,
  error: undefined,
  pending,
});

const STOP = 'xstate.stop';
/** One reason for every stop (an Error per stop would capture a stack trace each time). */
export const STOPPED = new PolicyError('policy request aborted: its machine stopped');

/**
 * The event a machine gets for `key`'s generation: `reply`, or `reply.error` for a generation with
 * `finishReason: 'error'` (`name` names the policy in the error when the generation carries none).
 */
export function replyOf(name: string, key: string, generation: Generation): PolicyReply {
  return generation.finishReason === 'error'
    ? {
        type: 'reply.error',
        key,
        error: generation.error ?? new PolicyError(`${name} returned an error generation for ${key}`),
      }
    : { type: 'reply', key, generation };
}

/**
 * A policy actor calling `call` for each request it is asked (`name` names the policy in errors): a
 * {@link PolicyCall}, or a {@link DirectPolicyCall} (a PolicyClient).
 */
export function policyActor(call: PolicyCall | DirectPolicyCall, name = 'policy'): PolicyActorLogic {
  // per actor: the AbortController of a PolicyCall, or the handle of a DirectPolicyCall's open request
  const open = new WeakMap<AnyActorRef, AbortController | object>();

  const settle = (self: Scope['self'], key: string, reply: PolicyReply): void => {
    const snapshot = self.getSnapshot();
    // `open` loses the actor first thing when it stops (a withdrawn call may be rejected at once)
    if (!open.has(self) || snapshot.status !== 'active' || snapshot.pending?.key !== key) return;
    // cleared in place, not by a self-sent event (a mailbox round per call): nothing observes this
    // snapshot change, and a snapshot persisted from now on has no call to re-ask
    snapshot.pending = null;
    (self as AnyActorRef)._parent?.send(reply);
  };

  const answer = (self: Scope['self'], key: string, generation: Generation): void =>
    settle(self, key, replyOf(name, key, generation));

  const submit = (request: GenerationRequest, { self }: Scope): void => {
    const { key } = request;
    const fail = (error: unknown) => settle(self, key, { type: 'reply.error', key, error });
    if (typeof call !== 'function') {
      open.set(
        self,
        call.ask(request, (generation) => answer(self, key, generation), fail),
      );
      return;
    }
    let controller = open.get(self) as AbortController | undefined;
    if (!controller) {
      controller = new AbortController();
      open.set(self, controller);
    }
    let pending: Promise<Generation>;
    try {
      pending = call(request, controller.signal);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then((generation) => answer(self, key, generation), fail);
  };

  return {
    config: call,
    transition: (snapshot, event: AskEvent | EventObject, scope) => {
      if (snapshot.status !== 'active') return snapshot;
      switch (event.type) {
        case 'ask': {
          const { request } = event as AskEvent;
          submit(request, scope);
          return snapshotOf('active', request);
        }
        case STOP: {
          // nothing to withdraw when no call is pending
          const handle = open.get(scope.self);
          open.delete(scope.self);
          if (snapshot.pending && handle) {
            if (typeof call !== 'function') call.cancel(handle, STOPPED);
            else (handle as AbortController).abort(STOPPED);
          }
          return snapshotOf('stopped', null);
        }
        default:
          return snapshot;
      }
    },
    start: (snapshot, scope) => {
      if (snapshot.status === 'active' && snapshot.pending) submit(snapshot.pending, scope);
    },
    getInitialSnapshot: () => snapshotOf('active', null),
    getPersistedSnapshot: (snapshot) => snapshot,
    restoreSnapshot: (persisted) => persisted as PolicyActorSnapshot,
  };
}

/** The `generate` actor over a policy client (batching, replay cache). */
export function generateActor(client: PolicyClient): PolicyActorLogic {
  return policyActor(client, `policy ${client.policyName}`);
}

/** Default `generate` implementation: every call fails with a message saying how to provide a policy. */
export const missingPolicy: PolicyActorLogic = policyActor(async (request) => {
  throw new PolicyError(
    `no policy for request ${request.key}: wire one in with episodeWithPolicy / trialWithPolicy / rolloutWithPolicy (or machine.provide({ actors: { generate: policyActor(call) } }))`,
  );
});
