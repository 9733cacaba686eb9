/**
 * WebShop rules over plain JSON state: the page the agent is on, its query,
 * results page, product and chosen options. Transitions follow the reference
 * text env (`web_agent_text_env.py::step` and `SimServer.receive`):
 *
 * - `search[q]` runs from any page: results page 1 of the lower-cased query,
 *   product and options cleared;
 * - `click[x]` only when `x` is a clickable of the current page and not
 *   `search`: `buy now` ends the attempt with the purchase score, `back to
 *   search` returns to the search page, `next >` / `< prev` page the results,
 *   `< prev` on an item page returns to its results (options cleared) and on
 *   a sub-page to the item, `description` / `features` / `reviews` open a
 *   sub-page, a product link opens its item page, an option value selects it;
 * - anything else changes nothing and earns 0.
 *
 * Reward: 10 when the purchase scores exactly 1, else 0 (`info.taskScore`
 * keeps the [0, 1] score). The done page is absorbing. Restart keeps the
 * initial state, so it restores the same goal (fixes reference bug §12.8,
 * where a restart after a purchase switched to a random goal).
 */
import { ConfigError } from '../../util/errors.js';
import type { StepResult } from '../core/types.js';
import { DEFAULT_CATALOG, fileCatalogId, webshopCatalog } from './catalog.js';
import { goalForSeed } from './goals.js';
import {
  BACK_TO_SEARCH,
  BUY_NOW,
  catalogOf,
  clickables,
  NEXT_PAGE,
  PREV_PAGE,
  productOf,
  resultsOf,
  SUB_PAGES,
} from './render.js';
import { scorePurchase } from './reward.js';

/** The page the shopper is on. */
export type WebShopPage = 'search' | 'results' | 'item' | 'description' | 'features' | 'reviews' | 'done';

/** WebShop state (plain JSON): the goal, the page and query, the product viewed, chosen options and the purchase score. */
export interface WebShopState {
  /** Catalog id (see `webshopCatalog`). */
  catalog: string;
  /** Index of the goal in the catalog's goal list. */
  goal: number;
  /** Which goal split the task came from. */
  split: 'train' | 'test';
  /** The page shown now. */
  page: WebShopPage;
  /** The current query (lower case), null before the first search. */
  keywords: string | null;
  /** The results page number (1-based). */
  resultsPage: number;
  /** The product being viewed (or bought). */
  asin: string | null;
  /** Chosen options: option name → value. */
  options: Record<string, string>;
  /** The purchase score once bought: `score` in [0, 1], `raw` the reference's formula. */
  purchase: { score: number; raw: number } | null;
}

/** Params of WebShop-v0: a built-in catalog id (or your own products and attributes files) and how goals are sampled. */
export interface WebShopParams {
  catalog: string;
  productsFile?: string | undefined;
  attributesFile?: string | undefined;
  goalSampling: 'uniform' | 'weighted';
}

/** Reward of a perfect purchase (reference `envs.py`: 10 if score == 1.0 else 0). */
export const WIN_REWARD = 10;

export function catalogIdOf(params: WebShopParams): string {
  if (params.productsFile !== undefined || params.attributesFile !== undefined) {
    if (!params.productsFile || !params.attributesFile) {
      throw new ConfigError(
        'WebShop params: give productsFile and attributesFile together (items_shuffle and items_ins_v2 files)',
      );
    }
    return fileCatalogId(params.productsFile, params.attributesFile);
  }
  return params.catalog || DEFAULT_CATALOG;
}

/** The search page of the seed's goal. */
export function initialState(seed: number, params: WebShopParams): WebShopState {
  const id = catalogIdOf(params);
  const catalog = webshopCatalog(id);
  const { goal, split } = goalForSeed(
    seed,
    { test: catalog.testGoals, train: catalog.trainGoals },
    catalog.goals,
    params.goalSampling,
  );
  return {
    catalog: id,
    goal,
    split,
    page: 'search',
    keywords: null,
    resultsPage: 1,
    asin: null,
    options: {},
    purchase: null,
  };
}

/**
 * Upstream `engine.py::parse_action`: `re.match(r'(.+)\[(.+)\]', action)`
 * (anchored at the start only, greedy, `.` not matching a newline).
 */
export function parseAction(action: string): { name: string; arg: string } | null {
  const m = /^([^\n]+)\[([^\n]+)\]/.exec(action);
  return m ? { name: m[1]!, arg: m[2]! } : null;
}

export function noOp(state: WebShopState): StepResult<WebShopState> {
  const done = state.page === 'done';
  return { state: copy(state), reward: 0, done, won: false, info: { taskScore: 0, changed: false } };
}

export function stepState(state: WebShopState, action: string): StepResult<WebShopState> {
  if (state.page === 'done') return noOp(state);
  const parsed = parseAction(action);
  if (parsed === null) return noOp(state);
  const name = parsed.name;
  const arg = parsed.arg.toLowerCase();
  if (name === 'search') {
    return moved({ ...state, page: 'results', keywords: arg, resultsPage: 1, asin: null, options: {} });
  }
  if (name !== 'click' || arg === 'search' || !clickables(state).includes(arg)) return noOp(state);
  return click(state, arg);
}

function click(state: WebShopState, arg: string): StepResult<WebShopState> {
  const base = copy(state);
  if (arg === BUY_NOW) return buy(base);
  if (arg === BACK_TO_SEARCH) {
    return moved({ ...base, page: 'search', keywords: null, resultsPage: 1, asin: null, options: {} });
  }
  if (state.page === 'results' && arg === NEXT_PAGE)
    return moved({ ...base, resultsPage: state.resultsPage + 1 });
  if (state.page === 'results' && arg === PREV_PAGE)
    return moved({ ...base, resultsPage: state.resultsPage - 1 });
  if (arg === PREV_PAGE && state.page === 'item')
    return moved({ ...base, page: 'results', asin: null, options: {} });
  if (arg === PREV_PAGE) return moved({ ...base, page: 'item' });
  if (Object.hasOwn(SUB_PAGES, arg))
    return moved({ ...base, page: SUB_PAGES[arg as keyof typeof SUB_PAGES] });
  if (state.page === 'results') {
    const asin = resultsOf(state).find((a) => a.toLowerCase() === arg)!;
    return moved({ ...base, page: 'item', asin });
  }
  // An option value: the last radio group holding it (the reference's text → clickable dict keeps the last).
  const groups = productOf(state)!.options.filter((o) => o.values.includes(arg));
  const group = groups[groups.length - 1]!;
  return moved({ ...base, options: { ...base.options, [group.name]: arg } });
}

function buy(state: WebShopState): StepResult<WebShopState> {
  const catalog = catalogOf(state);
  const product = productOf(state)!;
  const s = scorePurchase(product, catalog.goals[state.goal]!, state.options);
  const won = s.raw === 1;
  return {
    state: { ...state, page: 'done', purchase: { score: s.score, raw: s.raw } },
    reward: won ? WIN_REWARD : 0,
    done: true,
    won,
    info: {
      taskScore: s.score,
      rawScore: s.raw,
      changed: true,
      purchased: product.asin,
      rType: s.rType,
      attributeMatches: s.attributeMatches,
      optionMatches: s.optionMatches,
      priceOk: s.priceOk,
    },
  };
}

function moved(state: WebShopState): StepResult<WebShopState> {
  return { state, reward: 0, done: false, won: false, info: { taskScore: 0, changed: true } };
}

function copy(state: WebShopState): WebShopState {
  return { ...state, options: { ...state.options }, purchase: state.purchase ? { ...state.purchase } : null };
}
