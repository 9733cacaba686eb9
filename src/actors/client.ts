/**
 * The policy client between the machines and a Policy: a batcher plus a replay cache, shared by every
 * trial of a rollout.
 *
 * Batching: requests wait until every in-flight trial has one pending (`setExpected(n)`, kept up to
 * date by the rollout machine) or `maxBatch` are pending, then go to `policy.generate(batch)` in one
 * call. With no expected count (a trial or episode run on its own) requests go out as soon as the
 * current synchronous work ends (those submitted together, together). A trial waiting out a retry
 * backoff still counts as in flight, so the batch waits for it (lock-step, as the reference runs its
 * trials). A policy with `generateContinuous` (the ONNX policy) gets one continuous batch at a time
 * instead, started on the same condition: each request is answered when its row ends, and the
 * requests pending once that answer's synchronous work is over join the running batch
 * (client-continuous.ts).
 *
 * Idempotency (choice: the cache lives here, not in machine context): a request key already answered
 * is served from the cache, and a key already in flight joins that call. A restored snapshot re-runs
 * the policy call that was in flight when it was persisted; through the same client that call is
 * answered from the cache or joins the original one, so the policy sees each key once and nothing is
 * counted twice. Failed calls are not cached (a retry asks again). Aborting a request that was not
 * sent yet withdraws it; one already sent runs to completion and lands in the cache. A signal gets
 * one 'abort' listener however many requests it guards (a policy actor passes the same signal for
 * every call of its episode). A trial's entries are dropped when it ends (`forget`). Use one client
 * per rollout: the expected count is the in-flight trial count of one rollout.
 */
import { PolicyError } from '../policy/errors.js';
import type { Generation, GenerationRequest, Policy } from '../policy/types.js';
import { ContinuousBatch } from './client-continuous.js';
import { type AskHandle, abortReason, type Entry, SignalWatch, type Waiter } from './client-waiters.js';
import { boundReply } from './reply-bound.js';

export type { AskHandle, Entry, Waiter } from './client-waiters.js';
export { boundReply, REPLY_CHARS_PER_TOKEN, replyCharBound } from './reply-bound.js';

/** Batching and replay-cache limits of a {@link PolicyClient}. */
export interface PolicyClientOptions {
  /** Largest batch sent to the policy (default: the policy's `maxBatch`, else 64). */
  maxBatch?: number;
  /** Answered generations kept for replay, oldest dropped first (default 4096). */
  cacheSize?: number;
}

/** Counters of a {@link PolicyClient} since it was created (read `client.stats`). */
export interface PolicyClientStats {
  /** Calls to `policy.generate`. */
  batches: number;
  /** Requests sent to the policy. */
  requests: number;
  /** Requests answered from the replay cache or joined to a call in flight. */
  replayed: number;
  /** Size of every batch sent, in order. */
  batchSizes: number[];
}

/**
 * Sits between the machines and a {@link Policy}: batches the requests of
 * the trials in flight into one `policy.generate` call, serves a request key
 * already answered (or in flight) from its replay cache, so a restored
 * snapshot never calls the policy twice. Use one client per rollout.
 */
export class PolicyClient {
  readonly maxBatch: number;
  readonly cacheSize: number;
  readonly stats: PolicyClientStats = { batches: 0, requests: 0, replayed: 0, batchSizes: [] };
  private expected = 0;
  private readonly pending: Entry[] = [];
  private readonly inflight = new Map<string, Entry>();
  private readonly cache = new Map<string, Generation>();
  /** Open waiters per abort signal: one 'abort' listener per signal, however many requests it guards. */
  private readonly signals = new SignalWatch((waiter, reason) => this.withdraw(waiter, reason));
  private flushQueued = false;
  /** The continuous batch running (policies with `generateContinuous`): one at a time. */
  private running: ContinuousBatch | null = null;

  constructor(
    readonly policy: Policy,
    options: PolicyClientOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? policy.maxBatch ?? 64;
    this.cacheSize = options.cacheSize ?? 4096;
    if (!(Number.isInteger(this.maxBatch) && this.maxBatch >= 1)) {
      throw new PolicyError(`maxBatch must be an integer >= 1, got ${options.maxBatch}`);
    }
  }

  get policyName(): string {
    return this.policy.name;
  }

  /** How many requests to wait for before sending a batch (the number of in-flight trials). */
  setExpected(n: number): void {
    this.expected = n;
    this.queueFlush();
  }

  /**
   * Drop answered generations from the replay cache (the trial machines call
   * this for a trial's keys when it ends, so a later run that reuses task and
   * trial ids, e.g. the next training step, never gets stale replies).
   */
  forget(keys: Iterable<string>): void {
    for (const key of keys) this.cache.delete(key);
  }

  /** Drop every answered generation from the replay cache (requests in flight stay). */
  forgetAll(): void {
    this.cache.clear();
  }

  /** Answered generations held for replay. */
  get cachedCount(): number {
    return this.cache.size;
  }

  /** Requests waiting to be sent. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** One generation for one request, batched with the requests of other trials. */
  submit(request: GenerationRequest, signal?: AbortSignal): Promise<Generation> {
    const cached = this.cache.get(request.key);
    if (cached !== undefined) {
      this.stats.replayed++;
      return Promise.resolve(cached);
    }
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<Generation>((resolve, reject) => {
      const waiter = this.enqueue(request, resolve, reject, signal);
      if (signal) this.signals.watch(signal, waiter);
    });
  }

  /**
   * {@link submit} without a Promise or an AbortSignal, for the policy actor (`generateActor`): `resolve`
   * or `reject` is called later (never during this call), once, with the handle this call returns as
   * its second argument (so one pair of callbacks can serve many calls: served.ts); `cancel(handle,
   * reason)` withdraws the request as aborting `submit`'s signal does. Why: a Promise, its reactions
   * and an AbortController with its listener per trial were a measurable part of the engine's own cost
   * per turn (bench:engine).
   */
  ask(
    request: GenerationRequest,
    resolve: (g: Generation, handle: AskHandle) => void,
    reject: (e: unknown, handle: AskHandle) => void,
  ): AskHandle {
    const cached = this.cache.get(request.key);
    if (cached === undefined) return this.enqueue(request, resolve, reject, undefined);
    this.stats.replayed++;
    const waiter: Waiter = {
      resolve,
      reject,
      entry: { request, waiters: [], sent: true },
      signal: undefined,
    };
    queueMicrotask(() => resolve(cached, waiter));
    return waiter;
  }

  /** Withdraw a request asked with {@link ask} (rejected with `reason`); nothing once it was answered. */
  cancel(handle: AskHandle, reason: unknown): void {
    this.withdraw(handle as Waiter, reason);
  }

  /** A waiter for `request`: joins the call in flight for its key, else queues a new one. */
  private enqueue(
    request: GenerationRequest,
    resolve: (g: Generation, handle: AskHandle) => void,
    reject: (e: unknown, handle: AskHandle) => void,
    signal: AbortSignal | undefined,
  ): Waiter {
    const joined = this.inflight.get(request.key);
    let waiter: Waiter;
    if (joined) {
      this.stats.replayed++;
      waiter = { resolve, reject, entry: joined, signal };
      joined.waiters.push(waiter);
    } else {
      // the entry's waiters made as `[waiter]` (a first push into `[]` allocates room for 17)
      waiter = { resolve, reject, entry: undefined as unknown as Entry, signal };
      const entry: Entry = { request, waiters: [waiter], sent: false };
      waiter.entry = entry;
      this.inflight.set(request.key, entry);
      this.pending.push(entry);
    }
    this.queueFlush();
    return waiter;
  }

  private withdraw(waiter: Waiter, reason: unknown): void {
    const { entry } = waiter;
    const i = entry.waiters.indexOf(waiter);
    if (i === -1) return; // answered already
    entry.waiters.splice(i, 1);
    this.signals.unwatch(waiter);
    waiter.reject(reason, waiter);
    if (entry.waiters.length === 0 && !entry.sent) {
      this.inflight.delete(entry.request.key);
      const i = this.pending.indexOf(entry);
      if (i !== -1) this.pending.splice(i, 1);
      this.queueFlush();
    }
  }

  /**
   * Check the flush condition once the current synchronous work is over: an
   * actor's transition may start trials before it updates the expected count.
   */
  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(this.flushLater);
  }

  /** The queued check (one function for the client's life, not a closure per check). */
  private readonly flushLater = (): void => {
    this.flushQueued = false;
    this.maybeFlush();
  };

  private maybeFlush(): void {
    if (this.running !== null) {
      this.running.offer(this.pending, this.maxBatch);
      return; // requests wait for the running batch's next exchange
    }
    if (this.policy.generateContinuous !== undefined) {
      if (
        this.pending.length > 0 &&
        this.pending.length >= Math.min(this.maxBatch, Math.max(1, this.expected))
      )
        this.sendContinuous(this.pending.splice(0, this.maxBatch));
      return;
    }
    while (
      this.pending.length > 0 &&
      (this.pending.length >= this.maxBatch || this.pending.length >= Math.max(1, this.expected))
    ) {
      this.send(this.pending.splice(0, this.maxBatch));
    }
  }

  private send(batch: Entry[]): void {
    for (const e of batch) e.sent = true;
    this.stats.batches++;
    this.stats.requests += batch.length;
    this.stats.batchSizes.push(batch.length);
    const requests = batch.map((e) => e.request);
    Promise.resolve()
      .then(() => this.policy.generate(requests))
      .then((generations) => {
        if (!Array.isArray(generations) || generations.length !== batch.length) {
          throw new PolicyError(
            `policy ${this.policy.name} returned ${Array.isArray(generations) ? generations.length : 'no'} generations for ${batch.length} requests`,
          );
        }
        for (let i = 0; i < batch.length; i++) this.settle(batch[i]!, generations[i]!);
      })
      .catch((error: unknown) => this.fail(batch, error));
  }

  /** A continuous batch from `first` (client-continuous.ts); the pending requests join it at its exchanges. */
  private sendContinuous(first: Entry[]): void {
    this.stats.batches++;
    this.running = new ContinuousBatch(
      {
        policy: this.policy,
        stats: this.stats,
        settle: (entry, generation) => this.settle(entry, generation),
        fail: (entries, error) => this.fail(entries, error),
        queueFlush: () => this.queueFlush(),
        ended: () => {
          this.running = null;
          this.queueFlush();
        },
      },
      first,
    );
  }

  /** Every waiter of `batch` rejected with a PolicyError (`error`, or one with it as the cause). */
  private fail(batch: Entry[], error: unknown): void {
    const failure =
      error instanceof PolicyError
        ? error
        : new PolicyError(`policy ${this.policy.name} failed on a batch of ${batch.length}`, {
            cause: error,
          });
    for (const e of batch) {
      this.inflight.delete(e.request.key);
      const { waiters } = e;
      e.waiters = [];
      for (const w of waiters) {
        this.signals.unwatch(w);
        w.reject(failure, w);
      }
    }
  }

  private settle(entry: Entry, answer: Generation): void {
    this.inflight.delete(entry.request.key);
    const generation = boundReply(answer, entry.request.sampling.maxTokens);
    if (generation.finishReason !== 'error') {
      this.cache.set(entry.request.key, generation);
      if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    }
    const { waiters } = entry;
    entry.waiters = [];
    for (const w of waiters) {
      this.signals.unwatch(w);
      w.resolve(generation, w);
    }
  }
}
