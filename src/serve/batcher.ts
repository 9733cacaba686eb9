/**
 * Micro-batching for requests that arrive one by one (HTTP clients): while a
 * batched generation runs, new requests queue; when it ends, everything
 * queued (up to `maxBatch`) goes out as the next single batch. The first
 * request after an idle spell starts at once, so there is no fixed wait.
 * (Rollouts batch in src/actors/client.ts instead, where the number of
 * requests to wait for is known.)
 */
import { PolicyError } from '../policy/errors.js';
import type { Generation, GenerationRequest, Policy } from '../policy/types.js';

interface Queued {
  request: GenerationRequest;
  resolve(g: Generation): void;
  reject(e: unknown): void;
}

export class MicroBatcher {
  /** Size of every batch sent to the policy, in order. */
  readonly batchSizes: number[] = [];
  private readonly queue: Queued[] = [];
  private busy = false;

  constructor(
    readonly policy: Policy,
    readonly maxBatch = 64,
  ) {
    if (!(Number.isInteger(maxBatch) && maxBatch >= 1)) {
      throw new PolicyError(`maxBatch must be an integer >= 1, got ${maxBatch}`);
    }
  }

  /** Requests waiting for the next batch. */
  get pendingCount(): number {
    return this.queue.length;
  }

  /** Generations for `requests`, batched with whatever else is waiting. */
  submit(requests: readonly GenerationRequest[]): Promise<Generation[]> {
    const all = requests.map(
      (request) =>
        new Promise<Generation>((resolve, reject) => this.queue.push({ request, resolve, reject })),
    );
    this.pump();
    return Promise.all(all);
  }

  private pump(): void {
    if (this.busy || this.queue.length === 0) return;
    this.busy = true;
    const batch = this.queue.splice(0, this.maxBatch);
    this.batchSizes.push(batch.length);
    this.run(batch).finally(() => {
      this.busy = false;
      this.pump();
    });
  }

  /** One batched call; when it fails, each request alone, so one bad request fails only its own caller. */
  private async run(batch: Queued[]): Promise<void> {
    try {
      const generations = await this.policy.generate(batch.map((q) => q.request));
      if (generations.length !== batch.length) {
        throw new PolicyError(
          `policy returned ${generations.length} generations for ${batch.length} requests`,
        );
      }
      batch.forEach((q, i) => {
        q.resolve(generations[i]!);
      });
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const q of batch) await this.run([q]);
    }
  }
}
