/**
 * Synthetic goals as the reference builds them (`goal.py::get_synthetic_goals`):
 * one goal per (product with an instruction, combination of its option
 * values); the instruction gets ` with <name>: <value>, and ...` and
 * `, and price lower than <bound> dollars`, where the bound is the larger of
 * two distinct values drawn from the first four multiples of 10 above the
 * product's price (none when fewer than two exist: bound 1,000,000 and no
 * text). Sampling weight = mean over the goal's attributes of 1/count(attribute).
 */
import { deriveSeed, Rng } from '../../util/rng.js';
import { splitOf } from '../core/seeds.js';
import type { Product } from './catalog.js';

export interface Goal {
  asin: string;
  category: string;
  query: string;
  /** Title of the goal's product (the reference's `goal['name']`). */
  name: string;
  productCategory: string;
  /** The instruction shown to the agent. */
  instruction: string;
  attributes: string[];
  priceUpper: number;
  /** Goal options as [name, value] pairs, names sorted. */
  goalOptions: [string, string][];
  weight: number;
}

/** Multiples of 10 from 10 to 990 (the reference's PRICE_RANGE). */
const PRICE_RANGE = Array.from({ length: 99 }, (_, i) => 10 * (i + 1));

/** The goals of a catalog in product order (the caller shuffles). */
export function buildGoals(products: readonly Product[], seed: number): Goal[] {
  const goals: Goal[] = [];
  const counts = new Map<string, number>();
  for (const product of products) {
    if (product.instruction === null) continue;
    const { priceUpper, priceText } = priceBound(product, seed);
    const names = product.options.map((o) => o.name).sort();
    const valuesOf = (name: string): string[] => product.options.find((o) => o.name === name)!.values;
    for (const combination of cartesian(names.map(valuesOf))) {
      const goalOptions = names.map((n, i) => [n, combination[i]!] as [string, string]);
      const optionText = goalOptions.length
        ? ' with ' + goalOptions.map(([k, v]) => `${k}: ${v}`).join(', and ')
        : '';
      goals.push({
        asin: product.asin,
        category: product.category,
        query: product.query,
        name: product.title,
        productCategory: product.productCategory,
        instruction: `${product.instruction}${optionText}${priceText}`,
        attributes: product.instructionAttributes,
        priceUpper,
        goalOptions,
        weight: 0,
      });
      for (const a of product.instructionAttributes) counts.set(a, (counts.get(a) ?? 0) + 1);
    }
  }
  for (const g of goals) {
    g.weight = g.attributes.reduce((s, a) => s + 1 / counts.get(a)!, 0) / g.attributes.length;
  }
  return goals;
}

function priceBound(product: Product, seed: number): { priceUpper: number; priceText: string } {
  const range = PRICE_RANGE.filter((p) => p > product.price).slice(0, 4);
  if (range.length < 2) return { priceUpper: 1_000_000, priceText: '' };
  const rng = Rng.seeded(deriveSeed(seed, 'price-upper', product.asin));
  const [a, b] = rng.shuffle(range);
  const priceUpper = Math.max(a!, b!);
  return { priceUpper, priceText: `, and price lower than ${priceUpper.toFixed(2)} dollars` };
}

/** Python's itertools.product: the last list varies fastest; no lists → one empty combination. */
function cartesian(lists: string[][]): string[][] {
  let out: string[][] = [[]];
  for (const list of lists) out = out.flatMap((prefix) => list.map((v) => [...prefix, v]));
  return out;
}

/** The fixed split: the first `testSize` shuffled goals are the test goals (reference `range(500)`). */
export function splitGoals(count: number, testSize?: number): { test: number[]; train: number[] } {
  const size = Math.min(testSize ?? Math.min(500, Math.floor(count / 2)), count - 1);
  const all = Array.from({ length: count }, (_, i) => i);
  return { test: all.slice(0, size), train: all.slice(size) };
}

/**
 * The goal of a task seed: train seeds draw from the train goals, validation
 * seeds from the fixed test goals (seeds outside both ranges use the train goals).
 * `weighted` draws with the goals' sampling weights, `uniform` (the LaMer
 * default: `rng.choice(goal_idxs)`) draws uniformly.
 */
export function goalForSeed(
  seed: number,
  split: { test: readonly number[]; train: readonly number[] },
  goals: readonly Goal[],
  sampling: 'uniform' | 'weighted',
): { goal: number; split: 'train' | 'test' } {
  const which = splitOf(seed) === 'validation' ? 'test' : 'train';
  const pool = which === 'test' ? split.test : split.train;
  const rng = Rng.seeded(deriveSeed(seed, 'webshop-goal'));
  if (sampling === 'uniform') return { goal: pool[rng.int(0, pool.length - 1)]!, split: which };
  let total = 0;
  for (const i of pool) total += goals[i]!.weight;
  let x = rng.float() * total;
  for (const i of pool) {
    x -= goals[i]!.weight;
    if (x < 0) return { goal: i, split: which };
  }
  return { goal: pool[pool.length - 1]!, split: which };
}
