/**
 * A PolicyClient's continuous batch (client.ts), for policies with `generateContinuous` (the ONNX policy):
 * one batch runs at a time; at each of its exchanges the replies are settled at once (the trials answered
 * ask their next requests synchronously: served.ts), and once that work is over (the client's flush
 * microtask, the same point where a lock-step batch is checked) the pending requests join it, up to
 * `maxBatch` rows. Nothing waits for time: which requests join at which exchange follows from the replies
 * alone (a request asked from a timer, a retry's, joins at the next exchange or the next batch).
 */
import { PolicyError } from '../policy/errors.js';
import type { Generation, GenerationRequest, JoinRequests, Policy } from '../policy/types.js';
import type { PolicyClientStats } from './client.js';
import type { Entry } from './client-waiters.js';

/** What a continuous batch needs of its client. */
export interface BatchHost {
  readonly policy: Policy;
  readonly stats: PolicyClientStats;
  /** Answer an entry's waiters (and cache the answer). */
  settle(entry: Entry, generation: Generation): void;
  /** Reject the entries' waiters with the batch's failure. */
  fail(entries: Entry[], error: unknown): void;
  /** Check the pending requests once the current synchronous work is over (then `offer` is called). */
  queueFlush(): void;
  /** The batch is over (answered, or failed). */
  ended(): void;
}

/** One running continuous batch of a PolicyClient (see the module comment). */
export class ContinuousBatch {
  /** Its requests not answered yet. */
  private readonly entries = new Map<GenerationRequest, Entry>();
  /** Its exchange waiting for the requests that join (null between exchanges). */
  private waiting: { open: boolean; resolve(entries: Entry[]): void } | null = null;

  constructor(
    private readonly host: BatchHost,
    first: Entry[],
  ) {
    const { policy } = host;
    const requests = this.take(first);
    const join: JoinRequests = (answered, open) => {
      for (const { request, generation } of answered) {
        const entry = this.entries.get(request);
        if (entry === undefined) continue;
        this.entries.delete(request);
        host.settle(entry, generation);
      }
      return new Promise<GenerationRequest[]>((resolve) => {
        this.waiting = { open, resolve: (entries) => resolve(this.take(entries)) };
        host.queueFlush();
      });
    };
    Promise.resolve()
      .then(() => policy.generateContinuous!(requests, join))
      .then(() => {
        if (this.entries.size > 0)
          throw new PolicyError(`policy ${policy.name} left ${this.entries.size} requests unanswered`);
      })
      .catch((error: unknown) => host.fail([...this.entries.values()], error))
      .finally(() => host.ended());
  }

  /** At an exchange: the first of `pending` join the batch (spliced out), up to `maxBatch` rows; none while it is closed. */
  offer(pending: Entry[], maxBatch: number): void {
    const waiting = this.waiting;
    if (waiting === null) return;
    this.waiting = null;
    waiting.resolve(waiting.open ? pending.splice(0, Math.max(0, maxBatch - this.entries.size)) : []);
  }

  private take(entries: Entry[]): GenerationRequest[] {
    const { stats } = this.host;
    if (entries.length > 0) {
      stats.requests += entries.length;
      stats.batchSizes.push(entries.length);
    }
    for (const e of entries) {
      e.sent = true;
      this.entries.set(e.request, e);
    }
    return entries.map((e) => e.request);
  }
}
