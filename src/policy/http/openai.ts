/**
 * A Policy backed by any OpenAI-compatible chat-completions server (vLLM,
 * Ollama, llama.cpp server, SGLang, OpenAI). Node's built-in fetch; p-limit for
 * the concurrency cap; seeded exponential backoff on 429, 5xx, timeouts and
 * dropped connections; named errors on everything else.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { ConfigError } from '../../util/errors.js';
import { deriveSeed, Rng } from '../../util/rng.js';
import type { Generation, GenerationRequest, Policy } from '../types.js';
import {
  HttpAuthError,
  HttpBadRequestError,
  HttpNotFoundError,
  HttpPolicyError,
  HttpReplyFormatError,
  HttpRetriesExhaustedError,
  RetryableHttpError,
} from './errors.js';
import {
  DEFAULT_RETRY,
  droppedConnectionCode,
  parseRetryAfter,
  type RetrySettings,
  retryDelayMs,
  sleep,
} from './retry.js';
import {
  chatCompletionBody,
  messageOf,
  parseChatCompletion,
  servedModels,
  serverMessage,
  type WireOptions,
} from './wire.js';

/** Options of {@link OpenAiPolicy}: the server, the model, auth, concurrency, timeouts and retry. */
export interface OpenAiPolicyOptions {
  /** e.g. `http://127.0.0.1:8000/v1`; requests go to `{baseURL}/chat/completions`. */
  baseURL: string;
  model: string;
  /**
   * NAME of the environment variable holding the API key (default
   * `OPENAI_API_KEY`). Unset → no Authorization header (local servers need none).
   */
  apiKeyEnv?: string;
  /** Where to read `apiKeyEnv` (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** Per-try timeout in ms, reply body included (default 120 000). */
  timeoutMs?: number;
  retry?: Partial<RetrySettings>;
  /** Seed of the backoff jitter (default 0). */
  seed?: number;
  /** Ask for log-probabilities (default true); used when the server gives them. */
  logprobs?: boolean;
  /** Send `top_k` (default true; turn off for OpenAI's own API, which rejects it). */
  sendTopK?: boolean;
  /** Sent as `chat_template_kwargs.enable_thinking` when set (Qwen3 on vLLM: false, as in the reference). */
  enableThinking?: boolean;
  extraBody?: Record<string, unknown>;
  /** Replaces the global fetch (tests, proxies). */
  fetch?: typeof fetch;
  /**
   * Largest reply body read, in bytes (default 64 MiB); a longer one fails its request (final).
   * Replies under it whose text is too long for the token budget are cut by the trial engine.
   */
  maxReplyBytes?: number;
  /** Called before each retry's backoff (a CLI prints a line: nothing waits silently). */
  onRetry?: (retry: RetryNotice) => void;
}

/** A request about to be tried again. */
export interface RetryNotice {
  key: string;
  /** Why the last try failed. */
  reason: string;
  /** The try that failed (1-based) and the tries allowed. */
  try: number;
  tries: number;
  /** Backoff before the next try. */
  delayMs: number;
}

/** The body went over the byte bound (internal to `readBounded`). */
class ReplyTooLargeError extends Error {}

/** A response body as text, at most `maxBytes` (over it: the request is aborted and ReplyTooLargeError thrown). */
async function readBounded(
  response: Response,
  maxBytes: number,
  controller: AbortController,
): Promise<string> {
  if (response.body === null) return '';
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    controller.abort();
    throw new ReplyTooLargeError();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      controller.abort();
      throw new ReplyTooLargeError();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/**
 * A {@link Policy} over any OpenAI-compatible chat-completions server (vLLM,
 * Ollama, llama.cpp, SGLang, OpenAI): capped concurrency, seeded exponential
 * backoff on 429, 5xx, timeouts and dropped connections, and a named `HttpPolicyError` subclass for everything else.
 */
export class OpenAiPolicy implements Policy {
  readonly name: string;
  /** The served model's prompt style, when `checkModel` found one in its model card. */
  promptStyle: 'faithful' | 'compact' | undefined = undefined;
  private readonly url: string;
  private readonly apiKeyEnv: string;
  private readonly apiKey: string | undefined;
  private readonly limit: LimitFunction;
  private readonly timeoutMs: number;
  private readonly retry: RetrySettings;
  private readonly seed: number;
  private readonly wire: WireOptions;
  private readonly fetchFn: typeof fetch;
  private readonly maxReplyBytes: number;

  constructor(readonly options: OpenAiPolicyOptions) {
    const base = options.baseURL.replace(/\/+$/, '');
    if (!/^https?:\/\//.test(base)) {
      throw new ConfigError(`baseURL "${options.baseURL}" must start with http:// or https://`);
    }
    if (options.model.trim() === '')
      throw new ConfigError('model name is empty; pass the name the server serves');
    this.name = `openai:${base}#${options.model}`;
    this.url = `${base}/chat/completions`;
    this.apiKeyEnv = options.apiKeyEnv ?? 'OPENAI_API_KEY';
    const key = (options.env ?? process.env)[this.apiKeyEnv];
    this.apiKey = key === undefined || key === '' ? undefined : key;
    const concurrency = options.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new ConfigError(`concurrency must be a positive integer, got ${concurrency}`);
    }
    this.limit = pLimit(concurrency);
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.seed = options.seed ?? 0;
    this.wire = {
      model: options.model,
      logprobs: options.logprobs ?? true,
      sendTopK: options.sendTopK ?? true,
      enableThinking: options.enableThinking,
      extraBody: options.extraBody,
    };
    this.fetchFn = options.fetch ?? fetch;
    this.maxReplyBytes = options.maxReplyBytes ?? 64 * 2 ** 20;
  }

  /**
   * One generation per request, in order. A request that fails for good (after its retries, or
   * with an error no retry fixes) is answered alone with `finishReason: 'error'` and the error; the
   * others go on. The call rejects only when `signal` aborts.
   */
  async generate(requests: GenerationRequest[], signal?: AbortSignal): Promise<Generation[]> {
    // one listener on the caller's signal per call, however many requests and tries it covers
    const batch = new AbortController();
    const onAbort = () => batch.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const out = await Promise.all(
        requests.map((request) =>
          this.limit(() => this.complete(request, batch.signal)).catch(
            (error: unknown): Generation => ({ text: '', finishReason: 'error', error }),
          ),
        ),
      );
      signal?.throwIfAborted();
      return out;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async complete(request: GenerationRequest, signal: AbortSignal): Promise<Generation> {
    const body = JSON.stringify(chatCompletionBody(request, this.wire));
    const rng = Rng.seeded(deriveSeed(this.seed, 'http-retry', request.key));
    const tries = this.retry.maxRetries + 1;
    for (let retry = 0; ; retry++) {
      signal.throwIfAborted();
      try {
        return await this.once(body, signal);
      } catch (error) {
        if (!(error instanceof RetryableHttpError)) throw error;
        if (retry >= this.retry.maxRetries) {
          throw new HttpRetriesExhaustedError(
            `${this.name}: request "${request.key}" failed ${retry + 1} times; last: ${error.message}. ` +
              'Check that the server is up and not overloaded, or raise --retries / --timeout',
            error.status,
            { cause: error },
          );
        }
        const delayMs = retryDelayMs(retry, error.retryAfterMs, this.retry, rng);
        this.options.onRetry?.({ key: request.key, reason: error.message, try: retry + 1, tries, delayMs });
        await sleep(delayMs, signal);
      }
    }
  }

  /** One try: POST, read the whole body (at most maxReplyBytes) under the timeout, classify the outcome. */
  private async once(body: string, signal: AbortSignal): Promise<Generation> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
    let status: number;
    let retryAfter: string | null;
    let text: string;
    try {
      const response = await this.fetchFn(this.url, {
        method: 'POST',
        headers,
        body,
        signal: controller.signal,
      });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      text = await readBounded(response, this.maxReplyBytes, controller);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof ReplyTooLargeError) {
        throw new HttpReplyFormatError(
          `${this.name}: the reply body is over ${this.maxReplyBytes} bytes; the server ignored max_tokens? (maxReplyBytes raises the bound)`,
        );
      }
      if (timedOut) throw new RetryableHttpError(`no complete reply within ${this.timeoutMs} ms`);
      const code = droppedConnectionCode(error);
      if (code !== null) {
        throw new RetryableHttpError(
          `connection to ${this.url} dropped or refused (${code})`,
          undefined,
          undefined,
          {
            cause: error,
          },
        );
      }
      throw new HttpPolicyError(`${this.name}: request failed: ${this.redact(messageOf(error))}`, undefined, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
    if (status >= 200 && status < 300) {
      const parsed = parseChatCompletion(text);
      if ('error' in parsed) {
        throw new HttpReplyFormatError(
          `${this.name}: ${this.redact(parsed.error)}; is ${this.url} an OpenAI-compatible chat endpoint?`,
          status,
        );
      }
      return parsed.generation;
    }
    const message = this.redact(serverMessage(text));
    if (status === 429 || status >= 500) {
      throw new RetryableHttpError(
        `server answered ${status}: ${message}`,
        status,
        parseRetryAfter(retryAfter, Date.now()),
      );
    }
    throw this.statusError(status, message);
  }

  /**
   * Check before a long run that the server is up and serves this model
   * (`GET {baseURL}/models`); throws HttpNotFoundError naming the served models,
   * HttpPolicyError when the server cannot be reached. One try, no retries: call
   * it when a fast, clear failure is wanted. Learns the model's prompt style when
   * the server lists one (`lamer serve` does).
   */
  async checkModel(signal?: AbortSignal, timeoutMs = this.timeoutMs): Promise<void> {
    const url = this.url.replace(/chat\/completions$/, 'models');
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchFn(url, { headers, signal: signal ?? AbortSignal.timeout(timeoutMs) });
      text = await response.text();
    } catch (error) {
      throw new HttpPolicyError(
        `${this.name}: cannot reach ${url} (${this.redact(messageOf(error))}): is the server running, and is the URL right?`,
        undefined,
        { cause: error },
      );
    }
    if (!response.ok) throw this.statusError(response.status, this.redact(serverMessage(text)));
    const models = servedModels(text);
    if (models === null) return;
    const card = models.find((m) => m.id === this.options.model);
    if (card === undefined) {
      throw new HttpNotFoundError(
        `${this.name}: the server does not serve "${this.options.model}"; it serves: ${models.map((m) => m.id).join(', ') || '(nothing)'}`,
        404,
      );
    }
    if (card.promptStyle !== undefined) this.promptStyle = card.promptStyle;
  }

  /** Before a run: `checkModel` with a timeout of at most 30 s (a fast, clear failure when the server is down). */
  preflight(): Promise<void> {
    return this.checkModel(undefined, Math.min(this.timeoutMs, 30_000));
  }

  private statusError(status: number, message: string): HttpPolicyError {
    const prefix = `${this.name}: server answered ${status}: ${message}`;
    if (status === 401 || status === 403) {
      const fix =
        this.apiKey === undefined
          ? `the server wants an API key: set the environment variable ${this.apiKeyEnv}`
          : `the API key in the environment variable ${this.apiKeyEnv} was refused: set ${this.apiKeyEnv} to a valid key`;
      return new HttpAuthError(`${prefix}. ${fix}`, status);
    }
    if (status === 404) {
      return new HttpNotFoundError(
        `${prefix}. Check the model name "${this.options.model}" (GET ${this.url.replace(/chat\/completions$/, 'models')} lists them) and the base URL (it usually ends in /v1)`,
        status,
      );
    }
    if (status === 400 || status === 422) {
      return new HttpBadRequestError(
        `${prefix}. The server refused the request: check the sampling settings (top_k needs a server that accepts it: sendTopK false for OpenAI) and the prompt length`,
        status,
      );
    }
    return new HttpPolicyError(prefix, status);
  }

  /** Defence in depth: a server may echo the key back (e.g. in a 401 body). */
  private redact(text: string): string {
    return this.apiKey === undefined ? text : text.split(this.apiKey).join('***');
  }
}
