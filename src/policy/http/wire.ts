/**
 * The OpenAI chat-completions wire format: request bodies from our sampling
 * settings, and replies parsed (with zod) into Generations.
 */
import { z } from 'zod';
import type { Generation, GenerationRequest } from '../types.js';
import { replyTokens, TOKEN_FIELDS } from './tokens.js';

export interface WireOptions {
  model: string;
  /** Ask for per-token log-probabilities (`logprobs: true`). */
  logprobs: boolean;
  /**
   * Ask for the token ids too, the vLLM way (tokens.ts), and refuse a reply without them: training
   * data must be the ids the server sampled.
   */
  tokens?: boolean;
  /** Send `top_k` (vLLM, llama.cpp and Ollama accept it; OpenAI's own API does not). */
  sendTopK: boolean;
  /** Sent as `chat_template_kwargs.enable_thinking` (vLLM/SGLang for Qwen3) when set. */
  enableThinking?: boolean;
  /** Extra body fields, merged last (e.g. `{ repetition_penalty: 1.05 }`). */
  extraBody?: Record<string, unknown>;
}

/** The JSON body of `POST /chat/completions` for one request. */
export function chatCompletionBody(
  request: GenerationRequest,
  options: WireOptions,
  /** The model (or LoRA adapter) to ask, when not `options.model`. */
  model: string = options.model,
): Record<string, unknown> {
  const s = request.sampling;
  const body: Record<string, unknown> = {
    model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    n: 1,
  };
  if (s.temperature !== undefined) body.temperature = s.temperature;
  if (s.topP !== undefined) body.top_p = s.topP;
  if (s.topK !== undefined && options.sendTopK) body.top_k = s.topK;
  if (s.maxTokens !== undefined) body.max_tokens = s.maxTokens;
  if (s.stop !== undefined && s.stop.length > 0) body.stop = s.stop;
  if (s.seed !== undefined) body.seed = s.seed;
  if (options.tokens) Object.assign(body, TOKEN_FIELDS);
  else if (options.logprobs) body.logprobs = true;
  if (options.enableThinking !== undefined)
    body.chat_template_kwargs = { enable_thinking: options.enableThinking };
  // in place, not `{ ...body, ...extraBody }` (a second object per request): same keys, same order
  return options.extraBody === undefined ? body : Object.assign(body, options.extraBody);
}

const ids = z.array(z.number().int().nonnegative()).nullable().optional();

const replySchema = z.object({
  prompt_token_ids: ids,
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
        token_ids: ids,
        logprobs: z
          .object({
            content: z
              .array(z.object({ token: z.string().optional(), logprob: z.number() }))
              .nullable()
              .optional(),
          })
          .nullable()
          .optional(),
      }),
    )
    .min(1),
});

/**
 * Parse a chat-completion reply; returns an error string when it is not one (`tokens`: when token
 * ids were asked for and the reply lacks them).
 */
export function parseChatCompletion(
  text: string,
  tokens = false,
): { generation: Generation } | { error: string; tokens?: true } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { error: `reply is not JSON (${reason}; starts with ${JSON.stringify(text.slice(0, 80))})` };
  }
  const parsed = replySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      error: `reply is not a chat completion (${issue?.path.join('.') || 'root'}: ${issue?.message})`,
    };
  }
  const choice = parsed.data.choices[0]!;
  const generation: Generation = {
    text: choice.message.content ?? '',
    finishReason: choice.finish_reason === 'length' ? 'length' : 'stop',
  };
  const content = choice.logprobs?.content;
  if (tokens) {
    const missing = replyTokens(
      { content, tokenIds: choice.token_ids, promptTokenIds: parsed.data.prompt_token_ids },
      generation,
    );
    if (missing !== null) return { error: missing, tokens: true };
  } else if (content && content.length > 0) generation.logprobs = content.map((t) => t.logprob);
  return { generation };
}

/** The human-readable message in an error body (`{error:{message}}`, `{error}`, `{message}`, `{detail}`), or the text. */
export function serverMessage(text: string): string {
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    const error = json.error;
    if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
      return (error as { message: string }).message;
    }
    for (const value of [error, json.message, json.detail]) {
      if (typeof value === 'string') return value;
      if (value !== undefined) return JSON.stringify(value).slice(0, 500);
    }
  } catch (error) {
    // Not JSON (an HTML error page, plain text): the raw text below is the message.
    if (!(error instanceof SyntaxError)) throw error;
  }
  const trimmed = text.trim();
  return trimmed === '' ? '(empty body)' : trimmed.slice(0, 500);
}

/** One entry of a `GET /models` reply: its id, and the prompt style `lamer serve` says it was trained on. */
export interface ModelCard {
  id: string;
  promptStyle?: 'faithful' | 'compact';
}

/** The models of a `GET /models` reply (`{ data: [{ id }] }`), or null when the reply has another shape. */
export function servedModels(text: string): ModelCard[] | null {
  try {
    const data = (JSON.parse(text) as { data?: unknown }).data;
    if (!Array.isArray(data)) return null;
    const cards: ModelCard[] = [];
    for (const m of data as { id?: unknown; prompt_style?: unknown }[]) {
      if (typeof m?.id !== 'string') continue;
      const card: ModelCard = { id: m.id };
      if (m.prompt_style === 'faithful' || m.prompt_style === 'compact') card.promptStyle = m.prompt_style;
      cards.push(card);
    }
    return cards;
  } catch (error) {
    // Some servers answer /models with something else (HTML, plain text): the check cannot say more.
    if (error instanceof SyntaxError) return null;
    throw error;
  }
}

/** `fetch failed` alone says nothing: append the causes (e.g. `bad port`, `getaddrinfo ENOTFOUND host`). */
export function messageOf(error: unknown): string {
  const parts: string[] = [];
  for (let e = error, depth = 0; e !== undefined && depth < 4; depth++) {
    parts.push(e instanceof Error ? e.message : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(': ');
}
