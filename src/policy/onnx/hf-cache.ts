/**
 * The KV cache of a Hugging Face-layout export, in the generation worker: each step feeds the
 * cache as `past_key_values.*` with the attention mask over past + the new token, and the graph's
 * `present.*` (the past with the new token appended, a fresh copy) becomes the cache. Finished rows
 * leave by copying the kept rows. Any export runs this way; the built-in model has the in-place
 * path (kv-cache.ts), which does not copy the cache per step.
 */
import type { StepOutput, Stepper } from './decode-loop.js';
import { KeptBuffers } from './kv-buffers.js';
import { f32, i64, kvName, type OrtFeeds, type WeightedSession } from './ort-run.js';
import { copyPieces, type PrefillStats, type PromptBatch, prefillBatch } from './prefill.js';
import { type KvPages, type PrefixStore, rowKv } from './prefix-store.js';
import type { KvLayout, WorkerProfile } from './protocol.js';

/** Rows `order` of a [rows, ...] array of `rowSize` elements per row. */
function selectRows<T extends Float32Array | BigInt64Array>(
  a: T,
  rowSize: number,
  order: readonly number[],
): T {
  const out = new (a.constructor as new (n: number) => T)(order.length * rowSize);
  order.forEach((r, i) => {
    out.set(a.subarray(r * rowSize, (r + 1) * rowSize) as never, i * rowSize);
  });
  return out;
}

export class HfLayoutCache implements Stepper {
  readonly joins = false;
  private kv: Float32Array[] = [];
  /** [rows, filled] 1 for real tokens, 0 for padding. */
  private mask = new BigInt64Array(0);
  private rows = 0;
  private filled = 0;
  /** The prompt pass's past inputs. */
  private readonly kept = new KeptBuffers();

  constructor(
    private readonly session: WeightedSession,
    private readonly L: KvLayout,
    private readonly prof: WorkerProfile,
  ) {}

  async prefill(b: PromptBatch, store: PrefixStore | null, stats: PrefillStats): Promise<Float32Array> {
    if (this.rows > 0)
      throw new Error('HfLayoutCache: rows cannot join a running batch (no continuous batching)');
    const L = this.L;
    const hd = L.headDim;
    const seq = Math.max(...b.prompts.map((p) => p.length));
    this.rows = b.prompts.length;
    this.filled = seq;
    this.mask = new BigInt64Array(this.rows * seq);
    b.prompts.forEach((p, r) => {
      this.mask.fill(1n, r * seq + seq - p.length, (r + 1) * seq);
    });
    const block = seq * hd;
    this.kv = Array.from({ length: 2 * L.nLayers }, () => new Float32Array(this.rows * L.kvHeads * block));
    return prefillBatch(
      this.session,
      this.kept,
      L,
      b,
      store,
      (r, i, pieces) => {
        for (let h = 0; h < L.kvHeads; h++) {
          // the prompt ends at the last column, zero before it: padding
          const at = (r * L.kvHeads + h) * block + (seq - b.prompts[r]!.length) * hd;
          this.kv.forEach((t, j) => {
            copyPieces(t, at, pieces, j, i, h, L);
          });
        }
      },
      stats,
    );
  }

  rowKv(slot: number, length: number, into: KvPages): void {
    const start = this.filled - length;
    rowKv(this.kv, this.L.kvHeads, this.L.headDim, this.filled, { slot, start, length }, into);
  }

  compact(order: readonly number[]): void {
    const t0 = performance.now();
    const row = this.L.kvHeads * this.filled * this.L.headDim;
    this.kv = this.kv.map((t) => selectRows(t, row, order));
    this.mask = selectRows(this.mask, this.filled, order);
    this.rows = order.length;
    this.prof.feedMs += performance.now() - t0;
  }

  async step(tokens: BigInt64Array, positions: BigInt64Array): Promise<StepOutput> {
    const L = this.L;
    const n = this.rows;
    const t0 = performance.now();
    const total = this.filled + 1;
    const mask = new BigInt64Array(n * total).fill(1n);
    for (let r = 0; r < n; r++)
      mask.set(this.mask.subarray(r * this.filled, (r + 1) * this.filled), r * total);
    const feeds: OrtFeeds = {
      input_ids: i64(tokens, [n, 1]),
      attention_mask: i64(mask, [n, total]),
    };
    if (L.positionIds) feeds.position_ids = i64(positions, [n, 1]);
    const dims = [n, L.kvHeads, this.filled, L.headDim];
    this.kv.forEach((t, j) => {
      feeds[kvName('past_key_values', j)] = f32(t, dims);
    });
    this.prof.feedMs += performance.now() - t0;
    const out = await this.session.run(feeds, this.prof);
    const t1 = performance.now();
    this.kv = this.kv.map((_, j) => out[kvName('present', j)]!.data as Float32Array);
    this.mask = mask;
    this.filled = total;
    const logits = out.logits!;
    const steps = logits.dims[1]!;
    const V = L.vocabSize;
    const all = logits.data as Float32Array;
    const last = steps === 1 ? all : new Float32Array(n * V);
    if (steps !== 1)
      for (let r = 0; r < n; r++)
        last.set(all.subarray((r * steps + steps - 1) * V, (r * steps + steps) * V), r * V);
    this.prof.fetchMs += performance.now() - t1;
    return { logits: last, weights: null };
  }

  release(): void {
    this.kv = [];
    this.mask = new BigInt64Array(0);
    this.rows = 0;
  }
}
