/**
 * The WebShop purchase score (upstream `web_agent_site/engine/goal.py::get_reward`):
 *
 *   score = (attribute matches + option matches + [price ≤ bound])
 *           / (#goal attributes + #goal options + 1) × r_type
 *
 * Attribute match: `token_set_ratio > 85` against a product attribute, else a
 * substring of title / bullet points / description. Option match (per bought
 * option): exact for `size`, else `token_set_ratio > 85` against a goal option,
 * else a substring of title / bullets / description; colours normalised first.
 * r_type from query match, ≥ 2 shared breadcrumb levels and title noun overlap.
 * Fuzzy matching: fuzzball (a port of thefuzz); nouns: compromise (the
 * reference uses spaCy's `en_core_web_lg`, so borderline titles can differ).
 */
import { createRequire } from 'node:module';
import type compromise from 'compromise';
import { token_set_ratio } from 'fuzzball';
import type { Goal, Product } from './catalog.js';

const EXACT_MATCH_OPTS = ['size'];

// compromise is loaded on the first purchase, so importing the env stays fast.
const requireCjs = createRequire(import.meta.url);
let nlpLib: typeof compromise | undefined;
const nlp = (text: string): ReturnType<typeof compromise> => {
  nlpLib ??= requireCjs('compromise') as typeof compromise;
  return nlpLib(text);
};

/** The reference's COLOR_SET (`engine/normalize.py`), in its order. */
const COLOR_SET =
  'alabaster apricot aqua ash asphalt azure banana beige black blue blush bordeaux bronze brown burgundy camel camo caramel champagne charcoal cheetah chestnut chocolate christmas coffee cognac copper coral cranberry cream crystal dark denim eggplant elephant espresso fuchsia gold granite grape graphite grass gray green grey heather indigo ivory ivy khaki lavender lemon leopard light lilac lime magenta maroon mauve merlot midnight mint mocha multicolor mushroom mustard natural navy nude olive orange peach pewter pink plum purple rainbow red rose royal rust sand sapphire seashell silver skull slate steel stone stonewash sunflower tan taupe teal tiger turquoise violet walnut wheat white wine yellow'.split(
    ' ',
  );

/** The first COLOR_SET entry contained in the string, else the string. */
export function normalizeColor(s: string): string {
  for (const c of COLOR_SET) if (s.includes(c)) return c;
  return s;
}

export interface ScoreBreakdown {
  /** The score clamped to [0, 1] (the reference's raw formula can pass 1, see `raw`). */
  score: number;
  /** The reference's formula unclamped: it exceeds 1 when a bought product has more matching options than the goal. */
  raw: number;
  rType: number;
  queryMatch: boolean;
  categoryMatch: boolean;
  titleScore: number;
  attributeMatches: number;
  /** Goal attributes not matched (for rule-written reflections). */
  missedAttributes: string[];
  optionMatches: number;
  priceOk: boolean;
}

/** Score a purchase of `product` with `options` (option name → value) against `goal`. */
export function scorePurchase(
  product: Product,
  goal: Goal,
  options: Readonly<Record<string, string>>,
): ScoreBreakdown {
  const type = typeReward(product, goal);
  const priceOk = product.price <= goal.priceUpper;
  const text = productTexts(product);
  let attributeMatches = 0;
  const missedAttributes: string[] = [];
  for (const g of goal.attributes) {
    const hit = product.attributes.some((p) => token_set_ratio(p, g) > 85) || text.some((t) => t.includes(g));
    if (hit) attributeMatches++;
    else missedAttributes.push(g);
  }
  const goalOptions = goal.goalOptions.map(([, v]) => normalizeColor(v));
  let optionMatches = 0;
  for (const [k, raw] of Object.entries(options)) {
    const v = normalizeColor(raw);
    const matched = EXACT_MATCH_OPTS.includes(k.toLowerCase())
      ? goalOptions.includes(v)
      : goalOptions.some((g) => token_set_ratio(g, v) > 85);
    if (matched || text.some((t) => t.includes(v))) optionMatches++;
  }
  const denominator = goal.attributes.length + goal.goalOptions.length + 1;
  const rawScore = ((attributeMatches + optionMatches + (priceOk ? 1 : 0)) / denominator) * type.rType;
  return {
    score: Math.min(1, Math.max(0, rawScore)),
    raw: rawScore,
    ...type,
    attributeMatches,
    missedAttributes,
    optionMatches,
    priceOk,
  };
}

function productTexts(p: Product): string[] {
  return [p.title.toLowerCase(), p.bulletPoints.join(' ').toLowerCase(), p.description.toLowerCase()];
}

function typeReward(
  product: Product,
  goal: Goal,
): { rType: number; queryMatch: boolean; categoryMatch: boolean; titleScore: number } {
  const queryMatch = product.query === goal.query;
  const levels = (s: string): Set<string> => new Set(s.split('›').map((x) => x.trim()));
  const goalLevels = levels(goal.productCategory);
  const categoryMatch = [...levels(product.productCategory)].filter((x) => goalLevels.has(x)).length >= 2;
  const purchased = new Set(titleNouns(product.title));
  const desired = titleNouns(goal.name);
  const titleScore =
    desired.length === 0 ? 0.2 : desired.filter((n) => purchased.has(n)).length / desired.length;
  let rType = queryMatch || categoryMatch || titleScore > 0.2 ? 1.0 : 0.5;
  if (titleScore < 0.1) rType = 0.1;
  if (titleScore === 0) rType = 0.0;
  return { rType, queryMatch, categoryMatch, titleScore };
}

const nounCache = new Map<string, string[]>();

/**
 * Lower-cased nouns and proper nouns of a title (the reference counts the spaCy
 * tokens tagged NOUN/PROPN, duplicates included in the denominator).
 */
export function titleNouns(title: string): string[] {
  const have = nounCache.get(title);
  if (have) return have;
  const sentences = nlp(title).json({ terms: { normal: true } }) as {
    terms: { normal: string; tags: string[] }[];
  }[];
  const terms = sentences.flatMap((s) => s.terms);
  const nouns = terms
    .filter((t) => t.tags.includes('Noun') && !t.tags.includes('Pronoun') && /[a-z0-9]/i.test(t.normal))
    .map((t) => t.normal);
  if (nounCache.size > 20_000) nounCache.clear();
  nounCache.set(title, nouns);
  return nouns;
}
