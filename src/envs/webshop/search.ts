/**
 * BM25 product search as the reference's pyserini/Lucene index: one document
 * per product, `title + description + first bullet point + option text`
 * lower-cased (`search_engine/convert_product_file_format.py`), BM25 with
 * pyserini's defaults k1 = 0.9, b = 0.4, Lucene's English stop words and
 * Porter stemming (of tokens up to 32 characters), tokens split at 255 characters as
 * Lucene's; top 50 results, ties broken by catalog order (Lucene's doc
 * id order), 10 per page. Built once per catalog and shared.
 */
import { createRequire } from 'node:module';
import bm25 from 'wink-bm25-text-search';
import type WinkUtils from 'wink-nlp-utils';
import type { Product, WebShopCatalog } from './catalog.js';

/** Results a search returns (reference SEARCH_RETURN_N). */
export const SEARCH_RETURN_N = 50;
/** Results shown per page (reference PRODUCT_WINDOW). */
export const PRODUCT_WINDOW = 10;

/** Lucene's default English stop words (the analyzer pyserini indexes with). */
const LUCENE_STOP_WORDS =
  'a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with'.split(
    ' ',
  );

// wink-nlp-utils is loaded when the first index is built, so importing the env stays fast.
const requireCjs = createRequire(import.meta.url);
let utils: typeof WinkUtils | undefined;
const winkUtils = (): typeof WinkUtils => {
  utils ??= requireCjs('wink-nlp-utils') as typeof WinkUtils;
  return utils;
};

/** Lucene StandardTokenizer's maxTokenLength: a longer token is split at every 255 characters. */
export const MAX_TOKEN_LENGTH = 255;

/**
 * Longest token stemmed. wink's Porter2 stemmer is quadratic in a word's length (one 8k-character
 * word took 0.33 s, 100k 55 s; a 255-character piece ~3 ms): longer tokens, which are codes or
 * garbage and no English word, are indexed and searched as they are — the same on both sides, so an
 * identical token still matches. With the 255 split, a query costs at most ~32 stemmer steps per character.
 */
export const MAX_STEM_LENGTH = 32;

/** Split tokens longer than MAX_TOKEN_LENGTH into pieces of that length, as Lucene's tokenizer does. */
export function splitLongTokens(tokens: string[]): string[] {
  if (tokens.every((t) => t.length <= MAX_TOKEN_LENGTH)) return tokens;
  const out: string[] = [];
  for (const t of tokens) {
    if (t.length <= MAX_TOKEN_LENGTH) out.push(t);
    else for (let i = 0; i < t.length; i += MAX_TOKEN_LENGTH) out.push(t.slice(i, i + MAX_TOKEN_LENGTH));
  }
  return out;
}

/** The indexed text of a product (reference `doc['contents']`). */
export function searchDocument(p: Product): string {
  const optionText = p.options.map((o) => `${o.name}: ${o.values.join(', ')}`).join(', and ');
  return [p.title, p.description, p.bulletPoints[0] ?? '', optionText].join(' ').toLowerCase();
}

interface SearchIndex {
  engine: ReturnType<typeof bm25>;
  cache: Map<string, readonly string[]>;
}

const indexes = new WeakMap<WebShopCatalog, SearchIndex>();
const CACHE_SIZE = 512;

function indexOf(catalog: WebShopCatalog): SearchIndex {
  const have = indexes.get(catalog);
  if (have) return have;
  const u = winkUtils();
  const stopWords = u.helper.words(LUCENE_STOP_WORDS);
  const engine = bm25();
  engine.defineConfig({ fldWeights: { contents: 1 }, bm25Params: { k1: 0.9, b: 0.4, k: 1 } });
  engine.definePrepTasks([
    u.string.lowerCase,
    u.string.tokenize0,
    splitLongTokens,
    (tokens: string[]) => u.tokens.removeWords(tokens, stopWords),
    (tokens: string[]) => tokens.map((t) => (t.length <= MAX_STEM_LENGTH ? u.string.stem(t) : t)),
  ] as ((input: never) => unknown)[]);
  catalog.products.forEach((p, i) => {
    engine.addDoc({ contents: searchDocument(p) }, String(i));
  });
  engine.consolidate(6);
  const index = { engine, cache: new Map<string, readonly string[]>() };
  indexes.set(catalog, index);
  return index;
}

/** Build the catalog's index now (otherwise the first search builds it). */
export function buildSearchIndex(catalog: WebShopCatalog): void {
  indexOf(catalog);
}

/**
 * One BM25 search: the asins of the top 50 products for `query`, best first.
 * Same catalog and query, same list (results are cached per catalog; `cache: false`
 * runs the search anyway, e.g. to time it).
 */
export function searchCatalog(
  catalog: WebShopCatalog,
  query: string,
  options: { cache?: boolean } = {},
): readonly string[] {
  const index = indexOf(catalog);
  const key = query.toLowerCase();
  const cached = options.cache === false ? undefined : index.cache.get(key);
  if (cached) {
    index.cache.delete(key);
    index.cache.set(key, cached);
    return cached;
  }
  const hits = index.engine.search(key, catalog.products.length);
  const ranked = hits
    .map(([id, score]) => ({ i: Number(id), score }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, SEARCH_RETURN_N)
    .map((h) => catalog.products[h.i]!.asin);
  const result = Object.freeze(ranked);
  index.cache.set(key, result);
  if (index.cache.size > CACHE_SIZE) index.cache.delete(index.cache.keys().next().value!);
  return result;
}

/** The asins shown on results page `page` (1-based; pages past the end are empty). */
export function resultsPage(results: readonly string[], page: number): readonly string[] {
  return results.slice((page - 1) * PRODUCT_WINDOW, page * PRODUCT_WINDOW);
}
