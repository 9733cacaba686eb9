/**
 * WebShop-v0 (aliases: webshop): online shopping in a text web store.
 *
 * Description: the agent gets an instruction ("find me sulfate free shampoo
 *   with scent: lavender, and size: 8 fl oz (pack of 1), and price lower than
 *   30.00 dollars") and must search the store, open the right product, choose
 *   its options and buy it. Pages, texts and rewards follow the reference's
 *   WebShop text env (princeton-nlp WebShop as vendored by verl-agent, used by
 *   LaMer); search is BM25 over title, description, first bullet point and
 *   option text.
 * Actions: `search[<query>]` (from any page) and `click[<clickable>]`
 *   (`back to search`, `next >`, `< prev`, a product id, `description`,
 *   `features`, `reviews`, an option value, `buy now`). The admissible list
 *   shows `search[<your query>]` on the search page and every clickable.
 *   Anything else changes nothing.
 * Observation: the page's visible strings after the instruction, each quoted,
 *   joined by ` [SEP] `, e.g. `'Back to Search' [SEP] 'Page 1 (Total results:
 *   50)' [SEP] 'Next >' [SEP] 'B0…' [SEP] '<title>' [SEP] '$12.99' …`; the done
 *   page is shown raw. The task (instruction) is in the prompt, not the observation.
 * Start: the search page of the task seed's goal. Train seeds draw from the
 *   train goals, validation seeds from the fixed test goals (the first 500 of
 *   the catalog's one shuffled goal list).
 * Rewards: 10 when the purchase scores exactly 1, else 0; `info.taskScore` is
 *   the WebShop score in [0, 1] (attributes, options, price, product type).
 * End: `click[buy now]`, or the turn budget (12 turns). Restart restores the
 *   same goal (reference bug §12.8 fixed).
 * Params: `catalog` (`synthetic-<products>[-seed<s>]`, default
 *   `synthetic-1000`, or an id given to `registerCatalog`), `productsFile` +
 *   `attributesFile` (the reference's `items_shuffle*.json` and
 *   `items_ins_v2*.json`; override `catalog`), `goalSampling` (`uniform`, the
 *   LaMer default, or `weighted` by the goals' attribute weights).
 */
import { z } from 'zod';
import type { EnvDefinition } from '../core/types.js';
import { webshopBenchmarks } from './bench.js';
import { parseWebShopReflection, projectWebShop } from './projection.js';
import { WEBSHOP_PROMPTS } from './prompts.js';
import { admissibleActions, formatObservation, instructionOf } from './render.js';
import { initialState, noOp, stepState, type WebShopParams, type WebShopState } from './rules.js';
import { expertAction, randomAction, ruleReflection } from './solver.js';

const DOC = `WebShop-v0: buy the product an instruction describes, in a text web store.
Description: the task is an instruction naming a product type, attributes, options and a price bound; search the
  store (BM25 over title, description, first bullet point and option text), open the right product, choose its
  options and buy it. Pages, texts and scores follow the reference WebShop text env.
Actions: search[<query>] from any page; click[<clickable>]: back to search, next >, < prev, a product id,
  description, features, reviews, an option value, buy now. Anything else changes nothing.
Observation: the page's strings after the instruction, each quoted, joined by [SEP]; the done page raw.
Start: the search page of the seed's goal (train seeds: train goals; validation seeds: the fixed test goals).
Rewards: 10 for a purchase scoring exactly 1, else 0; info.taskScore is the score in [0, 1].
End: click[buy now], or the 12-turn budget. Restart restores the same goal.
Params: catalog (synthetic-1000 | synthetic-<n>[-seed<s>] | a registered id), productsFile + attributesFile
  (reference items_shuffle*.json + items_ins_v2*.json), goalSampling (uniform | weighted).`;

const paramsSchema = z
  .object({
    catalog: z.string().min(1).default('synthetic-1000'),
    productsFile: z.string().min(1).optional(),
    attributesFile: z.string().min(1).optional(),
    goalSampling: z.enum(['uniform', 'weighted']).default('uniform'),
  })
  .refine((p) => (p.productsFile === undefined) === (p.attributesFile === undefined), {
    message: 'give productsFile and attributesFile together (items_shuffle*.json and items_ins_v2*.json)',
    path: ['attributesFile'],
  });

/** The WebShop-v0 env (alias `webshop`): find and buy the product an instruction asks for; actions are `search[...]` and `click[...]`. */
export const webshop: EnvDefinition<WebShopState, string, WebShopParams> = {
  id: 'WebShop-v0',
  aliases: ['webshop'],
  doc: DOC,
  paramsSchema: paramsSchema as z.ZodType<WebShopParams>,
  defaultPreset: 'default',
  presets: {
    default: { catalog: 'synthetic-1000', goalSampling: 'uniform' },
    small: { catalog: 'synthetic-300', goalSampling: 'uniform' },
    large: { catalog: 'synthetic-5000', goalSampling: 'uniform' },
  },
  maxTurns: 12,
  initial: initialState,
  step: stepState,
  stepInvalid: noOp,
  observe: formatObservation,
  anchor: formatObservation,
  project: projectWebShop,
  parseReflection: parseWebShopReflection,
  describeAction: (action) => (action === null ? 'invalid action' : action),
  formatAction: (action) => action,
  admissible: admissibleActions,
  randomAction,
  expertAction,
  ruleReflection,
  task: instructionOf,
  benchmarks: webshopBenchmarks,
  prompts: WEBSHOP_PROMPTS,
};

export { webshopBenchmarks } from './bench.js';
// Catalog and data
export {
  type BuildCatalogOptions,
  buildCatalog,
  DEFAULT_CATALOG,
  fileCatalogId,
  type Product,
  type ProductOption,
  type Review,
  registerCatalog,
  type WebShopCatalog,
  webshopCatalog,
} from './catalog.js';
export { generateRawCatalog, type RawCatalog } from './generator.js';
export { buildGoals, type Goal, goalForSeed } from './goals.js';
export { loadWebShopFiles, normaliseRawData, type RawAttributes, type RawProduct } from './loader.js';
export { fetchHistory, MAX_PROMPT_CHARS, WEBSHOP_PROMPTS } from './prompts.js';
export { admissibleActions, clickables, formatObservation, instructionOf, rawObservation } from './render.js';
export { normalizeColor, type ScoreBreakdown, scorePurchase, titleNouns } from './reward.js';
// Rules, pages and prompts
export { parseAction, type WebShopPage, type WebShopParams, type WebShopState, WIN_REWARD } from './rules.js';
// Search and score (for benches and users)
export {
  buildSearchIndex,
  MAX_STEM_LENGTH,
  MAX_TOKEN_LENGTH,
  PRODUCT_WINDOW,
  SEARCH_RETURN_N,
  searchCatalog,
  searchDocument,
  splitLongTokens,
} from './search.js';
export { cleanQuery, goalOf, goalQuery } from './solver.js';
