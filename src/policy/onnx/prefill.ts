/**
 * The prompt pass of a batch, in the generation worker: rows grouped by prompt length
 * (prefill-groups.ts), each group run on its own last `width` columns with an empty past, in the
 * Hugging Face layout (input_ids, attention_mask, position_ids → logits, present.{i}.key|value).
 * Exact because position ids are explicit and padding is masked (OnnxPolicy refuses exports without
 * position ids). Each group's keys/values go to the caller's `place`, which lays them into its cache.
 */
import { f32, i64, type OrtFeeds, type WeightedSession } from './ort-run.js';
import { prefillGroups } from './prefill-groups.js';
import type { KvLayout } from './protocol.js';

/** A left-padded batch: [batch, seq] ids, mask (1 real, 0 padding) and positions. */
export interface PaddedBatch {
  ids: BigInt64Array;
  mask: BigInt64Array;
  positions: BigInt64Array;
  batch: number;
  seq: number;
}

/**
 * Keys/values of one group: `present[j]` is layer j>>1's key (even j) or value (odd j), [g, kvHeads,
 * width, headDim], row i of the group being batch row `rows[i]`.
 */
export type Place = (rows: readonly number[], width: number, present: readonly Float32Array[]) => void;

/** Run the prompts; returns the last position's logits [batch, vocab] in batch row order. */
export async function prefillBatch(
  session: WeightedSession,
  L: KvLayout,
  b: PaddedBatch,
  place: Place,
): Promise<Float32Array> {
  const { batch, seq } = b;
  // Per row: logits of every position (an export's; the built-in graph returns the last only) and attention scores.
  const maxRows = (width: number) =>
    Math.floor(L.prefillBudgetBytes / Math.max(1, 4 * width * (L.vocabSize + 3 * L.heads * width)));
  const lengths = Array.from({ length: batch }, (_, r) => {
    let n = 0;
    for (let t = 0; t < seq; t++) n += Number(b.mask[r * seq + t]);
    return n;
  });
  const logits = new Float32Array(batch * L.vocabSize);
  const empty = new Float32Array(0);
  for (const { rows, width } of prefillGroups(lengths, maxRows, L.prefillGroupRows)) {
    const g = rows.length;
    const cols = (a: BigInt64Array) => {
      const out = new BigInt64Array(g * width);
      rows.forEach((r, i) => {
        out.set(a.subarray(r * seq + seq - width, (r + 1) * seq), i * width);
      });
      return i64(out, [g, width]);
    };
    const feeds: OrtFeeds = { input_ids: cols(b.ids), attention_mask: cols(b.mask) };
    if (L.positionIds) feeds.position_ids = cols(b.positions);
    for (let i = 0; i < L.nLayers; i++) {
      for (const kind of ['key', 'value']) {
        feeds[`past_key_values.${i}.${kind}`] = f32(empty, [g, L.kvHeads, 0, L.headDim]);
      }
    }
    const out = await session.run(feeds);
    const all = out.logits!.data as Float32Array;
    const steps = out.logits!.dims[1]!; // every position (exports) or the last one
    const V = L.vocabSize;
    rows.forEach((r, i) => {
      logits.set(all.subarray((i * steps + steps - 1) * V, (i * steps + steps) * V), r * V);
    });
    const present: Float32Array[] = [];
    for (let i = 0; i < L.nLayers; i++) {
      for (const kind of ['key', 'value']) present.push(out[`present.${i}.${kind}`]!.data as Float32Array);
    }
    place(rows, width, present);
  }
  return logits;
}
