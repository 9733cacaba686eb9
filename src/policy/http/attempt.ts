/**
 * One try of one chat completion: POST the body to a replica, read the whole reply (at most
 * `maxReplyBytes`), and classify the outcome: a Generation, a RetryableHttpError (429, 5xx, a
 * timeout, a dropped connection: the caller may try again), or a named HttpPolicyError no retry fixes.
 */
import type { Dispatcher } from 'undici';
import type { Generation } from '../types.js';
import {
  HttpPolicyError,
  HttpReplyFormatError,
  HttpTokensMissingError,
  RetryableHttpError,
} from './errors.js';
import type { Replica } from './replicas.js';
import { droppedConnectionCode, parseRetryAfter } from './retry.js';
import { exchange, ReplyTooLargeError } from './transport.js';
import { messageOf, parseChatCompletion, serverMessage } from './wire.js';

/** What a try (and the checks before a run, checks.ts) needs of its policy. */
export interface HttpContext {
  /** The policy's name (`openai:URL#MODEL`), first in every error message. */
  readonly name: string;
  /** The model name as configured (the base model, not an adapter). */
  readonly model: string;
  readonly dispatcher: Dispatcher;
  /** Headers of a completion request, as undici's flat list (built once: the key never changes). */
  readonly headers: string[];
  /** Headers of `GET /models`. */
  readonly getHeaders: Record<string, string>;
  /** No reply headers, or no body data, for this long: the try failed (retryable). */
  readonly timeoutMs: number;
  readonly maxReplyBytes: number;
  /** Token mode: a reply without the sampled token ids is refused (HttpTokensMissingError). */
  readonly tokens: boolean;
  /** The text with the API key replaced (a server may echo it back). */
  redact(text: string): string;
  /** The named error of a final (not retried) HTTP status. */
  statusError(status: number, message: string): HttpPolicyError;
}

/**
 * One try: POST, read the whole body (at most maxReplyBytes), classify the outcome. The timeout is
 * undici's: no reply headers, or no body data, for `timeoutMs` (a chat completion that is not
 * streamed sends its headers when it is done).
 */
export async function attempt(
  ctx: HttpContext,
  replica: Replica,
  body: Buffer,
  signal: AbortSignal | undefined,
): Promise<Generation> {
  const url = replica.url;
  let status: number;
  let retryAfter: string | undefined;
  let text: string;
  try {
    ({ status, retryAfter, text } = await exchange(ctx.dispatcher, {
      origin: replica.origin,
      path: replica.path,
      headers: ctx.headers,
      body,
      signal,
      timeoutMs: ctx.timeoutMs,
      maxBytes: ctx.maxReplyBytes,
    }));
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw failedExchange(ctx, url, error);
  }
  if (status >= 200 && status < 300) {
    const parsed = parseChatCompletion(text, ctx.tokens);
    if (!('error' in parsed)) return parsed.generation;
    if (parsed.tokens) {
      throw new HttpTokensMissingError(
        `${ctx.name}: ${ctx.redact(parsed.error)}. Training needs the sampled token ids: serve with vLLM ` +
          '(logprobs + return_tokens_as_token_ids) or lamer serve',
        status,
      );
    }
    throw new HttpReplyFormatError(
      `${ctx.name}: ${ctx.redact(parsed.error)}; is ${url} an OpenAI-compatible chat endpoint?`,
      status,
    );
  }
  const message = ctx.redact(serverMessage(text));
  if (status === 429 || status >= 500) {
    throw new RetryableHttpError(
      `server answered ${status}: ${message}`,
      status,
      parseRetryAfter(retryAfter ?? null, Date.now()),
    );
  }
  throw ctx.statusError(status, message);
}

/** The error of an exchange that got no complete reply (not aborted by the caller). */
function failedExchange(ctx: HttpContext, url: string, error: unknown): Error {
  if (error instanceof ReplyTooLargeError) {
    return new HttpReplyFormatError(
      `${ctx.name}: the reply body is over ${ctx.maxReplyBytes} bytes; the server ignored max_tokens? (maxReplyBytes raises the bound)`,
    );
  }
  const code = (error as { code?: unknown }).code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new RetryableHttpError(`no complete reply within ${ctx.timeoutMs} ms from ${url}`);
  }
  const dropped = droppedConnectionCode(error);
  if (dropped !== null) {
    return new RetryableHttpError(
      `connection to ${url} dropped or refused (${dropped})`,
      undefined,
      undefined,
      {
        cause: error,
      },
    );
  }
  return new HttpPolicyError(`${ctx.name}: request failed: ${ctx.redact(messageOf(error))}`, undefined, {
    cause: error,
  });
}
