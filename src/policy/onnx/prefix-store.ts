/**
 * Keys/values of recently generated sequences (prompt and the reply tokens fed), kept in the worker
 * so that a prompt starting with one of them prefills only the rest (prefill.ts). A LaMer rollout's
 * next turn repeats most of its trial's previous prompt and reply: over a bench-long rollout
 * (318k prompt tokens) the previous batch's sequences cover 43% of the prompt tokens, all earlier
 * batches' 52%. Bounded by a byte budget (least recently used dropped first) and cleared when the
 * weights change (keys and values depend on them).
 *
 * A reused prefix holds the keys/values computed when it was first run (a prefill or decode steps),
 * which can differ from a fresh prefill of the whole prompt by float rounding (summation order in
 * the kernels), so a row that reuses one can draw other tokens than a fresh prefill would, rarely;
 * a row that reuses none is computed exactly as before.
 */

/**
 * One row's keys/values out of a cache laid out [slots, kvHeads, stride, headDim] per tensor:
 * positions `start .. start + length` of `slot`, as [kvHeads, length, headDim] arrays (what
 * {@link PrefixStore.add} keeps). Both decode caches (in place and HF layout) read rows this way.
 */
export function rowKv(
  kv: readonly Float32Array[],
  kvHeads: number,
  headDim: number,
  stride: number,
  at: { slot: number; start: number; length: number },
): Float32Array[] {
  const { slot, start, length } = at;
  return kv.map((t) => {
    const out = new Float32Array(kvHeads * length * headDim);
    for (let h = 0; h < kvHeads; h++) {
      const from = ((slot * kvHeads + h) * stride + start) * headDim;
      out.set(t.subarray(from, from + length * headDim), h * length * headDim);
    }
    return out;
  });
}

export interface PrefixEntry {
  tokens: Int32Array;
  /** Per layer a key (even index) and a value (odd) tensor [kvHeads, tokens.length, headDim]. */
  kv: Float32Array[];
  bytes: number;
  used: number;
  /** Its block chain hashes (the store's index). */
  hashes: number[];
}

export interface PrefixMatch {
  entry: PrefixEntry;
  /** Tokens reused from the entry (its first `length`). */
  length: number;
}

/** Shorter shared prefixes are not worth a past input (the prefill of a few tokens costs little); one block. */
export const MIN_PREFIX = 16;

/**
 * Entries are indexed by the hash of each whole block of BLOCK tokens chained with the blocks before
 * it (as vLLM's prefix cache), so a lookup walks the prompt once and compares tokens only with the
 * few entries that share its longest run of whole blocks.
 */
const BLOCK = MIN_PREFIX;

export class PrefixStore {
  private entries = new Set<PrefixEntry>();
  /** Chain hash of a sequence's first k whole blocks → the entries that start with them. */
  private byBlocks = new Map<number, Set<PrefixEntry>>();
  private bytes = 0;
  private tick = 0;

  /** `budget`: bytes of keys/values kept at most (0: the store keeps nothing). */
  constructor(readonly budget: number) {}

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.byBlocks.clear();
    this.bytes = 0;
  }

  /** Keep `tokens` with their keys/values (`kv[j]` [kvHeads, tokens.length, headDim], owned by the store now). */
  add(tokens: Int32Array, kv: Float32Array[]): void {
    if (tokens.length < MIN_PREFIX) return;
    const bytes = kv.reduce((n, t) => n + t.byteLength, 0);
    if (bytes > this.budget) return;
    const hashes = blockHashes(tokens);
    // An entry this sequence extends adds nothing (its every prefix is a prefix of this one).
    for (const e of this.candidates(hashes)) {
      if (e.tokens.length <= tokens.length && sharedLength(e.tokens, tokens) === e.tokens.length)
        this.drop(e);
    }
    while (this.bytes + bytes > this.budget) {
      let oldest: PrefixEntry | null = null;
      for (const e of this.entries) if (oldest === null || e.used < oldest.used) oldest = e;
      this.drop(oldest!);
    }
    const entry: PrefixEntry = { tokens, kv, bytes, used: ++this.tick, hashes };
    this.entries.add(entry);
    for (const h of hashes) {
      const set = this.byBlocks.get(h) ?? new Set<PrefixEntry>();
      set.add(entry);
      this.byBlocks.set(h, set);
    }
    this.bytes += bytes;
  }

  /** The longest stored prefix of `prompt` (at least MIN_PREFIX tokens, and shorter than the prompt), or null. */
  match(prompt: readonly number[]): PrefixMatch | null {
    const limit = prompt.length - 1; // the last prompt token is always run: its logits start the reply
    let best: PrefixEntry | null = null;
    let length = MIN_PREFIX - 1;
    for (const e of this.candidates(blockHashes(prompt))) {
      const n = Math.min(limit, e.tokens.length);
      if (n <= length) continue;
      const shared = sharedLength(e.tokens, prompt, n);
      if (shared > length) {
        best = e;
        length = shared;
      }
    }
    if (best === null) return null;
    best.used = ++this.tick;
    return { entry: best, length };
  }

  /**
   * Entries sharing the longest run of whole blocks with a sequence of these block hashes: any other
   * shares fewer tokens. None when no block is shared (a match needs MIN_PREFIX = BLOCK tokens).
   */
  private candidates(hashes: readonly number[]): Iterable<PrefixEntry> {
    for (let k = hashes.length - 1; k >= 0; k--) {
      const set = this.byBlocks.get(hashes[k]!);
      if (set !== undefined) return set;
    }
    return [];
  }

  private drop(e: PrefixEntry): void {
    this.entries.delete(e);
    for (const h of e.hashes) {
      const set = this.byBlocks.get(h);
      set?.delete(e);
      if (set?.size === 0) this.byBlocks.delete(h);
    }
    this.bytes -= e.bytes;
  }
}

/** Chain hashes (FNV-1a over the token ids) of the first 1, 2, … whole blocks of `tokens`. */
function blockHashes(tokens: ArrayLike<number>): number[] {
  const out: number[] = [];
  let h = 0x811c9dc5;
  for (let i = 0; i + BLOCK <= tokens.length; i += BLOCK) {
    for (let j = i; j < i + BLOCK; j++) h = Math.imul(h ^ tokens[j]!, 0x01000193) >>> 0;
    out.push(h);
  }
  return out;
}

/** Length of the common prefix of `a` and `b` (at most `limit`). */
function sharedLength(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  limit = Math.min(a.length, b.length),
): number {
  let i = 0;
  while (i < limit && a[i] === b[i]) i++;
  return i;
}
