/**
 * Buffer helpers of the generation worker's caches (kv-cache.ts, prefill.ts): growing a buffer, buffers
 * kept from run to run, and moving rows' slot windows.
 */

/** `buf` if it holds `n` floats, else a new buffer with room to spare. */
export function room(buf: Float32Array, n: number): Float32Array {
  return buf.length >= n ? buf : new Float32Array(Math.ceil(n * 1.25));
}

/**
 * Float buffers kept from run to run, each grown as needed (`room`): the prompt pass's past inputs
 * (prefill.ts), ~170 MB of fresh arrays a bench:rollout step before (see PrefixStore on why that
 * costs: V8's full GCs).
 */
export class KeptBuffers {
  private bufs: Float32Array[] = [];

  private last: Float32Array[] = [];

  /** Buffer `j`'s first `n` floats; their contents are whatever its last use left. */
  view(j: number, n: number): Float32Array {
    const buf = room(this.bufs[j] ?? new Float32Array(0), n);
    this.bufs[j] = buf;
    this.last[j] = buf.subarray(0, n);
    return this.last[j]!;
  }

  /** The views last given, by buffer. */
  views(): readonly Float32Array[] {
    return this.last;
  }
}

/**
 * Blocks of `old` floats in `from` become blocks of `wide` floats in `to` (the same buffer, or a larger
 * one): each keeps its `length` floats from `src` on at `dst` on, `pad` elsewhere. In place, the blocks
 * go in the order that never overwrites one still to move (last first when they widen).
 */
export function moveWindows(
  from: Float32Array,
  to: Float32Array,
  count: number,
  old: number,
  wide: number,
  src: number,
  dst: number,
  length: number,
  pad: number,
): void {
  const move = (k: number) => {
    const s = k * old + src;
    const d = k * wide + dst;
    if (from === to) to.copyWithin(d, s, s + length);
    else to.set(from.subarray(s, s + length), d);
    to.fill(pad, k * wide, d);
    to.fill(pad, d + length, (k + 1) * wide);
  };
  if (from === to && wide >= old) for (let k = count - 1; k >= 0; k--) move(k);
  else for (let k = 0; k < count; k++) move(k);
}
