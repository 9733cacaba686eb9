/**
 * The WebShop catalog: products as the reference's `engine.py::load_products`
 * normalises them (title, description, bullet points, lower-cased options,
 * price tag, attributes, instruction), the synthetic goals built from them,
 * and a process-wide table of catalogs looked up by id. A catalog is built
 * once and frozen; env states only hold its id.
 */
import { ConfigError, UnknownIdError } from '../../util/errors.js';
import { deriveSeed, Rng } from '../../util/rng.js';
import { generateRawCatalog } from './generator.js';
import { buildGoals, type Goal, splitGoals } from './goals.js';
import { loadWebShopFiles, normaliseRawData, type RawAttributes, type RawProduct } from './loader.js';

export interface Review {
  title: string;
  score: number;
  body: string;
}

/** One buying option (radio group on the item page): a lower-cased name and its values. */
export interface ProductOption {
  name: string;
  values: string[];
}

export interface Product {
  /** ASIN-like id, upper case, at most 10 characters. */
  asin: string;
  title: string;
  description: string;
  bulletPoints: string[];
  /** Top-level category, e.g. `beauty`. */
  category: string;
  /** The product-type query it was scraped for, lower-cased, e.g. `deodorant`. */
  query: string;
  /** Breadcrumb, levels separated by `›`. */
  productCategory: string;
  /** Attribute phrases (reference `items_ins_v2` `attributes`, `['DUMMY_ATTR']` when absent). */
  attributes: string[];
  options: ProductOption[];
  /** Parsed price list: one price or a [low, high] range. */
  pricing: number[];
  /** Price as shown, e.g. `$12.99` or `$10.0 to $15.99`. */
  priceTag: string;
  /** The price the reward compares with the goal's bound (a range draws one, seeded). */
  price: number;
  /** Average rating as shown (`N.A.` without reviews). */
  rating: string;
  reviews: Review[];
  /** Synthetic instruction of this product (null: no goals from it). */
  instruction: string | null;
  instructionAttributes: string[];
}

export interface WebShopCatalog {
  id: string;
  products: readonly Product[];
  byAsin: ReadonlyMap<string, Product>;
  /** All goals, in the catalog's fixed shuffled order. */
  goals: readonly Goal[];
  /** Goal indices of the fixed test split (the first 500 goals, as the reference's `range(500)`). */
  testGoals: readonly number[];
  /** Goal indices of the train split (all other goals). */
  trainGoals: readonly number[];
  /** Distinct words of titles and attributes, for random queries. */
  vocabulary: readonly string[];
}

export interface BuildCatalogOptions {
  id: string;
  /** Seed of the catalog's random choices (range prices, price bounds, goal shuffle). */
  seed?: number;
  /** Size of the test split (default: min(500, half the goals)). */
  testSize?: number;
}

/** Build a frozen catalog from data in the reference's file formats. */
export function buildCatalog(
  rawProducts: unknown,
  rawAttributes: unknown,
  options: BuildCatalogOptions,
): WebShopCatalog {
  const seed = options.seed ?? 0;
  const products = normaliseRawData(rawProducts, rawAttributes, seed);
  if (products.length < 3) {
    throw new ConfigError(
      `catalog ${options.id} has ${products.length} products; BM25 search needs at least 3`,
    );
  }
  const goals = buildGoals(products, seed);
  if (goals.length < 2) {
    throw new ConfigError(
      `catalog ${options.id} yields ${goals.length} goals; give at least 2 products an instruction and instruction_attributes`,
    );
  }
  const shuffled = Rng.seeded(deriveSeed(seed, 'webshop-goal-shuffle')).shuffle(goals);
  const { test, train } = splitGoals(shuffled.length, options.testSize);
  const byAsin = new Map(products.map((p) => [p.asin, p]));
  const words = new Set<string>();
  for (const p of products) {
    for (const w of `${p.title} ${p.attributes.join(' ')}`.toLowerCase().split(/[^a-z0-9]+/)) {
      if (w.length > 2 && !/^\d+$/.test(w)) words.add(w);
    }
  }
  return deepFreeze({
    id: options.id,
    products,
    byAsin,
    goals: shuffled,
    testGoals: test,
    trainGoals: train,
    vocabulary: [...words].sort(),
  });
}

const catalogs = new Map<string, WebShopCatalog>();

/** Make a catalog available to env states by its id. */
export function registerCatalog(catalog: WebShopCatalog): void {
  const have = catalogs.get(catalog.id);
  if (have && have !== catalog)
    throw new ConfigError(`a different WebShop catalog is already registered as "${catalog.id}"`);
  catalogs.set(catalog.id, catalog);
}

/** Default catalog id: the synthetic 1000-product catalog (seed 0). */
export const DEFAULT_CATALOG = 'synthetic-1000';

const SYNTHETIC_ID = /^synthetic-(\d+)(?:-seed(\d+))?$/;

/** The id under which files in the reference formats are loaded. */
export function fileCatalogId(productsFile: string, attributesFile: string): string {
  return `file:${JSON.stringify([productsFile, attributesFile])}`;
}

/**
 * Look up a catalog by id. `synthetic-<n>[-seed<s>]` ids are generated on first
 * use; `file:` ids (see `fileCatalogId`) are loaded from disk on first use; any
 * other id must have been registered with `registerCatalog`.
 */
export function webshopCatalog(id: string = DEFAULT_CATALOG): WebShopCatalog {
  const have = catalogs.get(id);
  if (have) return have;
  const synthetic = SYNTHETIC_ID.exec(id);
  let built: WebShopCatalog;
  if (synthetic) {
    const count = Number(synthetic[1]);
    const seed = Number(synthetic[2] ?? 0);
    if (count < 3 || count > 200_000)
      throw new ConfigError(`synthetic catalog size must be 3..200000, got ${count}`);
    const raw = generateRawCatalog(count, seed);
    built = buildCatalog(raw.products, raw.attributes, { id, seed });
  } else if (id.startsWith('file:')) {
    const [productsFile, attributesFile] = JSON.parse(id.slice(5)) as [string, string];
    const raw = loadWebShopFiles(productsFile, attributesFile);
    built = buildCatalog(raw.products, raw.attributes, { id });
  } else {
    throw new UnknownIdError(
      `unknown WebShop catalog "${id}". Use synthetic-<products> (e.g. ${DEFAULT_CATALOG}), give productsFile and attributesFile, or registerCatalog() your own`,
    );
  }
  catalogs.set(id, built);
  return built;
}

/** Python's `repr(float)` for the prices the reference prints (`10.0`, `12.99`). */
export function pyFloat(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

export type { Goal, RawAttributes, RawProduct };

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (value instanceof Map) {
      for (const v of value.values()) deepFreeze(v);
    } else {
      for (const v of Object.values(value)) deepFreeze(v);
    }
  }
  return value;
}
