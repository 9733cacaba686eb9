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
  servedModelIds,
  serverMessage,
  type WireOptions,
} from './wire.js';

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
}

export class OpenAiPolicy implements Policy {
  readonly name: string;
  private readonly url: string;
  private readonly apiKeyEnv: string;
  private readonly apiKey: string | undefined;
  private readonly limit: LimitFunction;
  private readonly timeoutMs: number;
  private readonly retry: RetrySettings;
  private readonly seed: number;
  private readonly wire: WireOptions;
  private readonly fetchFn: typeof fetch;

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
  }

  /**
   * One generation per request, in order. A request that fails for good
   * (after retries, or with a non-retryable error) aborts the others and
   * rejects the whole call; callers retry by key.
   */
  async generate(requests: GenerationRequest[], signal?: AbortSignal): Promise<Generation[]> {
    const batch = new AbortController();
    const onAbort = () => batch.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await Promise.all(
        requests.map((request) =>
          this.limit(() => this.complete(request, batch.signal)).catch((error: unknown) => {
            batch.abort(error);
            throw error;
          }),
        ),
      );
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async complete(request: GenerationRequest, signal: AbortSignal): Promise<Generation> {
    const body = JSON.stringify(chatCompletionBody(request, this.wire));
    const rng = Rng.seeded(deriveSeed(this.seed, 'http-retry', request.key));
    for (let retry = 0; ; retry++) {
      signal.throwIfAborted();
      try {
        return await this.once(body, signal);
      } catch (error) {
        if (!(error instanceof RetryableHttpError)) throw error;
        if (retry >= this.retry.maxRetries) {
          throw new HttpRetriesExhaustedError(
            `${this.name}: request "${request.key}" failed ${retry + 1} times; last: ${error.message}. ` +
              'Check that the server is up and not overloaded, or raise the retry budget / timeout',
            error.status,
            { cause: error },
          );
        }
        await sleep(retryDelayMs(retry, error.retryAfterMs, this.retry, rng), signal);
      }
    }
  }

  /** One try: POST, read the whole body under the timeout, classify the outcome. */
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
      text = await response.text();
    } catch (error) {
      if (signal.aborted) throw signal.reason;
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
   * (`GET {baseURL}/models`); throws HttpNotFoundError naming the served models.
   * One try, no retries: call it when a fast, clear failure is wanted.
   */
  async checkModel(signal?: AbortSignal): Promise<void> {
    const url = this.url.replace(/chat\/completions$/, 'models');
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
    let response: Response;
    try {
      response = await this.fetchFn(url, { headers, signal: signal ?? AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new HttpPolicyError(
        `${this.name}: cannot reach ${url}: ${this.redact(messageOf(error))}`,
        undefined,
        {
          cause: error,
        },
      );
    }
    const text = await response.text();
    if (!response.ok) throw this.statusError(response.status, this.redact(serverMessage(text)));
    const ids = servedModelIds(text);
    if (ids !== null && !ids.includes(this.options.model)) {
      throw new HttpNotFoundError(
        `${this.name}: the server does not serve "${this.options.model}"; it serves: ${ids.join(', ') || '(nothing)'}`,
        404,
      );
    }
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
