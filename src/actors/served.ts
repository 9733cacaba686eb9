/**
 * A rollout's trials served by its PolicyClient directly, without a policy child per trial.
 *
 * `rolloutWithPolicy` runs `servedTrialMachine` (trial.ts: the default trial's states without the
 * `policy` child) and provides its `ask` action from a {@link ServedPolicy}: the action hands the
 * trial's pending request to the client's callback form (`ask`), and the answer comes back to the
 * trial as the same `reply` / `reply.error` event the policy child sends (`replyOf`). One request is
 * open per trial; an answer to anything but the trial's open request is dropped, as the child drops it.
 * It keeps the keys it answered per trial, so the trial's end drops them from the client's replay
 * cache without building them again from its samples (`ended`).
 *
 * What the child also did, done here once per lane instead of once per trial: each lane invokes one
 * `policyPort` actor ({@link policyPort}, its logic). When the lane stops (its rollout was stopped), the
 * port withdraws the open requests of the lane's trials (`cancel`, as a stopped child does). When the
 * lane is restored from a persisted snapshot, the port sends each of its trials `resume`, and a trial
 * waiting for a reply asks its pending request (`context.request`, part of its snapshot) again; through
 * the same PolicyClient it is replayed from the cache or joins the call in flight, never sent twice.
 *
 * Why: the child was a second XState actor per trial (constructed, started, stopped) and a second
 * event per turn (the trial's `ask` to it): ~13 µs a trial and ~2 µs a turn of the engine's own cost
 * (bench:engine), for a relay of one call whose request the trial already holds.
 */
import type { ActorLogic, AnyActorRef, EventObject, Snapshot } from 'xstate';
import type { Generation } from '../policy/types.js';
import type { AskHandle, PolicyClient } from './client.js';
import { type PolicyReply, replyOf, STOPPED } from './policy-actor.js';
import type { TrialContext } from './trial-config.js';

/** What a served trial has asked: its open request, and the keys answered through this service. */
interface TrialCalls {
  /** Key of the request asked and not answered yet (null: none open). */
  key: string | null;
  /** The client's handle of that request: an answer to any other handle is stale and dropped. */
  handle: AskHandle | null;
  /** Keys answered (their generations sit in the client's replay cache until the trial ends). */
  answered: string[];
  /** The trial's callbacks for the client, made once per trial (not two closures per call). */
  resolve: (generation: Generation, handle: AskHandle) => void;
  reject: (error: unknown, handle: AskHandle) => void;
}

/** Snapshot of a lane's policy port: `restored` when it came from a persisted snapshot (not persisted). */
export type PolicyPortSnapshot = Snapshot<undefined> & { restored: boolean };

/** The XState logic of a lane's `policyPort` actor. */
export type PolicyPortLogic = ActorLogic<PolicyPortSnapshot, EventObject, unknown>;

const portSnapshot = (status: 'active' | 'stopped', restored: boolean): PolicyPortSnapshot => ({
  status,
  output: undefined,
  error: undefined,
  restored,
});

/** What the `ask` action of a served trial reads of its arguments (XState passes the action's arguments). */
export interface AskArgs {
  context: Pick<TrialContext, 'request' | 'failed'>;
  self: AnyActorRef;
}

/**
 * The policy calls of one rollout's served trials: their `ask` action ({@link ask}), and what their lanes'
 * `policyPort` ({@link policyPort}) does with them, over the rollout's PolicyClient.
 */
export class ServedPolicy {
  /**
   * The calls of each trial actor that asked. A served trial's actor plays its slot's trials one after
   * another, and its entry (with its two callbacks) serves them all: one per slot, not one per trial.
   */
  private readonly trials = new Map<AnyActorRef, TrialCalls>();
  private readonly name: string;

  constructor(private readonly client: PolicyClient) {
    this.name = `policy ${client.policyName}`;
  }

  /**
   * The trial's `ask` action: ask the client for `context.request`, unless that request is open already
   * (a `retry` or `resume` of a call in flight); a trial asking another request withdraws its open one.
   */
  readonly ask = ({ context, self }: AskArgs): void => {
    const { request } = context;
    if (request === null || context.failed !== null) return;
    const { key } = request;
    const calls = this.trials.get(self) ?? this.open(self);
    if (calls.key === key) return;
    const before = calls.handle;
    calls.key = key;
    // the client never answers during `ask`, so the handle is set before any answer can come
    calls.handle = this.client.ask(request, calls.resolve, calls.reject);
    // its answer is dropped (no longer the open request)
    if (before) this.client.cancel(before, STOPPED);
  };

  /** The calls of `trial`, first asking: its callbacks, which answer its open request only. */
  private open(trial: AnyActorRef): TrialCalls {
    const calls: TrialCalls = {
      key: null,
      handle: null,
      answered: [],
      resolve: (generation, handle) => {
        if (handle === calls.handle) this.settle(trial, calls, replyOf(this.name, calls.key!, generation));
      },
      reject: (error, handle) => {
        if (handle === calls.handle)
          this.settle(trial, calls, { type: 'reply.error', key: calls.key!, error });
      },
    };
    this.trials.set(trial, calls);
    return calls;
  }

  /** The open request of `trial` was answered: it is closed, and the trial gets the reply. */
  private settle(trial: AnyActorRef, calls: TrialCalls, reply: PolicyReply): void {
    calls.key = null;
    calls.handle = null;
    if (reply.type === 'reply') calls.answered.push(reply.key);
    trial.send(reply);
  }

  /**
   * The trial ended: drop its answered generations from the client's replay cache (so a later run that
   * reuses its task and trial ids asks again). `sampleKeys` gives the keys of its samples, used when this
   * service did not answer every one (a trial restored from a snapshot played some turns before).
   */
  ended(trial: AnyActorRef, samples: number, sampleKeys: () => string[]): void {
    const calls = this.trials.get(trial);
    this.client.forget(
      calls !== undefined && calls.answered.length === samples ? calls.answered : sampleKeys(),
    );
    if (calls === undefined) return;
    // kept for the slot's next trial, which this actor plays (lane.ts): its calls start empty, and an
    // answer to a request still open is dropped (not given to that trial)
    calls.key = null;
    calls.handle = null;
    calls.answered.length = 0;
  }

  /** Withdraw the open requests of the trials of `lane` (it stopped: its rollout was stopped). */
  withdrawLane(lane: AnyActorRef | undefined): void {
    for (const [trial, calls] of this.trials) {
      if (trial._parent !== lane) continue;
      this.trials.delete(trial);
      const { handle } = calls;
      // closed first, so the withdrawn call's error is dropped (its handle is no longer the open one), not
      // sent to the stopped trial
      calls.key = null;
      calls.handle = null;
      if (handle !== null) this.client.cancel(handle, STOPPED);
    }
  }

  /** The `policyPort` logic of this rollout's lanes (see the module comment): `policyPort(this)`. */
  get port(): PolicyPortLogic {
    return policyPort(this);
  }
}

/**
 * A lane's `policyPort` logic: over the {@link ServedPolicy} of its rollout (`served`, or a function giving it
 * for the lane's actor system: one logic serves every rollout of a machine built once, provide.ts), it
 * withdraws the lane's open requests when the lane stops and sends the lane's trials `resume` when the lane
 * was restored; with `null` (a lane whose trials have their own policy children) it does nothing.
 */
export function policyPort(
  served: ServedPolicy | ((system: object) => ServedPolicy) | null,
): PolicyPortLogic {
  const servedOf = served instanceof ServedPolicy ? () => served : served;
  return {
    config: servedOf,
    transition: (snapshot, event, { self, system }) => {
      if (event.type !== 'xstate.stop' || snapshot.status !== 'active') return snapshot;
      servedOf?.(system).withdrawLane(self._parent);
      return portSnapshot('stopped', false);
    },
    start: (snapshot, { self }) => {
      if (servedOf === null || !snapshot.restored) return;
      const lane = self._parent as AnyActorRef;
      const children = lane.getSnapshot().children as Record<string, AnyActorRef>;
      // not a trial that had ended when the lane was persisted (it stays in its slot, see lane.ts)
      for (const child of Object.values(children))
        if (child !== self && child.getSnapshot().status === 'active') child.send({ type: 'resume' });
    },
    getInitialSnapshot: () => portSnapshot('active', false),
    getPersistedSnapshot: (snapshot) => portSnapshot(snapshot.status as 'active', false),
    restoreSnapshot: (persisted) =>
      portSnapshot((persisted as PolicyPortSnapshot).status as 'active' | 'stopped', true),
  };
}
