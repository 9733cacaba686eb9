/**
 * The whole generation of a batch, inside the worker thread: prefill, then one decode step per token
 * for every row still running, each row sampled with its own seeded generator (sampling.ts: one
 * draw per token, so a row's tokens do not depend on the rows beside it) and checked for its end
 * (end token, stop string, budget, context length). The main thread sends the batch and gets the
 * finished rows back: one thread crossing per batch instead of two per token. A row withdrawn by
 * the main thread (its flag in shared memory) leaves before its next token, like a finished row.
 *
 * Finished rows leave the batch by compaction: the last running rows move into their slots (one
 * row's cache copied per finished row, not the whole cache), so the cache's running rows stay a
 * prefix that the next step feeds as it is.
 */
import { Rng } from '../../util/rng.js';
import type { PrefillStats, PromptBatch } from './prefill.js';
import type { PrefixStore } from './prefix-store.js';
import type { RowOutcome, RowSpec, WorkerProfile } from './protocol.js';
import { drawWeighted, isUntruncated, sampleToken } from './sampling.js';

/** A decode step's outputs: logits [rows, vocab], and the untruncated draw's weights [rows, vocab] when the step computes them. */
export interface StepOutput {
  logits: Float32Array;
  /** exp(logits / T − max / T) per row with the row's `invTemperature` (sampling.ts `drawWeighted`), or null. */
  weights: Float64Array | null;
}

/** A KV cache and the runs over it (kv-cache.ts: fixed capacity written in place; hf-cache.ts: the HF layout). */
export interface Stepper {
  /**
   * Prompt pass (prefill.ts; prompts left-padded to the longest, reusing `store`'s prefixes); returns
   * the last position's logits [batch, vocab]; cache row i = batch row i.
   */
  prefill(batch: PromptBatch, store: PrefixStore | null, stats: PrefillStats): Promise<Float32Array>;
  /** Copies of cache row `slot`'s keys/values over slots [start, start + length): [kvHeads, length, headDim] each. */
  rowKv(slot: number, start: number, length: number): Float32Array[];
  /**
   * Keep `order.length` rows: new row i is old row `order[i]`, where every `order[i]` is i or at
   * least `order.length` (holes filled from the tail, so moves never overwrite a row still to move).
   */
  compact(order: readonly number[]): void;
  /**
   * One token per cache row ([rows] ids and positions, and 1 / T of each row's sampler); returns their
   * logits, and the untruncated draw's weights if the step computes them (the built-in decode graph).
   */
  step(tokens: BigInt64Array, positions: BigInt64Array, invTemperature: Float64Array): Promise<StepOutput>;
  /** Drop the batch (buffers may be kept for the next one). */
  release(): void;
}

export interface BatchSpec {
  rows: readonly RowSpec[];
  /** Per row: 1 once the row is withdrawn (shared memory, written by the main thread). */
  aborted: Int32Array;
  endIds: readonly number[];
  padId: number;
  maxPositions: number | null;
  vocabSize: number;
}

/** Does the decoded tail of `tokens` contain one of `stops`? (Loaded only when a row has stop strings.) */
export type StopFinder = (tokens: readonly number[], stops: readonly string[], window: number) => boolean;

interface Row {
  spec: RowSpec;
  rng: Rng;
  /** Longest stop string, in UTF-16 units (0: none). */
  stopWindow: number;
  tokens: number[];
  logprobs: number[];
  out: RowOutcome | null;
}

/** After a row's new token: its outcome if it ended, else null. */
function check(row: Row, token: number, b: BatchSpec, ends: ReadonlySet<number>, stops: StopFinder | null) {
  const done = (finishReason: 'stop' | 'length', endToken: boolean): RowOutcome => ({
    tokens: row.tokens,
    logprobs: row.logprobs,
    finishReason,
    endToken,
  });
  if (ends.has(token)) return done('stop', true);
  if (row.stopWindow > 0 && stops !== null && stops(row.tokens, row.spec.stop, row.stopWindow))
    return done('stop', false);
  const atLimit = b.maxPositions !== null && row.spec.promptIds.length + row.tokens.length >= b.maxPositions;
  if (row.tokens.length >= row.spec.maxTokens || atLimit) return done('length', false);
  return null;
}

/**
 * Generate every row of `b` to its end. `stops` must be given when a row has stop strings. Rows
 * that end leave their prompt and reply keys/values in `store` for later prompts that repeat them.
 * Adds the phases it times to `prof` (the stepper adds its runs, feeds and fetches).
 */
export async function decodeBatch(
  stepper: Stepper,
  b: BatchSpec,
  stops: StopFinder | null,
  prof: WorkerProfile,
  store: PrefixStore | null,
): Promise<RowOutcome[]> {
  const rows: Row[] = b.rows.map((spec) => ({
    spec,
    rng: Rng.seeded(spec.seed),
    stopWindow: Math.max(0, ...spec.stop.map((s) => s.length)),
    tokens: [],
    logprobs: [],
    out: null,
  }));
  const ends = new Set(b.endIds);
  const V = b.vocabSize;
  let t0 = performance.now();
  const prompts = b.rows.map((r) => r.promptIds);
  const seq = Math.max(...prompts.map((p) => p.length));
  const untruncated = b.rows.map((r) => isUntruncated(r.sampler, V));
  let out: StepOutput = {
    logits: await stepper.prefill({ prompts, padId: b.padId }, store, prof),
    weights: null,
  };
  prof.prefillMs += performance.now() - t0;
  let slots = rows.map((_, i) => i); // batch row of each cache row
  /** Keep a row that left in the store: its prompt and the reply tokens fed so far (`steps`). */
  const keep = (j: number, steps: number) => {
    const row = rows[slots[j]!]!;
    const length = row.spec.promptIds.length + steps;
    const tokens = Int32Array.from(row.spec.promptIds.concat(row.tokens).slice(0, length));
    store!.add(tokens, stepper.rowKv(j, seq - row.spec.promptIds.length, length));
  };
  try {
    for (let steps = 0; ; steps++) {
      t0 = performance.now();
      let stopMs = 0;
      const running: number[] = []; // cache rows still running
      for (let j = 0; j < slots.length; j++) {
        const row = rows[slots[j]!]!;
        if (Atomics.load(b.aborted, slots[j]!) === 1) {
          row.out = { tokens: row.tokens, logprobs: row.logprobs, finishReason: 'abort', endToken: false };
          continue;
        }
        const s =
          out.weights !== null && untruncated[slots[j]!]
            ? drawWeighted(out.weights.subarray(j * V, (j + 1) * V), row.rng)
            : sampleToken(out.logits.subarray(j * V, (j + 1) * V), row.spec.sampler, row.rng);
        row.tokens.push(s.id);
        row.logprobs.push(s.logprob);
        const t = performance.now();
        row.out = check(row, s.id, b, ends, stops);
        stopMs += performance.now() - t;
        if (row.out === null) running.push(j);
      }
      prof.sampleMs += performance.now() - t0 - stopMs;
      prof.stopMs += stopMs;
      t0 = performance.now();
      const n = running.length;
      if (store !== null && n < slots.length) {
        for (let j = 0, k = 0; j < slots.length; j++) {
          if (running[k] === j) k++;
          else keep(j, steps);
        }
        const t = performance.now();
        prof.keepMs += t - t0;
        t0 = t;
      }
      if (n === 0) break;
      if (n < slots.length) {
        const order = compactionOrder(running, slots.length);
        stepper.compact(order);
        slots = order.map((j) => slots[j]!);
      }
      const tokens = new BigInt64Array(n);
      const positions = new BigInt64Array(n);
      const inv = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        const row = rows[slots[j]!]!;
        tokens[j] = BigInt(row.tokens[row.tokens.length - 1]!);
        positions[j] = BigInt(row.spec.promptIds.length + row.tokens.length - 1);
        inv[j] = untruncated[slots[j]!] ? 1 / row.spec.sampler.temperature : 1;
      }
      prof.feedMs += performance.now() - t0;
      out = await stepper.step(tokens, positions, inv);
      prof.steps++;
      prof.rowSteps += n;
    }
  } finally {
    stepper.release();
  }
  return rows.map((r) => r.out!);
}

/**
 * The order that keeps the `running` cache rows (ascending) of `count`: running rows below the new
 * size stay where they are, and the holes there are filled with the running rows above it, in order.
 */
export function compactionOrder(running: readonly number[], count: number): number[] {
  const n = running.length;
  const order = new Array<number>(n);
  const keep = new Uint8Array(count);
  for (const j of running) keep[j] = 1;
  let donor = n; // next candidate above the new size
  for (let i = 0; i < n; i++) {
    if (keep[i]) {
      order[i] = i;
      continue;
    }
    while (!keep[donor]) donor++;
    order[i] = donor++;
  }
  return order;
}
