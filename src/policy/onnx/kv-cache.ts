/**
 * The built-in model's KV cache in the generation worker (decode-graph.ts): per layer a key and a
 * value buffer laid out [rows, kvHeads, capacity, headDim] with the prompts left-padded to one
 * width, so every row writes its next token into the same slot. A decode step feeds the buffers
 * as they are (views of their running rows: no copy), the graph returns only the new keys and
 * values, and they are written into their slot here. Its outputs (logits, the untruncated draw's
 * weights, the new keys and values) go into buffers kept from step to step (preallocated fetches):
 * a new 512 kB float64 output per step at batch 64 cost more than computing it. Finished rows leave by compaction (one row
 * copied per finished row); the capacity grows by GROW slots when full (each row moved once, in
 * the same buffer when it is large enough). The buffers are kept from batch to batch and reused.
 * An additive attention bias [rows, capacity] (0 valid, -1e9 padding and empty slots) goes along.
 */
import type { StepOutput, Stepper } from './decode-loop.js';
import { KeptBuffers, moveWindows, room } from './kv-buffers.js';
import { f32, f64, i64, kvName, type OrtFeeds, type WeightedSession } from './ort-run.js';
import { copyPieces, type PrefillStats, type PromptBatch, prefillBatch } from './prefill.js';
import { type KvPages, type PrefixStore, rowKv } from './prefix-store.js';
import type { KvLayout, WorkerProfile } from './protocol.js';

/** Slots added when the cache is full: a smaller step wastes less attention on empty slots, a larger one moves rows less often. */
export const GROW = 32;
const MASKED = -1e9;

/** A decode step's outputs, written by onnxruntime into these buffers (kept from step to step): views of their first rows. */
class StepOutputs {
  private logits = new Float32Array(0);
  private weights = new Float64Array(0);
  private fresh: Float32Array[];

  constructor(private readonly L: KvLayout) {
    this.fresh = Array.from({ length: 2 * L.nLayers }, () => new Float32Array(0));
  }

  /** Whether the last step fetched the logits. */
  private withLogits = true;

  /**
   * Preallocated fetches for `n` rows; the logits only when `logits` (onnxruntime-node returns every
   * fetched output in a new buffer as well: 78 MB of logits a bench:rollout step that no row read).
   */
  fetches(n: number, logits: boolean): OrtFeeds {
    const { vocabSize: V, kvHeads: K, headDim: hd } = this.L;
    if (this.logits.length < n * V) {
      this.logits = new Float32Array(n * V);
      this.weights = new Float64Array(n * V);
    }
    const out: OrtFeeds = { weights: f64(this.weights.subarray(0, n * V), [n, V]) };
    if (logits) out.logits = f32(this.logits.subarray(0, n * V), [n, 1, V]);
    this.withLogits = logits;
    this.fresh = this.fresh.map((t, j) => {
      const buf = room(t, n * K * hd);
      out[kvName('new', j)] = f32(buf.subarray(0, n * K * hd), [n, K, 1, hd]);
      return buf;
    });
    return out;
  }

  /** The new keys (even j) and values (odd j) of the last step, [rows, kvHeads, headDim] each. */
  kv(j: number): Float32Array {
    return this.fresh[j]!;
  }

  read(n: number): StepOutput {
    const V = this.L.vocabSize;
    return {
      logits: this.logits.subarray(0, this.withLogits ? n * V : 0),
      weights: this.weights.subarray(0, n * V),
    };
  }
}

export class InPlaceCache implements Stepper {
  readonly joins = true;
  private kv: Float32Array[];
  private bias: Float32Array = new Float32Array(0);
  private rows = 0;
  private cap = 0;
  /** Slots filled in every row (left padding included). */
  private filled = 0;
  private readonly outputs: StepOutputs;
  /** The prompt pass's past inputs. */
  private readonly kept = new KeptBuffers();

  constructor(
    private readonly prefillSession: WeightedSession,
    private readonly decodeSession: WeightedSession,
    private readonly L: KvLayout,
    private readonly prof: WorkerProfile,
  ) {
    this.kv = Array.from({ length: 2 * L.nLayers }, () => new Float32Array(0));
    this.outputs = new StepOutputs(L);
  }

  /** Floats of one (row, head) block. */
  private get block(): number {
    return this.cap * this.L.headDim;
  }

  /**
   * Prompt pass of `b`'s prompts into new rows after the running ones (none after `release`), each
   * prompt right-aligned to end at the write slot. `live` is the longest running row (prompt and the
   * tokens fed). When a new prompt is longer than the filled width, or the running rows leave GROW or
   * more slots unused on the left, every row moves once to a window of the longest row's width (a
   * continuous batch's rows joining, decode-loop.ts).
   */
  async prefill(
    b: PromptBatch,
    store: PrefixStore | null,
    stats: PrefillStats,
    live = 0,
  ): Promise<Float32Array> {
    const L = this.L;
    const hd = L.headDim;
    const seq = Math.max(...b.prompts.map((p) => p.length));
    const first = this.rows;
    const rows = first + b.prompts.length;
    if (first === 0) {
      this.cap = seq + GROW;
      this.filled = seq;
      this.kv = this.kv.map((t) => room(t, rows * L.kvHeads * this.block));
      this.bias = room(this.bias, rows * this.cap);
    } else {
      const width = Math.max(seq, live);
      if (seq > this.filled || this.filled - width >= GROW) this.relayout(width, live, rows);
      else this.reserve(rows);
    }
    this.rows = rows;
    const block = this.block;
    const filled = this.filled;
    b.prompts.forEach((p, i) => {
      const r = first + i;
      this.bias.fill(MASKED, r * this.cap, (r + 1) * this.cap);
      this.bias.fill(0, r * this.cap + filled - p.length, r * this.cap + filled);
    });
    return prefillBatch(
      this.prefillSession,
      this.kept,
      L,
      b,
      store,
      (r, i, pieces) => {
        const start = filled - b.prompts[r]!.length;
        for (let h = 0; h < L.kvHeads; h++) {
          const at = ((first + r) * L.kvHeads + h) * block;
          for (let j = 0; j < this.kv.length; j++) {
            const t = this.kv[j]!;
            t.fill(0, at, at + start * hd); // left padding, masked
            copyPieces(t, at + start * hd, pieces, j, i, h, L);
            t.fill(0, at + filled * hd, at + block); // empty slots
          }
        }
      },
      stats,
    );
  }

  /** Room for `rows` rows at the current capacity, the running rows kept. */
  private reserve(rows: number): void {
    const keep = (t: Float32Array, n: number, used: number) => {
      if (t.length >= n) return t;
      const to = room(t, n);
      to.set(t.subarray(0, used));
      return to;
    };
    const row = this.L.kvHeads * this.block;
    this.kv = this.kv.map((t) => keep(t, rows * row, this.rows * row));
    this.bias = keep(this.bias, rows * this.cap, this.rows * this.cap);
  }

  /**
   * Move the running rows to a window whose write slot is `filled` (capacity filled + GROW), with room
   * for `rows` rows: each row's last `live` slots (its keys/values, padding before them) are copied.
   */
  private relayout(filled: number, live: number, rows: number): void {
    const t0 = performance.now();
    const L = this.L;
    const hd = L.headDim;
    const cap = filled + GROW;
    const blocks = this.rows * L.kvHeads;
    const at = (this.filled - live) * hd;
    this.kv = this.kv.map((t) => {
      const to = room(t, rows * L.kvHeads * cap * hd);
      moveWindows(t, to, blocks, this.cap * hd, cap * hd, at, (filled - live) * hd, live * hd, 0);
      return to;
    });
    const bias = room(this.bias, rows * cap);
    moveWindows(this.bias, bias, this.rows, this.cap, cap, this.filled - live, filled - live, live, MASKED);
    this.bias = bias;
    this.cap = cap;
    this.filled = filled;
    this.prof.feedMs += performance.now() - t0;
  }

  rowKv(slot: number, length: number, into: KvPages): void {
    const start = this.filled - length;
    rowKv(this.kv, this.L.kvHeads, this.L.headDim, this.cap, { slot, start, length }, into);
  }

  compact(order: readonly number[]): void {
    const t0 = performance.now();
    const row = this.L.kvHeads * this.block;
    for (let i = 0; i < order.length; i++) {
      const o = order[i]!;
      if (o === i) continue;
      for (const t of this.kv) t.copyWithin(i * row, o * row, (o + 1) * row);
      this.bias.copyWithin(i * this.cap, o * this.cap, (o + 1) * this.cap);
    }
    this.rows = order.length;
    this.prof.feedMs += performance.now() - t0;
  }

  /** Capacity + GROW: every (row, head) block moves to its wider place, last first (in place when there is room). */
  private grow(): void {
    const L = this.L;
    const hd = L.headDim;
    const cap = this.cap + GROW;
    const blocks = this.rows * L.kvHeads;
    const moveBlocks = (
      from: Float32Array,
      to: Float32Array,
      count: number,
      old: number,
      wide: number,
      pad: number,
    ) => {
      for (let k = count - 1; k >= 0; k--) {
        if (from === to) to.copyWithin(k * wide, k * old, (k + 1) * old);
        else to.set(from.subarray(k * old, (k + 1) * old), k * wide);
        to.fill(pad, k * wide + old, (k + 1) * wide);
      }
    };
    this.kv = this.kv.map((t) => {
      const to = room(t, blocks * cap * hd);
      moveBlocks(t, to, blocks, this.cap * hd, cap * hd, 0);
      return to;
    });
    const bias = room(this.bias, this.rows * cap);
    moveBlocks(this.bias, bias, this.rows, this.cap, cap, MASKED);
    this.bias = bias;
    this.cap = cap;
  }

  async step(
    tokens: BigInt64Array,
    positions: BigInt64Array,
    invTemperature: Float64Array,
    logits: boolean,
  ): Promise<StepOutput> {
    const L = this.L;
    const hd = L.headDim;
    const n = this.rows;
    let t0 = performance.now();
    if (this.filled === this.cap) this.grow();
    const cap = this.cap;
    const feeds: OrtFeeds = {
      input_ids: i64(tokens, [n, 1]),
      position_ids: i64(positions, [n, 1]),
      attention_bias: f32(this.bias.subarray(0, n * cap), [n, cap]),
      inv_temperature: f64(invTemperature, [n, 1]),
    };
    const kvDims = [n, L.kvHeads, cap, hd];
    for (let j = 0; j < this.kv.length; j++) {
      feeds[kvName('past_key_values', j)] = f32(this.kv[j]!.subarray(0, n * L.kvHeads * cap * hd), kvDims);
    }
    const fetches = this.outputs.fetches(n, logits);
    this.prof.feedMs += performance.now() - t0;
    await this.decodeSession.run(feeds, this.prof, fetches);
    t0 = performance.now();
    const slot = this.filled * hd;
    for (let j = 0; j < this.kv.length; j++) {
      const fresh = this.outputs.kv(j);
      const t = this.kv[j]!;
      for (let k = 0; k < n * L.kvHeads; k++) {
        const at = k * cap * hd + slot;
        for (let x = 0; x < hd; x++) t[at + x] = fresh[k * hd + x]!;
      }
    }
    for (let r = 0; r < n; r++) this.bias[r * cap + this.filled] = 0;
    this.filled++;
    this.prof.fetchMs += performance.now() - t0;
    return this.outputs.read(n);
  }

  release(): void {
    this.rows = 0;
  }
}
