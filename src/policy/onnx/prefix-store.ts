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
 *
 * A dropped entry's arrays are kept for later entries (`take`), not left to the garbage collector:
 * V8 counts typed arrays' memory, and every ~16 MB allocated since its last full GC starts the
 * next one; a bench:rollout step kept ~310 MB of finished rows, one full GC of the worker per
 * ~16 MB (~5 ms each, and first-touch faults for the fresh memory).
 */

/**
 * One row's keys/values out of a cache laid out [slots, kvHeads, stride, headDim] per tensor:
 * positions `start .. start + length` of `slot`, into `into` ([kvHeads, into's stride, headDim] per
 * tensor, the first `length` positions of each head: what {@link PrefixStore.add} keeps). Both
 * decode caches (in place and HF layout) read rows this way.
 */
export function rowKv(
  kv: readonly Float32Array[],
  kvHeads: number,
  headDim: number,
  stride: number,
  at: { slot: number; start: number; length: number },
  into: { kv: readonly Float32Array[]; stride: number },
): void {
  const { slot, start, length } = at;
  kv.forEach((t, j) => {
    for (let h = 0; h < kvHeads; h++) {
      const from = ((slot * kvHeads + h) * stride + start) * headDim;
      into.kv[j]!.set(t.subarray(from, from + length * headDim), h * into.stride * headDim);
    }
  });
}

/** Where a row's keys/values go: per tensor [kvHeads, stride, headDim] (stride ≥ the row's length). */
export interface KvArrays {
  kv: Float32Array[];
  stride: number;
}

export interface PrefixEntry {
  tokens: Int32Array;
  /** Per layer a key (even index) and a value (odd) tensor [kvHeads, stride, headDim], its tokens first. */
  kv: Float32Array[];
  stride: number;
  /** Bytes of its tokens' keys/values (what the budget counts). */
  bytes: number;
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

/** Shape of a store's arrays: `tensors` (2 × layers) of [kvHeads, length, headDim] floats per sequence. */
export interface KvShape {
  tensors: number;
  kvHeads: number;
  headDim: number;
}

/** Bytes of float32 keys/values of `positions` positions of one sequence of this shape. */
export function kvBytes(shape: KvShape, positions: number): number {
  return 4 * shape.tensors * shape.kvHeads * positions * shape.headDim;
}

export class PrefixStore {
  /** In least recently used order (a use moves an entry to the end). */
  private entries = new Set<PrefixEntry>();
  /**
   * Chain hash of a sequence's first k whole blocks → the entries that start with them (mostly one: an
   * array, not a Set, as there are ~20 keys an entry and the worker's full GCs mark each object).
   */
  private byBlocks = new Map<number, PrefixEntry[]>();
  private bytes = 0;
  /** Dropped entries' arrays by stride, for later entries (see `take`), and their bytes. */
  private free = new Map<number, Float32Array[][]>();
  private freeBytes = 0;

  /** `budget`: bytes of keys/values kept at most (0: the store keeps nothing). */
  constructor(
    readonly budget: number,
    private readonly shape: KvShape,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    const dropped = [...this.entries];
    this.entries.clear();
    this.byBlocks.clear();
    this.bytes = 0;
    for (const e of dropped) this.recycle(e);
  }

  /**
   * Keep `tokens` with their keys/values, which `fill` writes into the arrays it is given (the first
   * `tokens.length` positions of each head).
   */
  add(tokens: Int32Array, fill: (into: KvArrays) => void): void {
    if (tokens.length < MIN_PREFIX) return;
    const bytes = this.bytesOf(tokens.length);
    if (bytes > this.budget) return;
    const hashes = blockHashes(tokens);
    // An entry this sequence extends adds nothing (its every prefix is a prefix of this one).
    for (const e of this.candidates(hashes)) {
      if (e.tokens.length <= tokens.length && sharedLength(e.tokens, tokens) === e.tokens.length)
        this.drop(e);
    }
    while (this.bytes + bytes > this.budget) this.drop(this.entries.values().next().value!);
    const into = this.take(tokens.length);
    fill(into);
    const entry: PrefixEntry = { tokens, ...into, bytes, hashes };
    this.entries.add(entry);
    for (const h of hashes) {
      const list = this.byBlocks.get(h);
      if (list === undefined) this.byBlocks.set(h, [entry]);
      else list.push(entry);
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
    this.entries.delete(best); // now the most recently used
    this.entries.add(best);
    return { entry: best, length };
  }

  /**
   * Arrays for a sequence of `length` tokens: a dropped entry's, of a stride from `length` rounded up to
   * a block to 1/8 more, else new ones of that rounded stride.
   */
  private take(length: number): KvArrays {
    const stride = Math.ceil(length / BLOCK) * BLOCK;
    for (let s = stride; s <= stride + Math.max(BLOCK, stride >> 3); s += BLOCK) {
      const kv = this.free.get(s)?.pop();
      if (kv === undefined) continue;
      this.freeBytes -= this.bytesOf(s);
      return { kv, stride: s };
    }
    const { tensors, kvHeads, headDim } = this.shape;
    const kv = Array.from({ length: tensors }, () => new Float32Array(kvHeads * stride * headDim));
    return { kv, stride };
  }

  /**
   * Keep dropped `e`'s arrays for later entries while kept and free arrays stay within 1.25 × the budget
   * (all of them after `clear`, a quarter of the budget once the store is full).
   */
  private recycle(e: PrefixEntry): void {
    const bytes = this.bytesOf(e.stride);
    if (this.bytes + this.freeBytes + bytes > 1.25 * this.budget) return;
    const list = this.free.get(e.stride) ?? [];
    list.push(e.kv);
    this.free.set(e.stride, list);
    this.freeBytes += bytes;
  }

  /** Bytes of keys/values for `positions` positions (a sequence's tokens, or an array's stride). */
  private bytesOf(positions: number): number {
    return kvBytes(this.shape, positions);
  }

  /**
   * Entries sharing the longest run of whole blocks with a sequence of these block hashes: any other
   * shares fewer tokens. None when no block is shared (a match needs MIN_PREFIX = BLOCK tokens).
   */
  private candidates(hashes: readonly number[]): Iterable<PrefixEntry> {
    for (let k = hashes.length - 1; k >= 0; k--) {
      const list = this.byBlocks.get(hashes[k]!);
      if (list !== undefined) return [...list]; // a copy: `add` drops entries while it walks them
    }
    return [];
  }

  private drop(e: PrefixEntry): void {
    this.entries.delete(e);
    for (const h of e.hashes) {
      const list = this.byBlocks.get(h);
      if (list === undefined) continue;
      list.splice(list.indexOf(e), 1);
      if (list.length === 0) this.byBlocks.delete(h);
    }
    this.bytes -= e.bytes;
    this.recycle(e);
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
