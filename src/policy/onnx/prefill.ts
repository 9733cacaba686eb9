/**
 * The prompt pass of a batch, in the generation worker, in the Hugging Face layout (input_ids,
 * attention_mask, position_ids, past_key_values.* → logits, present.*):
 * - a prompt that repeats an earlier one in the batch is run once (its twin copies the result);
 * - a prompt that starts with a stored sequence (prefix-store.ts) runs only the rest, with the stored
 *   keys/values as its past;
 * - the rows are run in groups of similar length left to run (prefill-groups.ts), each group on its
 *   longest suffix's columns and its longest reused prefix, both left-padded and masked.
 * Exact because position ids are explicit and padding is masked (OnnxPolicy refuses exports without
 * position ids). Each row's keys/values go to the caller's `place`.
 */
import type { KeptBuffers } from './kv-buffers.js';
import { f32, i64, kvName, type OrtFeeds, type WeightedSession } from './ort-run.js';
import { prefillGroups } from './prefill-groups.js';
import { idsHash, type PrefixMatch, type PrefixStore, readKv, sharedLength } from './prefix-store.js';
import type { KvLayout } from './protocol.js';

/** A batch's prompts; the cache puts them left-padded to the longest. */
export interface PromptBatch {
  prompts: readonly (readonly number[])[];
  /** Id fed at padded positions (masked: any id gives the same logits). */
  padId: number;
}

/** Keys/values of a group's rows: per layer tensor [g, kvHeads, width, headDim] (keys at even indices), and a row's columns there. */
export interface KvPiece {
  data: readonly Float32Array[];
  width: number;
  start: number;
  count: number;
}

/**
 * Row `row`'s prompt keys/values are row `i` of `pieces`, in order along the sequence axis (their
 * counts add up to the prompt's length). Valid only during the call (the buffers are reused).
 */
export type Place = (row: number, i: number, pieces: readonly KvPiece[]) => void;

/**
 * Write head `h` of group row `i` of layer tensor `j` from `pieces` into `into` at float `to`, the pieces
 * one after another (what both caches' `place` do per head and tensor).
 */
export function copyPieces(
  into: Float32Array,
  to: number,
  pieces: readonly KvPiece[],
  j: number,
  i: number,
  h: number,
  L: Pick<KvLayout, 'kvHeads' | 'headDim'>,
): void {
  const hd = L.headDim;
  let at = to;
  for (const p of pieces) {
    const from = ((i * L.kvHeads + h) * p.width + p.start) * hd;
    into.set(p.data[j]!.subarray(from, from + p.count * hd), at);
    at += p.count * hd;
  }
}

export interface PrefillStats {
  /** Prompt tokens run, and reused (stored prefixes and repeated prompts). */
  prefillTokens: number;
  reusedTokens: number;
}

/**
 * Run the prompts; returns the last position's logits [batch, vocab] in batch row order. A group's past
 * inputs are written into `kept` (the caller's buffers, kept from batch to batch).
 */
export async function prefillBatch(
  session: WeightedSession,
  kept: KeptBuffers,
  L: KvLayout,
  b: PromptBatch,
  store: PrefixStore | null,
  place: Place,
  stats: PrefillStats,
): Promise<Float32Array> {
  const V = L.vocabSize;
  const batch = b.prompts.length;
  // Repeated prompts: run the first, copy to the others (found by a hash of the ids, then compared:
  // joining the ids into string keys was ~10 ms a bench:rollout step).
  const firstsOf = new Map<number, number[]>();
  const twins = new Map<number, number[]>();
  const unique: number[] = [];
  b.prompts.forEach((p, r) => {
    const hash = idsHash(p, 0, p.length);
    const firsts = firstsOf.get(hash);
    const first = firsts?.find(
      (f) => b.prompts[f]!.length === p.length && sharedLength(b.prompts[f]!, p) === p.length,
    );
    if (first === undefined) {
      if (firsts === undefined) firstsOf.set(hash, [r]);
      else firsts.push(r);
      unique.push(r);
      twins.set(r, [r]);
    } else {
      twins.get(first)!.push(r);
      stats.reusedTokens += p.length;
    }
  });
  const matches = unique.map((r) => (store ? store.match(b.prompts[r]!) : null));
  const reused = matches.map((m) => m?.length ?? 0);
  const suffix = unique.map((r, k) => b.prompts[r]!.length - reused[k]!);
  const longestPast = Math.max(0, ...reused);
  // Per row: logits of every position (an export's; the built-in graph returns the last only) and attention scores.
  const maxRows = (width: number) =>
    Math.floor(L.prefillBudgetBytes / Math.max(1, 4 * width * (V + 3 * L.heads * (width + longestPast))));
  const logits = new Float32Array(batch * V);
  const tensors = Array.from({ length: 2 * L.nLayers }, (_, j) => j);
  const fresh = session.session.outputNames.includes(kvName('new', 0));
  const pastNames = tensors.map((j) => kvName('past_key_values', j));
  // the new tokens' keys/values alone where the graph has them (the built-in one), the past
  // being what was fed; else the present (the past and the new ones)
  const kvOut = tensors.map((j) => kvName(fresh ? 'new' : 'present', j));
  const fetches = fresh ? ['logits', ...kvOut] : undefined;
  for (const group of prefillGroups(suffix, maxRows, L.prefillGroupRows, L.prefillPassTokens)) {
    const ks = group.rows; // indices into `unique`
    const g = ks.length;
    const S = group.width;
    const P = Math.max(...ks.map((k) => reused[k]!));
    const ids = new BigInt64Array(g * S).fill(BigInt(b.padId));
    const mask = new BigInt64Array(g * (P + S));
    const positions = new BigInt64Array(g * S);
    ks.forEach((k, i) => {
      const prompt = b.prompts[unique[k]!]!;
      const p = reused[k]!;
      const s = suffix[k]!;
      for (let t = 0; t < p; t++) mask[i * (P + S) + P - p + t] = 1n;
      for (let t = 0; t < s; t++) {
        ids[i * S + S - s + t] = BigInt(prompt[p + t]!);
        mask[i * (P + S) + P + S - s + t] = 1n;
        positions[i * S + S - s + t] = BigInt(p + t);
      }
    });
    const feeds: OrtFeeds = { input_ids: i64(ids, [g, S]), attention_mask: i64(mask, [g, P + S]) };
    if (L.positionIds) feeds.position_ids = i64(positions, [g, S]);
    const groupMatches = ks.map((k) => matches[k]!);
    for (let j = 0; j < 2 * L.nLayers; j++) {
      const past = kept.view(j, g * L.kvHeads * P * L.headDim);
      pastOf(L, j, P, groupMatches, past);
      feeds[pastNames[j]!] = f32(past, [g, L.kvHeads, P, L.headDim]);
    }
    const out = await session.run(feeds, undefined, fetches);
    const all = out.logits!.data as Float32Array;
    const steps = out.logits!.dims[1]!; // every position (exports) or the last one
    const kv = kvOut.map((name) => out[name]!.data as Float32Array);
    const pasts = kept.views();
    ks.forEach((k, i) => {
      const p = reused[k]!;
      const s = suffix[k]!;
      const pieces: KvPiece[] = fresh
        ? [
            { data: pasts, width: P, start: P - p, count: p },
            { data: kv, width: S, start: S - s, count: s },
          ]
        : [
            { data: kv, width: P + S, start: P - p, count: p },
            { data: kv, width: P + S, start: P + S - s, count: s },
          ];
      stats.prefillTokens += s;
      stats.reusedTokens += p;
      for (const r of twins.get(unique[k]!)!) {
        logits.set(all.subarray((i * steps + steps - 1) * V, (i * steps + steps) * V), r * V);
        place(r, i, pieces);
      }
    });
  }
  return logits;
}

/** Layer tensor `j` of a group's past into `past` [g, kvHeads, P, headDim]: each row's reused prefix at its end, zero before. */
function pastOf(
  L: KvLayout,
  j: number,
  P: number,
  matches: readonly (PrefixMatch | null)[],
  past: Float32Array,
): void {
  const hd = L.headDim;
  matches.forEach((m, i) => {
    const n = m?.length ?? 0;
    for (let h = 0; h < L.kvHeads; h++) {
      const at = (i * L.kvHeads + h) * P * hd;
      past.fill(0, at, at + (P - n) * hd);
      if (m !== null) readKv(m.entry, L, j, h, n, past, at + (P - n) * hd);
    }
  });
}
