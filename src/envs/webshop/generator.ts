/**
 * Seeded generator of a synthetic WebShop catalog, written in the reference's
 * file formats (`items_shuffle` products and `items_ins_v2` attributes and
 * instructions) so that it goes through the same loader as the real data.
 * Products are spread round-robin over the product types of `types-a.ts` and `types-b.ts`, then
 * shuffled (the reference's file is shuffled too).
 */
import { deriveSeed, Rng } from '../../util/rng.js';
import type { RawAttributes, RawProduct } from './loader.js';
import { TYPES_A } from './types-a.js';
import { TYPES_B } from './types-b.js';
import { BENEFITS, BRANDS, type OptionSpec, REVIEW_BODIES, REVIEW_TITLES, type TypeSpec } from './vocab.js';

/** The product types, in the order products are spread over them. */
export const TYPES: readonly TypeSpec[] = [...TYPES_A, ...TYPES_B];

export interface RawCatalog {
  products: RawProduct[];
  attributes: Record<string, RawAttributes>;
}

/** `count` products in the reference formats; same arguments, same data. */
export function generateRawCatalog(count: number, seed: number): RawCatalog {
  const rng = Rng.seeded(deriveSeed(seed, 'webshop-catalog'));
  const asins = new Set<string>();
  const products: RawProduct[] = [];
  const attributes: Record<string, RawAttributes> = {};
  for (let i = 0; i < count; i++) {
    const type = TYPES[i % TYPES.length]!;
    let asin = newAsin(rng);
    while (asins.has(asin)) asin = newAsin(rng);
    asins.add(asin);
    const { product, attrs } = makeProduct(type, asin, rng);
    products.push(product);
    attributes[asin] = attrs;
  }
  return { products: rng.shuffle(products), attributes };
}

const ASIN_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function newAsin(rng: Rng): string {
  let s = 'B0';
  for (let i = 0; i < 8; i++) s += ASIN_CHARS[rng.int(0, ASIN_CHARS.length - 1)];
  return s;
}

function makeProduct(type: TypeSpec, asin: string, rng: Rng): { product: RawProduct; attrs: RawAttributes } {
  const brand = rng.pick(BRANDS);
  const attrs = sample(rng, type.attrs, rng.int(3, Math.min(5, type.attrs.length)));
  const insAttrs = attrs.slice(0, rng.int(1, Math.min(3, attrs.length)));
  const titleAttrs = attrs.slice(0, rng.int(2, attrs.length)).map(titleCase);
  const options: Record<string, { value: string; image: null }[]> = {};
  for (const spec of type.options) {
    if (spec.name !== 'size' && spec.name !== 'color' && rng.bernoulli(0.3)) continue;
    options[titleCase(spec.name)] = pickValues(rng, spec).map((v) => ({ value: v, image: null }));
  }
  const title = `${brand} ${type.noun}, ${titleAttrs.join(', ')}`;
  const bullets = attrs.map((a) => `${a.toUpperCase()}: ${rng.pick(BENEFITS)}.`);
  bullets.push(`WHAT YOU GET: ${type.noun.toLowerCase()} from ${brand}, ${rng.pick(BENEFITS)}.`);
  const [benefitA, benefitB] = sample(rng, BENEFITS, 2);
  const description =
    `${brand} ${type.noun.toLowerCase()} with ${joinAnd(attrs.slice(0, 2))}. ` +
    `It is ${benefitA}, and ${benefitB}. ` +
    `Features: ${attrs.join(', ')}.`;
  const reviews = Array.from({ length: rng.int(0, 3) }, () => ({
    title: rng.pick(REVIEW_TITLES),
    score: rng.pick([1, 2, 3, 4, 4, 5, 5, 5]),
    body: rng.pick(REVIEW_BODIES),
  }));
  const product: RawProduct = {
    asin,
    name: title,
    full_description: description,
    small_description: bullets,
    pricing: pricing(rng, type.price),
    customization_options: options,
    images: [`https://images.example/${asin}.jpg`],
    category: type.category,
    query: type.query,
    product_category: type.path,
    reviews,
  };
  if (reviews.length) {
    product.average_rating =
      Math.round((reviews.reduce((s, r) => s + r.score, 0) / reviews.length) * 10) / 10;
  }
  return {
    product,
    attrs: {
      attributes: [type.query, ...attrs],
      instruction: instruction(type, insAttrs, rng),
      instruction_attributes: insAttrs,
    },
  };
}

function pricing(rng: Rng, [lo, hi]: [number, number]): string {
  const price = (): number => rng.int(lo, hi) + rng.pick([0.99, 0.99, 0.95, 0.49, 0]);
  const a = price();
  if (!rng.bernoulli(0.12)) return `$${a.toFixed(2)}`;
  const b = a + rng.int(2, Math.max(3, Math.round((hi - lo) / 4)));
  return `$${a.toFixed(2)} - $${b.toFixed(2)}`;
}

function pickValues(rng: Rng, spec: OptionSpec): string[] {
  const n = rng.int(spec.count[0], Math.min(spec.count[1], spec.pool.length));
  if (rng.bernoulli(0.5)) {
    const start = rng.int(0, spec.pool.length - n);
    return spec.pool.slice(start, start + n);
  }
  const chosen = new Set(sample(rng, spec.pool, n));
  return spec.pool.filter((v) => chosen.has(v));
}

const TEMPLATES: ((q: string, a: string[]) => string)[] = [
  (q, a) => `find me ${a[0]} ${q}${a.length > 1 ? ` with ${a.slice(1).join(', ')}` : ''}`,
  (q, a) => `i am looking for a ${q} with ${joinAnd(a)}`,
  (q, a) => `i need ${q} with ${a.join(', ')}`,
  (q, a) => `i want to buy a ${q} that has ${joinAnd(a)}`,
  (q, a) => `get me a ${a[0]} ${q}${a.length > 1 ? ` with ${joinAnd(a.slice(1))}` : ''}`,
];

function instruction(type: TypeSpec, attrs: string[], rng: Rng): string {
  return rng.pick(TEMPLATES)(type.query, attrs);
}

function sample<T>(rng: Rng, items: readonly T[], n: number): T[] {
  return rng.shuffle(items).slice(0, n);
}

function joinAnd(items: string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function titleCase(s: string): string {
  return s.replace(/(^|[\s-])([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
}
