import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  type Goal,
  normalizeColor,
  type Product,
  scorePurchase,
  titleNouns,
  webshop,
  webshopCatalog,
} from '../../../src/envs/webshop/index.js';

const params = webshop.presets.default!;
const catalog = webshopCatalog(params.catalog);
const goalIndex = fc.nat(catalog.goals.length - 1);
const productIndex = fc.nat(catalog.products.length - 1);

function goalOptions(goal: Goal): Record<string, string> {
  return Object.fromEntries(goal.goalOptions);
}

describe('WebShop score', () => {
  it('normalises colours like the reference (first COLOR_SET entry contained)', () => {
    const suite: [string, string][] = [
      ['', ''],
      ['black forest', 'black'],
      ['violet lavender', 'lavender'],
      ['steelivy fuchsia', 'fuchsia'],
      ['123alabaster', 'alabaster'],
      ['webshop', 'webshop'],
    ];
    for (const [input, expected] of suite) expect(normalizeColor(input)).toBe(expected);
  });

  test.prop([goalIndex], { numRuns: 200 })(
    'buying the goal product with the goal options under the price bound scores 1',
    (g) => {
      const goal = catalog.goals[g]!;
      const product = catalog.byAsin.get(goal.asin)!;
      expect(product.price).toBeLessThanOrEqual(goal.priceUpper);
      const s = scorePurchase(product, goal, goalOptions(goal));
      expect(s.score).toBe(1);
      expect(s.raw).toBe(1);
    },
  );

  test.prop(
    [
      goalIndex,
      productIndex,
      fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 })), { maxLength: 4 }),
    ],
    { numRuns: 200 },
  )('the score is always in [0, 1], for any product and any chosen options', (g, p, extra) => {
    const goal = catalog.goals[g]!;
    const product = catalog.products[p]!;
    const chosen: Record<string, string> = {};
    for (const o of product.options) chosen[o.name] = o.values[(g + p) % o.values.length]!;
    for (const [k, v] of extra) chosen[k] = v;
    const s = scorePurchase(product, goal, chosen);
    expect(s.score).toBeGreaterThanOrEqual(0);
    expect(s.score).toBeLessThanOrEqual(1);
    expect([0, 0.1, 0.5, 1]).toContain(s.rType);
  });

  it('follows the reference formula: attributes, options, price and the type factor', () => {
    const goal = catalog.goals.find((x) => x.goalOptions.length >= 2 && x.priceUpper < 1_000_000)!;
    const product = catalog.byAsin.get(goal.asin)!;
    const n = goal.attributes.length + goal.goalOptions.length + 1;
    // Wrong size (exact match for `size`) loses one option point, unless the value is in the text.
    const sizeIdx = goal.goalOptions.findIndex(([k]) => k === 'size');
    if (sizeIdx >= 0) {
      const wrong = product.options
        .find((o) => o.name === 'size')!
        .values.find((v) => v !== goal.goalOptions[sizeIdx]![1]);
      if (wrong) {
        const s = scorePurchase(product, goal, { ...goalOptions(goal), size: wrong });
        expect(s.raw).toBeCloseTo((n - 1) / n, 12);
      }
    }
    // No options chosen: only attributes and price count.
    expect(scorePurchase(product, goal, {}).raw).toBeCloseTo((n - goal.goalOptions.length) / n, 12);
    // Over the price bound.
    const pricey: Product = { ...product, price: goal.priceUpper + 1 };
    expect(scorePurchase(pricey, goal, goalOptions(goal)).raw).toBeCloseTo((n - 1) / n, 12);
    // A product of another type with no shared title nouns scores 0.
    const other = catalog.products.find(
      (p) => p.query !== goal.query && titleNouns(p.title).every((w) => !titleNouns(goal.name).includes(w)),
    )!;
    expect(scorePurchase(other, goal, {}).rType).toBe(0);
    expect(scorePurchase(other, goal, {}).score).toBe(0);
  });

  it('clamps the reference formula where it passes 1 (more matching options than the goal has)', () => {
    const goal = catalog.goals.find((x) => x.goalOptions.length === 1)!;
    const base = catalog.byAsin.get(goal.asin)!;
    // The same product with one more option whose value is in its title: both bought options match.
    const product: Product = {
      ...base,
      title: `${base.title} Deluxe`,
      options: [...base.options, { name: 'style', values: ['deluxe'] }],
    };
    const s = scorePurchase(product, goal, { ...goalOptions(goal), style: 'deluxe' });
    expect(s.raw).toBeGreaterThan(1);
    expect(s.score).toBe(1);
  });
});

describe('WebShop expert shopper', () => {
  // 100 goals: each is a full scripted episode with up to 12 searches and page renders.
  it('scores 1.0 on most goals within 12 turns', () => {
    let wins = 0;
    const seeds = Array.from({ length: 100 }, (_, i) => 2 ** 16 + i * 7919);
    for (const seed of seeds) {
      let s = webshop.initial(seed, params);
      for (let t = 0; t < webshop.maxTurns; t++) {
        const a = webshop.expertAction!(s);
        if (a === null) break;
        const r = webshop.step(s, a);
        s = r.state;
        if (r.done) {
          if (r.won) wins++;
          break;
        }
      }
    }
    expect(wins).toBeGreaterThanOrEqual(95);
  });
});
