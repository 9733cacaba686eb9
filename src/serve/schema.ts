/**
 * The subset of the OpenAI chat-completions request `lamer serve` accepts,
 * validated with zod. Fields we cannot honour are refused with a message
 * rather than silently ignored (stream, tools, top_logprobs > 0, thinking on).
 */
import { z } from 'zod';

const textPart = z.object({ type: z.literal('text'), text: z.string() });

const message = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.union([z.string(), z.array(textPart).min(1)]),
});

export const chatCompletionRequest = z
  .object({
    model: z.string().min(1),
    messages: z.array(message).min(1),
    temperature: z.number().min(0).max(100).optional(),
    top_p: z.number().gt(0).max(1).optional(),
    /** vLLM's convention: -1 (or 0) turns top-k off. */
    top_k: z.number().int().min(-1).optional(),
    max_tokens: z.number().int().min(1).optional(),
    max_completion_tokens: z.number().int().min(1).optional(),
    stop: z
      .union([z.string(), z.array(z.string()).max(16)])
      .nullable()
      .optional(),
    seed: z.number().int().optional(),
    n: z.number().int().min(1).max(64).optional(),
    logprobs: z.boolean().nullable().optional(),
    /** vLLM's: each log-prob entry's `token` is `token_id:N` (exact ids for training). */
    return_tokens_as_token_ids: z.boolean().nullable().optional(),
    /** vLLM's (>= 0.10.2): `prompt_token_ids` in the reply and `token_ids` in each choice. */
    return_token_ids: z.boolean().nullable().optional(),
    top_logprobs: z
      .number()
      .int()
      .max(0, 'top_logprobs > 0 is not supported by lamer serve (only the sampled token’s log-prob)')
      .nullable()
      .optional(),
    stream: z
      .literal(false, { message: 'stream: true is not supported by lamer serve; send stream: false' })
      .nullable()
      .optional(),
    chat_template_kwargs: z
      .object({
        enable_thinking: z
          .literal(false, { message: 'lamer serve renders prompts with enable_thinking false only' })
          .optional(),
      })
      .passthrough()
      .optional(),
    user: z.string().optional(),
  })
  // Unknown fields (presence_penalty, tools, ...) are refused: better than ignoring what the caller asked for.
  .strict();

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequest>;

/** The first validation problem, as one line naming the field. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.path.join('.') || 'body';
  if (issue.code === 'unrecognized_keys') {
    return `unsupported field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; lamer serve accepts model, messages, temperature, top_p, top_k, max_tokens, max_completion_tokens, stop, seed, n, logprobs, return_tokens_as_token_ids, return_token_ids, stream (false), chat_template_kwargs.enable_thinking (false)`;
  }
  return `${path}: ${issue.message}`;
}

/** Message content as text (text parts joined). */
export function contentText(content: ChatCompletionRequest['messages'][number]['content']): string {
  return typeof content === 'string' ? content : content.map((p) => p.text).join('');
}

/** vLLM's `POST /v1/load_lora_adapter` body. */
export const loadAdapterRequest = z.object({
  lora_name: z.string().min(1),
  lora_path: z.string().min(1),
  /** Replace an adapter of the same name (vLLM >= 0.9); otherwise a loaded name is refused. */
  load_inplace: z.boolean().optional(),
});

/** vLLM's `POST /v1/unload_lora_adapter` body (`lora_int_id` is accepted and ignored, as vLLM does). */
export const unloadAdapterRequest = z.object({
  lora_name: z.string().min(1),
  lora_int_id: z.number().int().nullable().optional(),
});
