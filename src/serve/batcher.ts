/**
 * Micro-batching for requests that arrive one by one (HTTP clients): while a
 * batched generation runs, new requests queue; when it ends, everything
 * queued (up to `maxBatch`) goes out as the next single batch. The first
 * request after an idle spell starts at once, so there is no fixed wait.
 * (Rollouts batch in src/actors/client.ts instead, where the number of
 * requests to wait for is known.)
 *
 * A submit's signal withdraws its requests: queued ones leave the queue (they
 * never take a place in a batch), running ones are answered at once with the
 * abort reason while the policy drops their rows by the same signal (the
 * server puts it on each request). Requests are validated before they are
 * submitted (parse.ts), so a batch that fails fails as a whole: it is never
 * rerun row by row (that made one bad prompt cost the other 63 rows 4.5×).
 *
 * With LoRA adapters (`lamer serve --enable-lora`) each request names the adapter it wants (null: the
 * base model), and a batch holds one adapter's requests: the oldest queued request's adapter goes
 * next, `activate` puts its weights in place, then the batch runs. Requests of other adapters keep
 * their places in the queue.
 */
import { PolicyError } from '../policy/errors.js';
import type { Generation, GenerationRequest, Policy } from '../policy/types.js';

interface Queued {
  request: GenerationRequest;
  adapter: string | null;
  settled: boolean;
  resolve(g: Generation): void;
  reject(e: unknown): void;
}

function settle(q: Queued, outcome: { generation: Generation } | { error: unknown }): void {
  if (q.settled) return;
  q.settled = true;
  if ('generation' in outcome) q.resolve(outcome.generation);
  else q.reject(outcome.error);
}

export class MicroBatcher {
  /** Size of every batch sent to the policy, in order. */
  readonly batchSizes: number[] = [];
  /** Requests withdrawn by their signal: while queued, and while running. */
  readonly withdrawn = { queued: 0, running: 0 };
  private queue: Queued[] = [];
  private busy = false;

  constructor(
    readonly policy: Policy,
    readonly maxBatch = 64,
    /** Makes an adapter's weights (null: the base model's) those of the next `generate` call. */
    private readonly activate?: (adapter: string | null) => Promise<void>,
  ) {
    if (!(Number.isInteger(maxBatch) && maxBatch >= 1)) {
      throw new PolicyError(`maxBatch must be an integer >= 1, got ${maxBatch}`);
    }
  }

  /** Requests waiting for the next batch. */
  get pendingCount(): number {
    return this.queue.length;
  }

  /**
   * Generations for `requests`, batched with whatever else is waiting for the same adapter (null: the
   * base model); `signal` withdraws them.
   */
  submit(
    requests: readonly GenerationRequest[],
    signal?: AbortSignal,
    adapter: string | null = null,
  ): Promise<Generation[]> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const entries: Queued[] = [];
    const all = requests.map(
      (request) =>
        new Promise<Generation>((resolve, reject) => {
          entries.push({ request, adapter, settled: false, resolve, reject });
        }),
    );
    this.queue.push(...entries);
    if (signal) {
      const onAbort = () => this.withdraw(entries, signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      void Promise.allSettled(all).then(() => signal.removeEventListener('abort', onAbort));
    }
    this.pump();
    return Promise.all(all);
  }

  private withdraw(entries: readonly Queued[], reason: unknown): void {
    const mine = new Set(entries);
    const before = this.queue.length;
    this.queue = this.queue.filter((q) => !mine.has(q));
    const queued = before - this.queue.length;
    this.withdrawn.queued += queued;
    this.withdrawn.running += entries.filter((q) => !q.settled).length - queued;
    for (const q of entries) settle(q, { error: reason });
  }

  private pump(): void {
    if (this.busy || this.queue.length === 0) return;
    this.busy = true;
    const adapter = this.queue[0]!.adapter;
    let batch: Queued[];
    if (this.queue.every((q) => q.adapter === adapter)) batch = this.queue.splice(0, this.maxBatch);
    else {
      batch = [];
      const rest: Queued[] = [];
      for (const q of this.queue)
        (q.adapter === adapter && batch.length < this.maxBatch ? batch : rest).push(q);
      this.queue = rest;
    }
    this.batchSizes.push(batch.length);
    this.run(batch, adapter).finally(() => {
      this.busy = false;
      this.pump();
    });
  }

  private async run(batch: readonly Queued[], adapter: string | null): Promise<void> {
    try {
      if (this.activate) await this.activate(adapter);
      const generations = await this.policy.generate(batch.map((q) => q.request));
      if (generations.length !== batch.length) {
        throw new PolicyError(
          `policy returned ${generations.length} generations for ${batch.length} requests`,
        );
      }
      batch.forEach((q, i) => {
        const generation = generations[i]!;
        settle(
          q,
          generation.finishReason === 'error'
            ? { error: new Error(`${this.policy.name} returned no answer for ${q.request.key}`) }
            : { generation },
        );
      });
    } catch (error) {
      for (const q of batch) settle(q, { error });
    }
  }
}
