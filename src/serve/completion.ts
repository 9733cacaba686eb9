/**
 * A parsed chat-completions request as policy requests (one per choice, each
 * with its own seed, the prompt ids and the client's abort signal), and the
 * generations as the OpenAI response body.
 */
import type { Generation, GenerationRequest, SamplingSettings } from '../policy/types.js';
import { deriveSeed } from '../util/rng.js';
import type { ParsedRequest } from './parse.js';
import type { ChatCompletionRequest } from './schema.js';

function samplingOf(body: ChatCompletionRequest, seed: number): SamplingSettings {
  const s: SamplingSettings = { seed };
  if (body.temperature !== undefined) s.temperature = body.temperature;
  if (body.top_p !== undefined) s.topP = body.top_p;
  if (body.top_k !== undefined) s.topK = Math.max(0, body.top_k);
  const max = body.max_completion_tokens ?? body.max_tokens;
  if (max !== undefined) s.maxTokens = max;
  if (body.stop !== undefined && body.stop !== null)
    s.stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
  return s;
}

/** Request `index` of the server; `serverSeed` seeds requests that carry no seed. */
export function generationRequests(
  parsed: ParsedRequest,
  index: number,
  serverSeed: number,
  signal: AbortSignal,
): GenerationRequest[] {
  const { body, messages, promptIds } = parsed;
  const base = body.seed ?? deriveSeed(serverSeed, 'serve', index);
  return Array.from({ length: body.n ?? 1 }, (_, i) => ({
    key: `serve/${index}/${i}`,
    messages,
    // Choice i of n gets its own seed; choice 0 uses the request's seed as is.
    sampling: samplingOf(body, i === 0 ? base : deriveSeed(base, 'choice', i)),
    ...(promptIds !== null ? { promptTokens: promptIds } : {}),
    signal,
  }));
}

export interface CompletionContext {
  index: number;
  /** Unix seconds the server started (the `created` field). */
  created: number;
  decodeToken: (id: number) => string;
}

export function completionBody(
  parsed: ParsedRequest,
  generations: readonly Generation[],
  c: CompletionContext,
): unknown {
  const promptTokens = generations[0]?.promptTokens?.length ?? parsed.promptIds?.length ?? 0;
  const completionTokens = generations.reduce((k, g) => k + (g.responseTokens?.length ?? 0), 0);
  const { body } = parsed;
  // vLLM's return_tokens_as_token_ids: the exact id, whatever its text
  const tokenText = body.return_tokens_as_token_ids ? (id: number) => `token_id:${id}` : c.decodeToken;
  const ids = body.return_token_ids === true;
  return {
    id: `chatcmpl-${c.index}`,
    object: 'chat.completion',
    created: c.created,
    // the name asked for: the base model or a LoRA adapter (as vLLM answers)
    model: body.model,
    ...(ids ? { prompt_token_ids: generations[0]?.promptTokens ?? parsed.promptIds ?? null } : {}),
    choices: generations.map((g, i) => ({
      index: i,
      message: { role: 'assistant', content: g.text },
      finish_reason: g.finishReason === 'length' ? 'length' : 'stop',
      logprobs:
        body.logprobs && g.logprobs
          ? {
              content: g.logprobs.map((logprob, t) => {
                const token = g.responseTokens ? tokenText(g.responseTokens[t]!) : '';
                return { token, logprob, bytes: [...Buffer.from(token, 'utf8')], top_logprobs: [] };
              }),
            }
          : null,
      ...(ids ? { token_ids: g.responseTokens ?? null } : {}),
    })),
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}
