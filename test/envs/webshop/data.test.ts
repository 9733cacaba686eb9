import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { checkEnvContract } from '../../../src/envs/core/contract.js';
import {
  buildCatalog,
  buildGoals,
  clickables,
  fileCatalogId,
  normaliseRawData,
  PRODUCT_WINDOW,
  registerCatalog,
  searchCatalog,
  searchDocument,
  splitLongTokens,
  webshop,
  webshopCatalog,
} from '../../../src/envs/webshop/index.js';
import { ConfigError, ParseError, UnknownIdError } from '../../../src/util/errors.js';

const dir = 'test/fixtures/webshop';
const productsFile = `${dir}/items_shuffle_sample.json`;
const attributesFile = `${dir}/items_ins_v2_sample.json`;
const rawProducts = JSON.parse(readFileSync(productsFile, 'utf8')) as Record<string, unknown>[];
const rawAttributes = JSON.parse(readFileSync(attributesFile, 'utf8')) as Record<string, unknown>;
const clone = <T>(x: T): T => structuredClone(x);

describe('loader for the reference data formats', () => {
  it('loads the sample files as the reference normalises them', () => {
    const c = webshopCatalog(fileCatalogId(productsFile, attributesFile));
    expect(c.products.length).toBe(rawProducts.length);
    const raw = rawProducts[0]!;
    const p = c.byAsin.get(raw.asin as string)!;
    expect(p.title).toBe(raw.name);
    expect(p.bulletPoints).toEqual(raw.small_description);
    const optionNames = Object.keys(raw.customization_options as object).map((k) => k.toLowerCase());
    expect(p.options.map((o) => o.name)).toEqual(optionNames);
    expect(p.attributes).toEqual((rawAttributes[p.asin] as { attributes: string[] }).attributes);
    expect(c.goals.length).toBeGreaterThan(c.products.length);
  });

  it('runs the env on the sample files (params productsFile + attributesFile)', () => {
    const params = { catalog: 'unused', productsFile, attributesFile, goalSampling: 'uniform' as const };
    expect(checkEnvContract(webshop, { params, seeds: [0, 1, 70000] }).seeds).toBe(3);
  });

  it('normalises options, prices and skips invalid or duplicate asins as load_products does', () => {
    const products = clone(rawProducts.slice(0, 4));
    products[0]!.customization_options = {
      'Color Name': [{ value: ' Navy/White ', image: null }],
      Size: null,
    };
    products[0]!.pricing = '$12.50 - $20.00';
    products[1]!.pricing = '';
    products[2]!.asin = 'nan';
    products[3]!.asin = products[0]!.asin;
    const [a, b, ...rest] = normaliseRawData(products, rawAttributes, 0);
    expect(rest).toEqual([]);
    expect(a!.options).toEqual([{ name: 'color name', values: ['navy | white'] }]);
    expect(a!.pricing).toEqual([12.5, 20]);
    expect(a!.priceTag).toBe('$12.5 to $20.0');
    expect(a!.price).toBeGreaterThanOrEqual(12.5);
    expect(a!.price).toBeLessThanOrEqual(20);
    expect(b!.priceTag).toBe('$100.0');
    const noAttrs = normaliseRawData(rawProducts.slice(0, 1), {}, 0)[0]!;
    expect(noAttrs.attributes).toEqual(['DUMMY_ATTR']);
    expect(noAttrs.instruction).toBeNull();
  });

  const fields = ['asin', 'name', 'small_description', 'category', 'query', 'product_category', 'pricing'];
  test.prop(
    [fc.nat(rawProducts.length - 1), fc.constantFrom(...fields), fc.constantFrom(42, true, ['x'], { a: 1 })],
    {
      numRuns: 200,
    },
  )('rejects a malformed product with a ParseError naming its index and field', (index, field, bad) => {
    const products = clone(rawProducts);
    products[index]![field] = field === 'pricing' && typeof bad === 'object' ? 'twelve dollars' : bad;
    if (field === 'small_description' && Array.isArray(bad)) products[index]![field] = [7];
    let error: unknown;
    try {
      normaliseRawData(products, rawAttributes, 0);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ParseError);
    expect((error as Error).message).toMatch(new RegExp(`^product ${index}\\b`));
    expect((error as Error).message).toContain(`"${field}`);
  });

  it('rejects bad attribute entries and non-list product files, naming what to fix', () => {
    const asin = rawProducts[0]!.asin as string;
    const attrs = { ...rawAttributes, [asin]: { attributes: 'soft', instruction: 'x' } };
    expect(() => normaliseRawData(rawProducts, attrs, 0)).toThrow(
      /attributes entry "B0\w+": field "attributes"/,
    );
    const empty = {
      ...rawAttributes,
      [asin]: { attributes: [], instruction: 'x', instruction_attributes: [] },
    };
    expect(() => normaliseRawData(rawProducts, empty, 0)).toThrow(/field "instruction_attributes"/);
    expect(() => normaliseRawData({ products: [] }, rawAttributes, 0)).toThrow(ParseError);
    expect(() => webshopCatalog(fileCatalogId(`${dir}/missing.json`, attributesFile))).toThrow(/cannot read/);
  });
});

describe('BM25 search', () => {
  const catalog = buildCatalog(rawProducts, rawAttributes, { id: 'data-test' });

  it('indexes title, description, first bullet point and option text, lower-cased', () => {
    const p = catalog.products[0]!;
    const doc = searchDocument(p);
    expect(doc).toBe(doc.toLowerCase());
    expect(doc.startsWith(`${p.title} ${p.description} ${p.bulletPoints[0]}`.toLowerCase())).toBe(true);
    const o = p.options[0];
    if (o) expect(doc).toContain(`${o.name}: ${o.values.join(', ')}`);
  });

  it('ranks a product first for its own title and returns at most 50 results', () => {
    const big = webshopCatalog('synthetic-1000');
    let first = 0;
    for (const p of big.products.slice(0, 100)) {
      const hits = searchCatalog(big, p.title.toLowerCase());
      expect(hits.length).toBeLessThanOrEqual(50);
      if (hits.slice(0, 10).includes(p.asin)) first++;
    }
    expect(first).toBeGreaterThanOrEqual(95);
    expect(searchCatalog(big, 'shampoo').length).toBe(25);
    expect(searchCatalog(big, 'black').length).toBe(50);
    expect(searchCatalog(big, 'qqqzzz')).toEqual([]);
  });

  it('searches a query of one very long word in linear time (split at 255 characters, as Lucene)', () => {
    // before: the stemmer was quadratic in a word's length (100k characters: 55 s, past this test's timeout)
    const big = webshopCatalog('synthetic-1000');
    const word = 'shampoo'.repeat(15_000);
    expect(searchCatalog(big, word, { cache: false })).toEqual([]);
    expect(searchCatalog(big, `shampoo ${word}`, { cache: false })).toEqual(searchCatalog(big, 'shampoo'));
    expect(splitLongTokens(['ab', 'x'.repeat(600)]).map((t) => t.length)).toEqual([2, 255, 255, 90]);
    const short = ['a', 'b'];
    expect(splitLongTokens(short)).toBe(short);
  });

  // 200 runs: each walks every results page of one query through the env.
  const big = webshopCatalog('synthetic-1000');
  test.prop(
    [fc.array(fc.constantFrom(...big.vocabulary), { minLength: 1, maxLength: 4 }), fc.nat(2 ** 16 - 2)],
    {
      numRuns: 200,
    },
  )('paging never loses or repeats results', (words, seed) => {
    const query = words.join(' ');
    const all = searchCatalog(big, query);
    let s = webshop.step(webshop.initial(seed, webshop.presets.default!), `search[${query}]`).state;
    const seen: string[] = [];
    for (let page = 1; page <= 7; page++) {
      const asins = clickables(s).filter((c) => /^b0/.test(c));
      expect(asins.length).toBeLessThanOrEqual(PRODUCT_WINDOW);
      seen.push(...asins.map((a) => a.toUpperCase()));
      s = webshop.step(s, 'click[next >]').state;
    }
    expect(seen).toEqual([...all]);
    for (let page = 8; page > 1; page--) s = webshop.step(s, 'click[< prev]').state;
    expect(s.resultsPage).toBe(1);
    expect(webshop.step(s, 'click[< prev]').info.changed).toBe(false);
  });
});

describe('synthetic goals and catalog ids', () => {
  it('makes one goal per option combination with the reference instruction suffixes and price bound', () => {
    const products = normaliseRawData(rawProducts, rawAttributes, 0);
    const goals = buildGoals(products, 0);
    for (const p of products) {
      const mine = goals.filter((g) => g.asin === p.asin);
      expect(mine.length).toBe(p.options.reduce((n, o) => n * o.values.length, 1));
      for (const g of mine) {
        const names = p.options.map((o) => o.name).sort();
        expect(g.goalOptions.map(([k]) => k)).toEqual(names);
        const optionText = g.goalOptions.length
          ? ` with ${g.goalOptions.map(([k, v]) => `${k}: ${v}`).join(', and ')}`
          : '';
        const multiples = Array.from({ length: 99 }, (_, i) => 10 * (i + 1))
          .filter((m) => m > p.price)
          .slice(0, 4);
        expect(multiples.slice(1)).toContain(g.priceUpper);
        expect(g.instruction).toBe(
          `${p.instruction}${optionText}, and price lower than ${g.priceUpper.toFixed(2)} dollars`,
        );
        expect(g.attributes).toEqual(p.instructionAttributes);
      }
    }
    const dear = { ...products[0]!, price: 985 };
    const [g] = buildGoals([dear], 0);
    expect(g!.priceUpper).toBe(1_000_000);
    expect(g!.instruction.includes('price lower than')).toBe(false);
  });

  it('resolves catalog ids and says what to use for unknown ones', () => {
    expect(webshopCatalog('synthetic-40-seed3').products.length).toBe(40);
    expect(webshopCatalog('synthetic-40-seed3')).toBe(webshopCatalog('synthetic-40-seed3'));
    expect(() => webshopCatalog('my-shop')).toThrow(UnknownIdError);
    expect(() => webshopCatalog('synthetic-2')).toThrow(ConfigError);
    const custom = buildCatalog(rawProducts, rawAttributes, { id: 'custom-shop', testSize: 10 });
    registerCatalog(custom);
    expect(webshopCatalog('custom-shop').testGoals.length).toBe(10);
    const s = webshop.initial(70_000, { catalog: 'custom-shop', goalSampling: 'uniform' });
    expect(custom.testGoals).toContain(s.goal);
  });
});
