/**
 * The bound on a reply's length per token of its budget (`PolicyClient` applies it to every answer; the
 * eval summary names it). Re-exported by client.ts.
 */
import type { Generation } from '../policy/types.js';

/**
 * Characters a reply may have per token of its budget. No tokenizer has tokens this long on
 * average, so only a server that ignored `max_tokens` (or sends garbage) goes over; its reply is cut
 * there and marked, instead of filling the prompts and logs after it (a 50 MB reply repeated in every
 * later prompt made one trial record too long for a JavaScript string, and the log writer threw).
 */
export const REPLY_CHARS_PER_TOKEN = 64;

/** Most characters a reply to a request with this token budget keeps (budget unknown: 4096 tokens). */
export function replyCharBound(maxTokens: number | undefined): number {
  return REPLY_CHARS_PER_TOKEN * (maxTokens ?? 4096);
}

/** The generation with its text cut to `replyCharBound` (and marked with `cutFrom`), or itself. */
export function boundReply(generation: Generation, maxTokens: number | undefined): Generation {
  const bound = replyCharBound(maxTokens);
  if (generation.text.length <= bound) return generation;
  // token ids and log-probs describe the whole reply, not the cut text: dropped
  const { responseTokens: _ids, logprobs: _lp, ...rest } = generation;
  return Object.assign(rest, {
    text: generation.text.slice(0, bound),
    finishReason: 'length' as const,
    cutFrom: generation.text.length,
  });
}
