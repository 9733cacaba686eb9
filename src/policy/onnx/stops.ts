/** Stop strings: where the first one starts in a text, and the worker's check on a reply's decoded tail. */
import type { TextTokenizer } from '../tokenizer.js';

/** Start of the first stop string in `text` at or after `from`, or null. */
export function findStop(text: string, stops: readonly string[], from = 0): number | null {
  let best: number | null = null;
  for (const s of stops) {
    if (s === '') continue;
    const i = text.indexOf(s, from);
    if (i !== -1 && (best === null || i < best)) best = i;
  }
  return best;
}

/**
 * Does the decoded tail of `tokens` contain a stop string (`window`: the longest one, in UTF-16
 * units)? A token decodes to at least one byte; twice the stop length plus slack covers partial
 * UTF-8 at the edge.
 */
export function tailHasStop(
  tokenizer: TextTokenizer,
  tokens: readonly number[],
  stops: readonly string[],
  window: number,
): boolean {
  return findStop(tokenizer.decode(tokens.slice(-(2 * window + 8))), stops) !== null;
}
