/**
 * The text of WebShop pages as the reference's text env sees them: the
 * visible strings of the (verl-agent) HTML templates joined by ` [SEP] `
 * (`web_agent_text_env.py::convert_html_to_text`, simple mode), the clickables
 * (`get_available_actions`) and the formatted observation of the LaMer env
 * manager (`format_obs`: the parts after the instruction, each quoted).
 */
import { type Product, pyFloat, type WebShopCatalog, webshopCatalog } from './catalog.js';
import type { WebShopState } from './rules.js';
import { resultsPage, searchCatalog } from './search.js';

export const SEP = ' [SEP] ';
export const BACK_TO_SEARCH = 'back to search';
export const NEXT_PAGE = 'next >';
export const PREV_PAGE = '< prev';
export const BUY_NOW = 'buy now';
/** Sub-page buttons (lower-cased) → sub-page. */
export const SUB_PAGES = { description: 'description', features: 'features', reviews: 'reviews' } as const;

export function catalogOf(state: WebShopState): WebShopCatalog {
  return webshopCatalog(state.catalog);
}

/** The task as the reference's env manager extracts it (the page's instruction text, stripped). */
export function instructionOf(state: WebShopState): string {
  return catalogOf(state).goals[state.goal]!.instruction.trim();
}

export function productOf(state: WebShopState): Product | null {
  return state.asin === null ? null : (catalogOf(state).byAsin.get(state.asin) ?? null);
}

/** All results of the state's query (empty without a query). */
export function resultsOf(state: WebShopState): readonly string[] {
  return state.keywords === null ? [] : searchCatalog(catalogOf(state), state.keywords);
}

/** The visible strings of the current page, in document order. */
export function pageTexts(state: WebShopState): string[] {
  const instruction = ['Instruction:', instructionOf(state)];
  switch (state.page) {
    case 'search':
      return ['WebShop', ...instruction, 'Search'];
    case 'results': {
      const results = resultsOf(state);
      const catalog = catalogOf(state);
      const out = [
        ...instruction,
        'Back to Search',
        `Page ${state.resultsPage} (Total results: ${results.length})`,
      ];
      if (state.resultsPage > 1) out.push('< Prev');
      out.push('Next >');
      for (const asin of resultsPage(results, state.resultsPage)) {
        const p = catalog.byAsin.get(asin)!;
        out.push(asin, p.title, p.priceTag);
      }
      return clean(out);
    }
    case 'item': {
      const p = productOf(state)!;
      const out = [...instruction, 'Back to Search', '< Prev'];
      for (const o of p.options) out.push(o.name, ...o.values);
      out.push(
        p.title,
        `Price: ${p.priceTag}`,
        `Rating: ${p.rating}`,
        'Description',
        'Features',
        'Reviews',
        'Buy Now',
      );
      return clean(out);
    }
    case 'description':
    case 'features':
    case 'reviews': {
      const p = productOf(state)!;
      const out = [...instruction, 'Back to Search', '< Prev'];
      if (state.page === 'description') out.push(p.description);
      else if (state.page === 'features') out.push(...p.bulletPoints);
      else for (const r of p.reviews) out.push(`"${r.title}"`, String(r.score), r.body);
      return clean(out);
    }
    case 'done':
      return donePage(state);
  }
}

function clean(texts: string[]): string[] {
  return texts.map((t) => t.trim()).filter((t) => t !== '');
}

/** The done page (`done_page.html`): its hidden debug block is visible to the text env too. */
function donePage(state: WebShopState): string[] {
  const none = 'None';
  return [
    'Thank you for shopping with us!',
    'Your code:',
    none,
    '(Paste it in your MTurk interface.)',
    'Purchased',
    'asin',
    state.asin ?? none,
    'options',
    pyJson(state.options),
    ...['attrs', 'category', 'query', 'product category'].flatMap((k) => [k, none]),
    'Target',
    ...[
      'asin',
      'options',
      'attrs',
      'price upper',
      'instuction text',
      'category',
      'product category',
      'query',
    ],
    'Goal',
    none,
    'Reward',
    'Your score (min 0.0, max 1.0)',
    pyFloat(state.purchase?.raw ?? 0),
    'Reward Details',
    none,
  ];
}

/** Flask's `tojson`: sorted keys, `", "`/`": "` separators, ASCII only, HTML-safe. */
function pyJson(obj: Record<string, string>): string {
  const body = Object.keys(obj)
    .sort()
    .map((k) => `${JSON.stringify(k)}: ${JSON.stringify(obj[k])}`)
    .join(', ');
  return `{${body}}`
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/[<>&']/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The raw text observation (`WebShop [SEP] Instruction: [SEP] ... [SEP] Search`). */
export function rawObservation(state: WebShopState): string {
  return pageTexts(state).join(SEP);
}

/**
 * The observation the agent sees (reference `format_obs`): the page parts after
 * the instruction text, each in single quotes; the raw text when the page does
 * not show the instruction (the done page).
 */
export function formatObservation(state: WebShopState): string {
  const parts = rawObservation(state).split(SEP);
  const at = parts.indexOf(instructionOf(state));
  return at === -1
    ? parts.join(SEP)
    : parts
        .slice(at + 1)
        .map((p) => `'${p}'`)
        .join(SEP);
}

/** Clickable texts of the page, lower-cased buttons and product links, then option values (deduplicated). */
export function clickables(state: WebShopState): string[] {
  const out: string[] = [];
  switch (state.page) {
    case 'search':
      out.push('search');
      break;
    case 'results':
      out.push(BACK_TO_SEARCH);
      if (state.resultsPage > 1) out.push(PREV_PAGE);
      out.push(NEXT_PAGE, ...resultsPage(resultsOf(state), state.resultsPage).map((a) => a.toLowerCase()));
      break;
    case 'item':
      out.push(BACK_TO_SEARCH, PREV_PAGE, 'description', 'features', 'reviews', BUY_NOW);
      for (const o of productOf(state)!.options) out.push(...o.values);
      break;
    case 'description':
    case 'features':
    case 'reviews':
      out.push(BACK_TO_SEARCH, PREV_PAGE);
      break;
    case 'done':
      break;
  }
  return [...new Set(out)];
}

/** Whether the page has the search bar. */
export function hasSearchBar(state: WebShopState): boolean {
  return state.page === 'search';
}

/** Admissible actions in the reference format (`format_avail_actions`). */
export function admissibleActions(state: WebShopState): string[] {
  const out = hasSearchBar(state) ? ['search[<your query>]'] : [];
  for (const c of clickables(state)) out.push(`click[${c}]`);
  return out;
}
