/**
 * Scripted WebShop agents: a random shopper (a uniformly random admissible
 * action; a search query of a few words of the instruction or the catalog
 * vocabulary), an expert shopper that knows the goal (searches the
 * instruction, then the product title; opens the goal product; picks the
 * goal options; buys) and rule-written reflections on failed attempts.
 */

import type { Rng } from '../../util/rng.js';
import type { ReflectPromptContext } from '../core/types.js';
import type { Goal } from './goals.js';
import {
  admissibleActions,
  BACK_TO_SEARCH,
  BUY_NOW,
  catalogOf,
  NEXT_PAGE,
  PREV_PAGE,
  resultsOf,
} from './render.js';
import { scorePurchase } from './reward.js';
import type { WebShopState } from './rules.js';
import { PRODUCT_WINDOW } from './search.js';

export function goalOf(state: WebShopState): Goal {
  return catalogOf(state).goals[state.goal]!;
}

/** The instruction without its option and price clauses: the words a shopper would search. */
export function goalQuery(goal: Goal): string {
  let text = goal.instruction.replace(/, and price lower than [\d.]+ dollars$/, '');
  if (goal.goalOptions.length) {
    const first = goal.goalOptions[0]!;
    const at = text.lastIndexOf(` with ${first[0]}: ${first[1]}`);
    if (at !== -1) text = text.slice(0, at);
  }
  return cleanQuery(text);
}

/** Lower case, no brackets (a `]` would break `search[...]` parsing), single spaces. */
export function cleanQuery(text: string): string {
  return text
    .toLowerCase()
    .replace(/[[\]\n]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function randomAction(state: WebShopState, rng: Rng): string {
  const actions = admissibleActions(state);
  if (actions.length === 0) return `click[${BACK_TO_SEARCH}]`;
  const action = rng.pick(actions);
  if (!action.startsWith('search[')) return action;
  const source = rng.bernoulli(0.7)
    ? goalQuery(goalOf(state)).split(' ')
    : (catalogOf(state).vocabulary as string[]);
  const words = Array.from({ length: rng.int(1, 4) }, () => rng.pick(source)).filter((w) => w !== '');
  return `search[${cleanQuery(words.join(' ')) || 'item'}]`;
}

/** The expert's next action, or null on the done page. */
export function expertAction(state: WebShopState): string | null {
  const goal = goalOf(state);
  const goalAsin = goal.asin.toLowerCase();
  switch (state.page) {
    case 'search':
      return `search[${goalQuery(goal)}]`;
    case 'results': {
      const results = resultsOf(state);
      const shown = results.slice(
        (state.resultsPage - 1) * PRODUCT_WINDOW,
        state.resultsPage * PRODUCT_WINDOW,
      );
      if (shown.some((a) => a.toLowerCase() === goalAsin)) return `click[${goalAsin}]`;
      const at = results.findIndex((a) => a.toLowerCase() === goalAsin);
      if (at >= state.resultsPage * PRODUCT_WINDOW) return `click[${NEXT_PAGE}]`;
      if (at !== -1) return `click[${PREV_PAGE}]`;
      const byTitle = cleanQuery(goal.name);
      return state.keywords === byTitle ? `search[${goal.query}]` : `search[${byTitle}]`;
    }
    case 'item': {
      if (state.asin?.toLowerCase() !== goalAsin) return `click[${PREV_PAGE}]`;
      for (const [name, value] of goal.goalOptions) {
        if (state.options[name] !== value) return `click[${value}]`;
      }
      return `click[${BUY_NOW}]`;
    }
    case 'description':
    case 'features':
    case 'reviews':
      return `click[${PREV_PAGE}]`;
    case 'done':
      return null;
  }
}

/** A rule-written reflection on a failed attempt, with the plan that would have worked. */
export function ruleReflection(ctx: ReflectPromptContext<WebShopState>): string {
  const state = ctx.current;
  const goal = goalOf(state);
  const catalog = catalogOf(state);
  const plan = [
    `search[${goalQuery(goal)}]`,
    `click[${goal.asin.toLowerCase()}]`,
    ...goal.goalOptions.map(([, v]) => `click[${v}]`),
    `click[${BUY_NOW}]`,
  ].join(', ');
  const target = `the product ${goal.asin.toLowerCase()} ("${goal.name}")`;
  let what: string;
  if (state.page !== 'done' || state.asin === null) {
    what = `I did not buy anything within the turn budget (${ctx.history.length} actions).`;
  } else if (state.asin !== goal.asin) {
    const bought = catalog.byAsin.get(state.asin)!;
    const s = scorePurchase(bought, goal, state.options);
    const missed = s.missedAttributes.length ? `; it misses ${s.missedAttributes.join(', ')}` : '';
    what = `I bought ${state.asin.toLowerCase()} ("${bought.title}"), which is not what the task asks for${missed}. The right one is ${target}.`;
  } else {
    const wrong = goal.goalOptions.filter(([k, v]) => state.options[k] !== v).map(([k, v]) => `${k}: ${v}`);
    what = wrong.length
      ? `I bought the right product but did not select ${wrong.join(', ')} before buying.`
      : 'I bought the right product with the right options, but the purchase still did not score 1.';
  }
  return `${what} Plan: ${plan}.`;
}
