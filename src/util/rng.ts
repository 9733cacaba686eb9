/**
 * Seeded randomness for the whole project: every random choice flows from an
 * explicit seed through this module (no `Math.random` in src/).
 *
 * Backed by pure-rand's xoroshiro128+ (the generator fast-check uses). The
 * generator state is four 32-bit numbers, so an `Rng` can be saved into plain
 * JSON (`rng.state()`) and resumed (`Rng.fromState`).
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

/** A saved {@link Rng} state: four 32-bit numbers, plain JSON (`rng.state()`, `Rng.fromState`). */
export type RngState = readonly number[];

/**
 * Seeded random generator (xoroshiro128+): every random choice in the engine
 * flows from one of these. Same seed, same draws; the state saves to JSON and resumes.
 */
export class Rng {
  private constructor(private readonly gen: JumpableRandomGenerator) {}

  /**
   * A generator seeded with a 32-bit integer (other numbers are folded into 32 bits).
   * The seed is mixed first: xoroshiro128+ seeded with raw small integers gives
   * strongly correlated first draws across consecutive seeds (seed i → first float
   * ≈ 1.0 for every small i), which would make task i and task i+1 alike.
   */
  static seeded(seed: number): Rng {
    const gen = xoroshiro128plus(mix32(toUint32(seed)));
    for (let i = 0; i < 4; i++) gen.next();
    return new Rng(gen);
  }

  /** Resume from `rng.state()`. */
  static fromState(state: RngState): Rng {
    return new Rng(xoroshiro128plusFromState(state));
  }

  /** The generator's state as plain JSON numbers. */
  state(): number[] {
    return [...this.gen.getState()];
  }

  /** An independent copy that continues the same sequence. */
  clone(): Rng {
    return Rng.fromState(this.gen.getState());
  }

  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return uniformInt(this.gen, min, max);
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return uniformFloat64(this.gen);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.float() < p;
  }

  /** A uniformly chosen element; throws on an empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Rng.pick: cannot pick from an empty array');
    return items[this.int(0, items.length - 1)] as T;
  }

  /** Fisher-Yates shuffle into a new array. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const t = out[i] as T;
      out[i] = out[j] as T;
      out[j] = t;
    }
    return out;
  }

  /** A fresh 32-bit seed for a sub-generator. */
  nextSeed(): number {
    return this.int(0, 0xffffffff) >>> 0;
  }
}

function toUint32(seed: number): number {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  return Number.isSafeInteger(seed) ? Number(BigInt.asUintN(32, BigInt(seed))) : hashSeed(String(seed));
}

/**
 * Deterministic 32-bit seed derived from a seed and labels, e.g.
 * `deriveSeed(seed, 'first-click')`. Hand-written (FNV-1a + a murmur3 finaliser):
 * a dozen lines, and no library offers a stable string-to-seed hash.
 */
export function deriveSeed(seed: number, ...labels: (string | number)[]): number {
  return hashSeed([seed, ...labels].join('\u0000'));
}

/** murmur3's 32-bit finaliser: a bijection that spreads every input bit. */
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}
