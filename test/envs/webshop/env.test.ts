import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { registerBuiltinEnvs } from '../../../src/envs/builtin.js';
import { checkEnvContract } from '../../../src/envs/core/contract.js';
import { getEnv, resolveParams, taskSeeds, validationSeeds } from '../../../src/envs/core/index.js';
import {
  admissibleActions,
  parseAction,
  rawObservation,
  type WebShopState,
  webshop,
  webshopCatalog,
} from '../../../src/envs/webshop/index.js';
import { ConfigError } from '../../../src/util/errors.js';
import { Rng } from '../../../src/util/rng.js';

const params = webshop.presets.default!;
const catalog = webshopCatalog(params.catalog);

function play(state: WebShopState, actions: string[]): WebShopState {
  for (const a of actions) state = webshop.step(state, a).state;
  return state;
}

describe('WebShop-v0 registry entry', () => {
  it('is a built-in env found by its alias, with a validated params schema', () => {
    registerBuiltinEnvs();
    expect(getEnv('webshop').id).toBe('WebShop-v0');
    expect(webshop.maxTurns).toBe(12);
    expect(resolveParams(webshop).catalog).toBe('synthetic-1000');
    expect(() => resolveParams(webshop, 'default', { productsFile: 'a.json' })).toThrow(ConfigError);
    expect(() => resolveParams(webshop, 'default', { goalSampling: 'sometimes' })).toThrow(/goalSampling/);
  });

  it('offers bench:envs a search and a score operation', () => {
    const ops = webshop.benchmarks!();
    expect(Object.keys(ops).sort()).toEqual(['score', 'search']);
    for (const op of Object.values(ops)) op();
  });

  it('passes the env contract checker', () => {
    const report = checkEnvContract(webshop, { params });
    expect(report.turns).toBe(12);
    expect(report.projections).toBeGreaterThan(100);
  });
});

describe('WebShop pages', () => {
  it('starts on the search page with the instruction in the raw text and only the page after it observed', () => {
    const s = webshop.initial(4, params);
    const goal = catalog.goals[s.goal]!;
    expect(rawObservation(s)).toBe(`WebShop [SEP] Instruction: [SEP] ${goal.instruction} [SEP] Search`);
    expect(webshop.observe(s)).toBe("'Search'");
    expect(webshop.task!(s)).toBe(goal.instruction);
    expect(webshop.admissible(s)).toEqual(['search[<your query>]', 'click[search]']);
    // click[search] is listed (as in the reference) but does nothing.
    expect(webshop.step(s, 'click[search]').state).toEqual(s);
  });

  it('walks search → results → item → options → sub-pages → back, as the reference text env', () => {
    const s0 = webshop.initial(11, params);
    const goal = catalog.goals[s0.goal]!;
    const title = goal.name.toLowerCase().replace(/[[\]]/g, ' ');
    const results = play(s0, [`search[${title}]`]);
    expect(results.page).toBe('results');
    const obs = webshop.observe(results);
    expect(obs.startsWith("'Back to Search' [SEP] 'Page 1 (Total results: ")).toBe(true);
    expect(obs).toContain("[SEP] 'Next >' [SEP] ");
    expect(obs).not.toContain('< Prev');
    const adm = webshop.admissible(results);
    expect(adm.slice(0, 2)).toEqual(['click[back to search]', 'click[next >]']);
    expect(adm).toContain(`click[${goal.asin.toLowerCase()}]`);

    const item = play(results, [`click[${goal.asin.toLowerCase()}]`]);
    expect(item.page).toBe('item');
    expect(webshop.admissible(item).slice(0, 6)).toEqual([
      'click[back to search]',
      'click[< prev]',
      'click[description]',
      'click[features]',
      'click[reviews]',
      'click[buy now]',
    ]);
    const product = catalog.byAsin.get(goal.asin)!;
    expect(webshop.observe(item)).toContain(
      `'${product.title}' [SEP] 'Price: ${product.priceTag}' [SEP] 'Rating: `,
    );

    const [name, value] = goal.goalOptions[0] ?? ['', ''];
    const chosen = name ? play(item, [`click[${value}]`]) : item;
    if (name) expect(chosen.options).toEqual({ [name]: value });
    const features = play(chosen, ['click[features]']);
    expect(webshop.observe(features)).toContain(`'${product.bulletPoints[0]!.trim()}'`);
    expect(webshop.admissible(features)).toEqual(['click[back to search]', 'click[< prev]']);
    // < prev from a sub-page returns to the item with the options kept ...
    expect(play(features, ['click[< prev]'])).toEqual(chosen);
    // ... from the item to its results page with the options cleared, and back to search resets.
    const back = play(chosen, ['click[< prev]']);
    expect(back).toMatchObject({ page: 'results', asin: null, options: {}, keywords: title });
    expect(play(back, ['click[back to search]'])).toEqual({ ...s0 });
  });

  it('ends on buy now with the binary reward, info.taskScore and an absorbing done page', () => {
    let s = webshop.initial(21, params);
    let last = webshop.stepInvalid(s);
    for (let t = 0; t < 12 && !last.done; t++) {
      last = webshop.step(s, webshop.expertAction!(s)!);
      s = last.state;
    }
    expect(last).toMatchObject({ done: true, won: true, reward: 10, info: { taskScore: 1 } });
    expect(webshop.observe(s).startsWith('Thank you for shopping with us! [SEP] Your code: [SEP] None')).toBe(
      true,
    );
    expect(webshop.observe(s)).toContain('[SEP] Your score (min 0.0, max 1.0) [SEP] 1.0 [SEP]');
    expect(webshop.admissible(s)).toEqual([]);
    expect(webshop.step(s, 'search[anything]')).toMatchObject({
      state: s,
      reward: 0,
      done: true,
      won: false,
    });
  });

  it('parses actions like re.match(r"(.+)\\[(.+)\\]") and ignores everything else', () => {
    expect(parseAction('search[red shoes]')).toEqual({ name: 'search', arg: 'red shoes' });
    expect(parseAction('search[a] and more')).toEqual({ name: 'search', arg: 'a' });
    expect(parseAction('click[a [b] c]')).toEqual({ name: 'click[a ', arg: 'b] c' });
    expect(parseAction('click[]')).toBeNull();
    expect(parseAction('click[a\nb]')).toBeNull();
    const s = webshop.initial(5, params);
    for (const bad of ['click[next >]', 'buy now', 'search[]', 'click[buy now]', 'Search[x]']) {
      const r = webshop.step(s, bad);
      expect(r).toMatchObject({ state: s, reward: 0, done: false, won: false });
    }
  });
});

describe('WebShop properties', () => {
  const actionArb = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.constantFrom(
      'click[next >]',
      'click[< prev]',
      'click[buy now]',
      'click[back to search]',
      'click[search]',
    ),
    fc.string({ maxLength: 20 }).map((q) => `search[${q}]`),
  );

  test.prop([fc.integer({ min: 0, max: 2 ** 16 - 2 }), fc.array(actionArb, { maxLength: 6 })], {
    numRuns: 200,
  })(
    'any action string is handled without a throw; a non-move changes nothing and earns 0',
    (seed, actions) => {
      let s = webshop.initial(seed, params);
      for (const a of actions) {
        const r = webshop.step(s, a);
        expect(Number.isFinite(r.reward)).toBe(true);
        if (r.info.changed === false) expect(r).toMatchObject({ state: s, reward: 0 });
        s = r.state;
      }
    },
  );

  // 100 runs: each run walks up to 8 random admissible steps (searches included).
  test.prop([fc.integer({ min: 0, max: 2 ** 16 - 2 }), fc.integer()], { numRuns: 100 })(
    'every admissible action projects to itself; a click on anything else does not move',
    (seed, rngSeed) => {
      const rng = Rng.seeded(rngSeed);
      let s = webshop.initial(seed, params);
      for (let t = 0; t < 8 && s.page !== 'done'; t++) {
        for (const a of admissibleActions(s)) {
          const p = webshop.project(`I will do <action>${a}</action> now`);
          expect(p).toEqual({ kind: 'action', action: a });
        }
        expect(webshop.step(s, 'click[not on this page]').info.changed).toBe(false);
        s = webshop.step(s, webshop.randomAction(s, rng)).state;
      }
    },
  );

  test.prop([fc.integer({ min: 0, max: 2 ** 32 - 2 })], { numRuns: 200 })(
    'same seed, same goal and pages; train seeds get train goals, validation seeds test goals',
    (seed) => {
      const a = webshop.initial(seed, params);
      const b = webshop.initial(seed, params);
      expect(a).toEqual(b);
      const test = new Set(catalog.testGoals);
      expect(test.has(a.goal)).toBe(seed >= 2 ** 16);
      expect(a.split).toBe(seed >= 2 ** 16 ? 'test' : 'train');
      const q = catalog.goals[a.goal]!.name.toLowerCase().replace(/[[\]]/g, ' ');
      expect(webshop.observe(play(a, [`search[${q}]`]))).toBe(webshop.observe(play(b, [`search[${q}]`])));
    },
  );
});

describe('WebShop goals and restart', () => {
  it('has a fixed 500-goal test split disjoint from the train goals', () => {
    expect(catalog.products.length).toBe(1000);
    expect(catalog.testGoals.length).toBe(500);
    expect(catalog.trainGoals.length + 500).toBe(catalog.goals.length);
    const test = new Set(catalog.testGoals);
    expect(catalog.trainGoals.some((g) => test.has(g))).toBe(false);
    const validation = new Set(validationSeeds(50).map((s) => webshop.initial(s, params).goal));
    for (const g of validation) expect(test.has(g)).toBe(true);
    const train = taskSeeds('train', 50, 3).map((s) => webshop.initial(s, params).goal);
    expect(train.every((g) => !test.has(g))).toBe(true);
    expect(new Set(train).size).toBeGreaterThan(40);
  });

  it('restart after a wrong purchase restores the same goal (reference bug §12.8 fixed)', () => {
    const s0 = webshop.initial(77, params);
    const frozen = JSON.stringify(s0);
    let s = play(s0, ['search[black]']);
    const first = webshop.admissible(s).find((a) => /^click\[b0/.test(a))!;
    const r = webshop.step(play(s, [first]), 'click[buy now]');
    expect(r.done).toBe(true);
    expect(JSON.stringify(s0)).toBe(frozen);
    s = JSON.parse(frozen) as WebShopState;
    expect(webshop.observe(s)).toBe("'Search'");
    expect(webshop.initial(77, params).goal).toBe(s.goal);
  });

  it('weighted sampling draws goals by their attribute weights, deterministically', () => {
    const w = { ...params, goalSampling: 'weighted' as const };
    expect(webshop.initial(9, w)).toEqual(webshop.initial(9, w));
    expect(catalog.goals.every((g) => g.weight > 0 && g.weight <= 1)).toBe(true);
  });
});
