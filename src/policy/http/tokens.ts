/**
 * Token-exact replies from an OpenAI-compatible server, the vLLM way: a request asks for
 * `logprobs: true` with `return_tokens_as_token_ids: true` (each `logprobs.content[].token` is then
 * the string `token_id:N`) and `return_token_ids: true` (vLLM >= 0.10.2 adds the prompt's ids as
 * `prompt_token_ids` and the reply's as `choices[].token_ids`). Training needs the ids the server
 * sampled, never a re-tokenisation of the reply text (a sampled id sequence need not be the
 * tokenizer's own encoding of its text), so a reply without them is refused here.
 */
import type { Generation } from '../types.js';

/** The body fields that ask for token ids and log-probs. */
export const TOKEN_FIELDS = {
  logprobs: true,
  return_tokens_as_token_ids: true,
  return_token_ids: true,
} as const;

const TOKEN_ID = /^token_id:(\d+)$/;

/** The id in a `token_id:N` string, or null when the string has another form. */
export function parseTokenId(token: string): number | null {
  const m = TOKEN_ID.exec(token);
  if (m === null) return null;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) ? id : null;
}

/** What a reply holds about its tokens (the parsed JSON's fields). */
export interface ReplyTokenFields {
  /** `choices[0].logprobs.content`, when present. */
  content?: readonly { token?: string | undefined; logprob: number }[] | null | undefined;
  /** `choices[0].token_ids` (vLLM >= 0.10.2 with `return_token_ids`). */
  tokenIds?: readonly number[] | null | undefined;
  /** `prompt_token_ids` at the top level (vLLM >= 0.10.2 with `return_token_ids`). */
  promptTokenIds?: readonly number[] | null | undefined;
}

/**
 * The reply's token ids and log-probs, set on `generation`; or why they are missing (the caller
 * refuses the reply with that reason). The response ids come from the log-prob entries (each
 * `token_id:N`); `token_ids`, when sent too, must agree with them.
 */
export function replyTokens(fields: ReplyTokenFields, generation: Generation): string | null {
  const content = fields.content;
  if (content === undefined || content === null || content.length === 0) {
    return 'the reply has no per-token log-probs (logprobs.content), so its token ids are unknown: the server ignored logprobs: true';
  }
  const ids: number[] = new Array(content.length);
  const logprobs: number[] = new Array(content.length);
  for (let i = 0; i < content.length; i++) {
    const entry = content[i]!;
    const id = entry.token === undefined ? null : parseTokenId(entry.token);
    if (id === null) {
      return `reply token ${i} is ${JSON.stringify(entry.token ?? null)}, not "token_id:N": the server ignored return_tokens_as_token_ids (vLLM supports it; a text token cannot be mapped back to its id exactly)`;
    }
    ids[i] = id;
    logprobs[i] = entry.logprob;
  }
  const listed = fields.tokenIds;
  if (listed !== undefined && listed !== null) {
    if (listed.length !== ids.length || listed.some((id, i) => id !== ids[i])) {
      return `the reply's token_ids (${listed.length}) disagree with its log-prob tokens (${ids.length})`;
    }
  }
  generation.responseTokens = ids;
  generation.logprobs = logprobs;
  const prompt = fields.promptTokenIds;
  if (prompt !== undefined && prompt !== null && prompt.length > 0) generation.promptTokens = [...prompt];
  return null;
}
