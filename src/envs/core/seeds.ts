/**
 * Task seeds. Train and validation seeds come from disjoint ranges (the
 * reference's: train `[0, 2^16 - 1)`, validation `[2^16, 2^32 - 1)`), and a
 * validation set is a fixed seeded draw, not re-drawn every round (our fix of
 * reference bug §12.11).
 */
import { ConfigError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';

/** Seed split: train seeds and validation seeds come from disjoint ranges ({@link SEED_RANGES}). */
export type Split = 'train' | 'validation';

/** Inclusive seed ranges per split. */
export const SEED_RANGES: Record<Split, { min: number; max: number }> = {
  train: { min: 0, max: 2 ** 16 - 2 },
  validation: { min: 2 ** 16, max: 2 ** 32 - 2 },
};

/** Default seed of the fixed validation set (the reference eval configs use 8192). */
export const DEFAULT_VALIDATION_SEED = 8192;

/** Which split a task seed belongs to. */
export function splitOf(taskSeed: number): Split | null {
  for (const split of ['train', 'validation'] as const) {
    const r = SEED_RANGES[split];
    if (Number.isInteger(taskSeed) && taskSeed >= r.min && taskSeed <= r.max) return split;
  }
  return null;
}

/**
 * `count` distinct task seeds of a split, drawn from `seed`. Same arguments,
 * same list; a longer list extends a shorter one (prefix-stable).
 */
export function taskSeeds(split: Split, count: number, seed: number): number[] {
  if (!Number.isInteger(count) || count < 0)
    throw new ConfigError(`task count must be an integer >= 0, got ${count}`);
  const { min, max } = SEED_RANGES[split];
  if (count > max - min + 1) throw new ConfigError(`cannot draw ${count} distinct ${split} seeds`);
  const rng = Rng.seeded(seed);
  const seen = new Set<number>();
  const out: number[] = [];
  while (out.length < count) {
    const s = rng.int(min, max);
    if (!seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  }
  return out;
}

/** The fixed validation task set. */
export function validationSeeds(count: number, seed = DEFAULT_VALIDATION_SEED): number[] {
  return taskSeeds('validation', count, seed);
}
