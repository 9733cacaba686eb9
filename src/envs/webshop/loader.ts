/**
 * Loader for the reference's data files: `items_shuffle*.json` (a list of
 * scraped products) and `items_ins_v2*.json` (asin → attributes and the
 * synthetic instruction), normalised as `engine.py::load_products` does:
 * options lower-cased with `/` → ` | `, prices parsed from `$` strings,
 * invalid asins (`nan`, longer than 10) and duplicates skipped.
 *
 * Reviews are not part of `items_shuffle` (the reference reads an optional
 * reviews file); a product may carry them inline as `reviews` /
 * `average_rating`, which our synthetic generator does.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ParseError } from '../../util/errors.js';
import { deriveSeed, Rng } from '../../util/rng.js';
import type { Product, ProductOption, Review } from './catalog.js';

const optionValueSchema = z.object({ value: z.string(), image: z.string().nullish() });

const reviewSchema = z.object({
  title: z.string().nullish(),
  score: z.union([z.number(), z.string()]).optional(),
  stars: z.union([z.number(), z.string()]).optional(),
  body: z.string().nullish(),
  review: z.string().nullish(),
});

const rawProductSchema = z.object({
  asin: z.string(),
  name: z.string(),
  full_description: z.string().nullable(),
  small_description: z.union([z.string(), z.array(z.string())]),
  pricing: z.string().nullish(),
  customization_options: z.record(z.string(), z.array(optionValueSchema).nullable()).nullish(),
  images: z.array(z.string().nullable()).optional(),
  category: z.string(),
  query: z.string(),
  product_category: z.string(),
  reviews: z.array(reviewSchema).optional(),
  average_rating: z.union([z.number(), z.string()]).nullish(),
});

const rawAttributesSchema = z.object({
  attributes: z.array(z.string()).optional(),
  instruction: z.string().nullish(),
  instruction_attributes: z.array(z.string()).nullish(),
});

/** One product of `items_shuffle*.json` (the fields the env uses). */
export type RawProduct = z.infer<typeof rawProductSchema>;
/** One value of `items_ins_v2*.json`. */
export type RawAttributes = z.infer<typeof rawAttributesSchema>;

/** Read both files; JSON syntax errors are reported as ParseError naming the file. */
export function loadWebShopFiles(
  productsFile: string,
  attributesFile: string,
): { products: unknown; attributes: unknown } {
  return { products: readJson(productsFile), attributes: readJson(attributesFile) };
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ParseError(`cannot read WebShop data file ${path}: check the path`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ParseError(`WebShop data file ${path} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Validate and normalise raw products and attributes. A malformed entry raises
 * a ParseError naming the product index (or attribute asin) and the field.
 */
export function normaliseRawData(rawProducts: unknown, rawAttributes: unknown, seed: number): Product[] {
  if (!Array.isArray(rawProducts)) {
    throw new ParseError(
      `products data must be a JSON list of products (items_shuffle format), got ${typeName(rawProducts)}`,
    );
  }
  if (rawAttributes === null || typeof rawAttributes !== 'object' || Array.isArray(rawAttributes)) {
    throw new ParseError(
      `attributes data must be a JSON object asin → {attributes, instruction, instruction_attributes} (items_ins_v2 format), got ${typeName(rawAttributes)}`,
    );
  }
  const attributes = new Map<string, RawAttributes>();
  for (const [asin, entry] of Object.entries(rawAttributes as Record<string, unknown>)) {
    const parsed = rawAttributesSchema.safeParse(entry);
    if (!parsed.success) throw new ParseError(`attributes entry "${asin}": ${describeIssue(parsed.error)}`);
    attributes.set(asin, parsed.data);
  }
  const out: Product[] = [];
  const seen = new Set<string>();
  rawProducts.forEach((entry, index) => {
    const parsed = rawProductSchema.safeParse(entry);
    if (!parsed.success) {
      const asin = (entry as { asin?: unknown } | null)?.asin;
      const which = typeof asin === 'string' ? ` (asin ${asin})` : '';
      throw new ParseError(`product ${index}${which}: ${describeIssue(parsed.error)}`);
    }
    const p = parsed.data;
    if (p.asin === 'nan' || p.asin.length > 10 || seen.has(p.asin)) return;
    seen.add(p.asin);
    out.push(normaliseProduct(p, attributes.get(p.asin), index, seed));
  });
  return out;
}

function normaliseProduct(
  p: RawProduct,
  attrs: RawAttributes | undefined,
  index: number,
  seed: number,
): Product {
  const fail = (field: string, what: string): never => {
    throw new ParseError(`product ${index} (asin ${p.asin}): field "${field}": ${what}`);
  };
  const pricing = parsePricing(p.pricing, (what) => fail('pricing', what));
  const priceTag = p.pricing ? priceTagOf(pricing) : '$100.0';
  const price =
    pricing.length === 1
      ? pricing[0]!
      : pricing[0]! + (pricing[1]! - pricing[0]!) * Rng.seeded(deriveSeed(seed, 'price', p.asin)).float();
  const options: ProductOption[] = [];
  for (const [name, contents] of Object.entries(p.customization_options ?? {})) {
    if (contents === null) continue;
    options.push({
      name: name.toLowerCase(),
      values: contents.map((c) => c.value.trim().replaceAll('/', ' | ').toLowerCase()),
    });
  }
  const instruction = attrs?.instruction ?? null;
  const instructionAttributes = attrs?.instruction_attributes ?? [];
  if (instruction !== null && instructionAttributes.length === 0) {
    throw new ParseError(
      `attributes entry "${p.asin}": field "instruction_attributes": a product with an instruction needs at least one attribute`,
    );
  }
  const reviews: Review[] = (p.reviews ?? []).map((r) => ({
    title: r.title ?? '',
    score: Number(r.score ?? r.stars ?? 0) || 0,
    body: r.body ?? r.review ?? '',
  }));
  return {
    asin: p.asin,
    title: p.name,
    description: p.full_description ?? '',
    bulletPoints: Array.isArray(p.small_description) ? p.small_description : [p.small_description],
    category: p.category,
    query: p.query.toLowerCase().trim(),
    productCategory: p.product_category,
    attributes: attrs?.attributes ?? ['DUMMY_ATTR'],
    options,
    pricing,
    priceTag,
    price,
    rating: p.average_rating === undefined || p.average_rating === null ? 'N.A.' : String(p.average_rating),
    reviews,
    instruction,
    instructionAttributes,
  };
}

/** `"$12.99"` → [12.99]; `"$10.00 - $15.99"` → [10, 15.99]; missing → [100] (reference defaults). */
function parsePricing(pricing: string | null | undefined, fail: (what: string) => never): number[] {
  if (!pricing) return [100];
  const parts = pricing.split('$').slice(1);
  if (parts.length === 0) fail(`expected a price like "$12.99", got ${JSON.stringify(pricing)}`);
  const values = parts.map((part) => {
    const digits = part.replace(/[^\d.]/g, '');
    if (!/^(\d+\.?\d*|\.\d+)$/.test(digits)) fail(`cannot read a number in ${JSON.stringify(pricing)}`);
    return Number(digits);
  });
  return values.slice(0, 2);
}

function priceTagOf(pricing: number[]): string {
  const py = (n: number): string => (Number.isInteger(n) ? n.toFixed(1) : String(n));
  return pricing.length === 1 ? `$${py(pricing[0]!)}` : `$${py(pricing[0]!)} to $${py(pricing[1]!)}`;
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const field = issue.path.map(String).join('.') || '(entry)';
  return `field "${field}": ${issue.message}`;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v;
}
