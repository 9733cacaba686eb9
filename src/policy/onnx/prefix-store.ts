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
 * An entry's keys/values live in pages of PAGE positions, all of one size, and a dropped entry's
 * pages are kept for later entries, not left to the garbage collector: V8 counts typed arrays'
 * memory, and every ~16 MB allocated since its last full GC starts the next one. Arrays of each
 * entry's own length (before 2026-12-07, session 9) were reused only by an entry of about the same
 * length, and a rollout's entries grow longer turn by turn, so about half of a bench:rollout step's
 * ~1,500 entries still took fresh arrays (~170 MB a step); any free page fits any entry.
 */

/** Positions a page holds: larger pages copy in fewer pieces, smaller ones leave less of an entry's last page empty. */
export const PAGE = 64;

/** Where a sequence's keys/values go: pages of PAGE positions, each [tensors, kvHeads, PAGE, headDim]; position p is in page ⌊p / PAGE⌋. */
export interface KvPages {
  pages: readonly Float32Array[];
}

/**
 * One row's keys/values out of a cache laid out [slots, kvHeads, stride, headDim] per tensor:
 * positions `start .. start + length` of `slot`, into `into`'s pages from position 0 (what
 * {@link PrefixStore.add} keeps). Both decode caches (in place and HF layout) read rows this way.
 */
export function rowKv(
  kv: readonly Float32Array[],
  kvHeads: number,
  headDim: number,
  stride: number,
  at: { slot: number; start: number; length: number },
  into: KvPages,
): void {
  const { slot, start, length } = at;
  kv.forEach((t, j) => {
    for (let h = 0; h < kvHeads; h++) {
      const from = ((slot * kvHeads + h) * stride + start) * headDim;
      const to = (j * kvHeads + h) * PAGE * headDim;
      for (let p = 0, q = 0; q < length; p++, q += PAGE) {
        const end = Math.min(length, q + PAGE);
        into.pages[p]!.set(t.subarray(from + q * headDim, from + end * headDim), to);
      }
    }
  });
}

/**
 * Positions `0 .. n` of head `h` of layer tensor `j` (keys at even j, values at odd) of a stored
 * sequence into `into` from float `at` on, one after another (prefill.ts's past inputs).
 */
export function readKv(
  from: KvPages,
  shape: Pick<KvShape, 'kvHeads' | 'headDim'>,
  j: number,
  h: number,
  n: number,
  into: Float32Array,
  at: number,
): void {
  const hd = shape.headDim;
  const head = (j * shape.kvHeads + h) * PAGE * hd;
  for (let p = 0, q = 0; q < n; p++, q += PAGE) {
    const end = Math.min(n, q + PAGE);
    into.set(from.pages[p]!.subarray(head, head + (end - q) * hd), at + q * hd);
  }
}

export interface PrefixEntry extends KvPages {
  tokens: Int32Array;
  /** Bytes of its tokens' keys/values (what the budget counts; its last page's empty rest is not counted). */
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
  /** Dropped entries' pages, for later entries (see `take`), and their bytes. */
  private free: Float32Array[] = [];
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
   * Keep `tokens` with their keys/values, which `fill` writes into the pages it is given (positions
   * `0 .. tokens.length`, as {@link rowKv}).
   */
  add(tokens: Int32Array, fill: (into: KvPages) => void): void {
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
    const into = { pages: this.take(tokens.length) };
    fill(into);
    const entry: PrefixEntry = { tokens, pages: into.pages, bytes, hashes };
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

  /** Pages for a sequence of `length` tokens: dropped entries' first, else new ones. */
  private take(length: number): Float32Array[] {
    const floats = this.shape.tensors * this.shape.kvHeads * PAGE * this.shape.headDim;
    return Array.from({ length: Math.ceil(length / PAGE) }, () => {
      const page = this.free.pop();
      if (page === undefined) return new Float32Array(floats);
      this.freeBytes -= this.bytesOf(PAGE);
      return page;
    });
  }

  /**
   * Keep dropped `e`'s pages for later entries while kept and free bytes stay within 1.25 × the budget
   * (all of them after `clear`, a quarter of the budget once the store is full).
   */
  private recycle(e: PrefixEntry): void {
    const bytes = this.bytesOf(PAGE);
    for (const page of e.pages) {
      if (this.bytes + this.freeBytes + bytes > 1.25 * this.budget) return;
      this.free.push(page);
      this.freeBytes += bytes;
    }
  }

  /** Bytes of keys/values for `positions` positions (a sequence's tokens, or a page). */
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

/** FNV-1a over ids `from .. to` of `ids`, continuing from `hash` (the offset basis when not given). */
export function idsHash(ids: ArrayLike<number>, from: number, to: number, hash = 0x811c9dc5): number {
  let h = hash;
  for (let i = from; i < to; i++) h = Math.imul(h ^ ids[i]!, 0x01000193) >>> 0;
  return h;
}

/** Chain hashes of the first 1, 2, … whole blocks of `tokens` (each block's ids hashed on from the chain before). */
function blockHashes(tokens: ArrayLike<number>): number[] {
  const out: number[] = [];
  let h: number | undefined;
  for (let i = 0; i + BLOCK <= tokens.length; i += BLOCK) {
    h = idsHash(tokens, i, i + BLOCK, h);
    out.push(h);
  }
  return out;
}

/** Length of the common prefix of `a` and `b` (at most `limit`). */
export function sharedLength(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  limit = Math.min(a.length, b.length),
): number {
  let i = 0;
  while (i < limit && a[i] === b[i]) i++;
  return i;
}
