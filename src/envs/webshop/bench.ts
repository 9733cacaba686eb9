/**
 * WebShop operations timed by `npm run bench:envs`: one BM25 search over the
 * default catalog (uncached, cycling through the goals' queries) and one
 * purchase score (fuzzy attribute/option matching and title nouns).
 */
import { DEFAULT_CATALOG, webshopCatalog } from './catalog.js';
import { scorePurchase } from './reward.js';
import { buildSearchIndex, searchCatalog } from './search.js';
import { goalQuery } from './solver.js';

export function webshopBenchmarks(): Record<string, () => void> {
  const catalog = webshopCatalog(DEFAULT_CATALOG);
  buildSearchIndex(catalog);
  const queries = catalog.goals.slice(0, 512).map(goalQuery);
  let i = 0;
  let j = 0;
  return {
    search: () => {
      searchCatalog(catalog, queries[i++ % queries.length]!, { cache: false });
    },
    score: () => {
      const goal = catalog.goals[j++ % catalog.goals.length]!;
      const product = catalog.products[j % catalog.products.length]!;
      scorePurchase(product, goal, Object.fromEntries(goal.goalOptions));
    },
  };
}
