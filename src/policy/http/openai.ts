/**
 * A Policy backed by any OpenAI-compatible chat-completions server (vLLM,
 * Ollama, llama.cpp server, SGLang, OpenAI). undici (keep-alive pooled connections); p-limit for
 * the concurrency cap; seeded exponential backoff on 429, 5xx, timeouts and
 * dropped connections; named errors on everything else.
 */
import { setMaxListeners } from 'node:events';
import pLimit, { type LimitFunction } from 'p-limit';
import { Agent, type Dispatcher, request } from 'undici';
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
  HttpTokensMissingError,
  RetryableHttpError,
} from './errors.js';
import { type AdminTarget, loadAdapter, unloadAdapter } from './lora.js';
import { type Replica, ReplicaSet } from './replicas.js';
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
  /**
   * e.g. `http://127.0.0.1:8000/v1`; requests go to `{baseURL}/chat/completions`. Several (replicas
   * serving the same model): round-robin over those that are up (replicas.ts).
   */
  baseURL: string | readonly string[];
  model: string;
  /**
   * NAME of the environment variable holding the API key (default
   * `OPENAI_API_KEY`). Unset → no Authorization header (local servers need none).
   */
  apiKeyEnv?: string;
  /** Where to read `apiKeyEnv` (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Requests in flight at once (default 64: a batching server such as vLLM fills its batches). Each
   * goes out as soon as its trial asks (`maxBatch` 1: no trial waits for the others).
   */
  maxInFlight?: number;
  /** Old name of `maxInFlight`. */
  concurrency?: number;
  /** Clock of the replicas' cool-downs (tests). */
  now?: () => number;
  /** Per-try timeout in ms, reply body included (default 120 000). */
  timeoutMs?: number;
  retry?: Partial<RetrySettings>;
  /** Seed of the backoff jitter (default 0). */
  seed?: number;
  /** Ask for log-probabilities (default true); used when the server gives them. */
  logprobs?: boolean;
  /**
   * Training rollouts: ask for the sampled token ids and their log-probs (vLLM's `logprobs` with
   * `return_tokens_as_token_ids`, tokens.ts) and fail a request whose reply lacks them
   * (HttpTokensMissingError); `preflight` checks it once before the run. Default false.
   */
  tokens?: boolean;
  /** Send `top_k` (default true; turn off for OpenAI's own API, which rejects it). */
  sendTopK?: boolean;
  /** Sent as `chat_template_kwargs.enable_thinking` when set (Qwen3 on vLLM: false, as in the reference). */
  enableThinking?: boolean;
  extraBody?: Record<string, unknown>;
  /** The undici dispatcher requests go through (default: a keep-alive Agent of this policy). */
  dispatcher?: Dispatcher;
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

/** The model or LoRA adapter requests name, and the policy version its replies carry (undefined: none). */
interface Target {
  readonly model: string;
  readonly version: number | undefined;
}

/** The body went over the byte bound (internal to `readBounded`). */
class ReplyTooLargeError extends Error {}

/** A reply body as text, at most `maxBytes` (over it: the body is dropped and ReplyTooLargeError thrown). */
async function readBounded(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      throw new ReplyTooLargeError();
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
}

/**
 * A {@link Policy} over any OpenAI-compatible chat-completions server (vLLM,
 * Ollama, llama.cpp, SGLang, OpenAI): capped concurrency, seeded exponential
 * backoff on 429, 5xx, timeouts and dropped connections, and a named `HttpPolicyError` subclass for everything else.
 */
export class OpenAiPolicy implements Policy {
  readonly name: string;
  /** Each request goes out on its own, as soon as its trial asks (see PolicyClient). */
  readonly maxBatch = 1;
  private readonly replicas: ReplicaSet;
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
  private readonly dispatcher: Dispatcher;
  /** Headers of every completion request and of GET /models (built once: the key never changes). */
  private readonly headers: Record<string, string>;
  private readonly getHeaders: Record<string, string>;
  private readonly maxReplyBytes: number;
  /** The model or LoRA adapter requests name, and the policy version its replies carry (`useAdapter`). */
  private target: Target;

  constructor(readonly options: OpenAiPolicyOptions) {
    const bases = (typeof options.baseURL === 'string' ? [options.baseURL] : [...options.baseURL]).map((b) =>
      b.replace(/\/+$/, ''),
    );
    if (bases.length === 0) throw new ConfigError('baseURL: give at least one server URL');
    for (const b of bases) {
      if (!/^https?:\/\//.test(b))
        throw new ConfigError(`baseURL "${b}" must start with http:// or https://`);
    }
    const base = bases.join(',');
    if (options.model.trim() === '')
      throw new ConfigError('model name is empty; pass the name the server serves');
    this.name = `openai:${base}#${options.model}`;
    this.url = `${bases[0]}/chat/completions`;
    this.replicas = new ReplicaSet(bases, {
      probe: (r) => this.probe(r),
      ...(options.now ? { now: options.now } : {}),
    });
    this.apiKeyEnv = options.apiKeyEnv ?? 'OPENAI_API_KEY';
    const key = (options.env ?? process.env)[this.apiKeyEnv];
    this.apiKey = key === undefined || key === '' ? undefined : key;
    const inFlight = options.maxInFlight ?? options.concurrency ?? 64;
    if (!Number.isInteger(inFlight) || inFlight < 1) {
      throw new ConfigError(`maxInFlight must be a positive integer, got ${inFlight}`);
    }
    this.limit = pLimit(inFlight);
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.seed = options.seed ?? 0;
    this.wire = {
      model: options.model,
      logprobs: options.logprobs ?? true,
      tokens: options.tokens ?? false,
      sendTopK: options.sendTopK ?? true,
      enableThinking: options.enableThinking,
      extraBody: options.extraBody,
    };
    // keep-alive connections, as many per server as requests may be in flight
    this.dispatcher = options.dispatcher ?? new Agent({ connections: inFlight, keepAliveTimeout: 60_000 });
    const auth: Record<string, string> =
      this.apiKey === undefined ? {} : { authorization: `Bearer ${this.apiKey}` };
    this.headers = { 'content-type': 'application/json', accept: 'application/json', ...auth };
    this.getHeaders = { accept: 'application/json', ...auth };
    this.maxReplyBytes = options.maxReplyBytes ?? 64 * 2 ** 20;
    this.target = { model: options.model, version: undefined };
  }

  /**
   * From now on, requests name `model` (a LoRA adapter loaded with `loadAdapter`, or the base model)
   * and their replies carry `policyVersion: version`. A `generate` call already made keeps the
   * adapter in use when it was made (its requests may wait for a free slot), so each reply records
   * the version that sampled it.
   */
  useAdapter(model: string, version: number): void {
    // a new object: calls already made keep theirs
    if (model.trim() === '') throw new ConfigError('useAdapter: the model name is empty');
    this.target = { model, version };
  }

  /** The model name requests carry now (the base model, or the adapter of `useAdapter`). */
  get currentModel(): string {
    return this.target.model;
  }

  /**
   * Load a LoRA adapter on every replica (vLLM's `POST /v1/load_lora_adapter`); `path` is a PEFT
   * adapter folder the server can read. Throws HttpAdapterError saying how to enable the API.
   */
  loadAdapter(name: string, path: string): Promise<void> {
    return loadAdapter(this.admin(), name, path);
  }

  /** Unload a LoRA adapter from every replica (`POST /v1/unload_lora_adapter`). */
  unloadAdapter(name: string): Promise<void> {
    return unloadAdapter(this.admin(), name);
  }

  private admin(): AdminTarget {
    return {
      name: this.name,
      bases: this.replicas.replicas.map((r) => r.base),
      dispatcher: this.dispatcher,
      headers: this.headers,
      timeoutMs: this.timeoutMs,
      retry: this.retry,
      rng: Rng.seeded(deriveSeed(this.seed, 'http-admin')),
      redact: (text) => this.redact(text),
    };
  }

  /**
   * One generation per request, in order. A request that fails for good (after its retries, or
   * with an error no retry fixes) is answered alone with `finishReason: 'error'` and the error; the
   * others go on. The call rejects only when `signal` aborts.
   */
  async generate(requests: GenerationRequest[], signal?: AbortSignal): Promise<Generation[]> {
    // one listener on the caller's signal per call, however many requests and tries it covers
    const batch = new AbortController();
    // every try of every request listens on it at once: that many listeners are expected, not a leak
    setMaxListeners(requests.length + 1, batch.signal);
    const onAbort = () => batch.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    // the adapter in use when the trials asked, whenever their requests leave
    const target = this.target;
    try {
      const out = await Promise.all(
        requests.map((request) =>
          this.limit(() => this.complete(request, target, batch.signal)).catch(
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

  private async complete(
    request: GenerationRequest,
    { model, version }: Target,
    signal: AbortSignal,
  ): Promise<Generation> {
    const body = JSON.stringify(chatCompletionBody(request, this.wire, model));
    const rng = Rng.seeded(deriveSeed(this.seed, 'http-retry', request.key));
    const tries = this.retry.maxRetries + 1;
    for (let retry = 0; ; retry++) {
      signal.throwIfAborted();
      const replica = this.replicas.pick();
      try {
        const generation = await this.once(replica.url, body, signal);
        this.replicas.answered(replica);
        if (version !== undefined) generation.policyVersion = version;
        return generation;
      } catch (error) {
        if (!(error instanceof RetryableHttpError)) throw error;
        if (error.status !== 429) this.replicas.failed(replica);
        if (retry >= this.retry.maxRetries) {
          throw new HttpRetriesExhaustedError(
            `${this.name}: request "${request.key}" failed ${retry + 1} times; last: ${error.message}. ` +
              'Check that the server is up and not overloaded, or raise --retries / --timeout',
            error.status,
            { cause: error },
          );
        }
        // another replica is up: go there at once
        const delayMs = this.replicas.otherUp(replica)
          ? 0
          : retryDelayMs(retry, error.retryAfterMs, this.retry, rng);
        this.options.onRetry?.({ key: request.key, reason: error.message, try: retry + 1, tries, delayMs });
        if (delayMs > 0) await sleep(delayMs, signal);
      }
    }
  }

  /**
   * One try: POST, read the whole body (at most maxReplyBytes), classify the outcome. The timeout is
   * undici's: no reply headers, or no body data, for `timeoutMs` (a chat completion that is not
   * streamed sends its headers when it is done).
   */
  private async once(url: string, body: string, signal: AbortSignal): Promise<Generation> {
    let status: number;
    let retryAfter: string | undefined;
    let text: string;
    try {
      const response = await request(url, {
        dispatcher: this.dispatcher,
        method: 'POST',
        headers: this.headers,
        body,
        signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      status = response.statusCode;
      const after = response.headers['retry-after'];
      retryAfter = Array.isArray(after) ? after[0] : after;
      text = await readBounded(response.body, this.maxReplyBytes);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof ReplyTooLargeError) {
        throw new HttpReplyFormatError(
          `${this.name}: the reply body is over ${this.maxReplyBytes} bytes; the server ignored max_tokens? (maxReplyBytes raises the bound)`,
        );
      }
      const code = (error as { code?: unknown }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
        throw new RetryableHttpError(`no complete reply within ${this.timeoutMs} ms from ${url}`);
      }
      const dropped = droppedConnectionCode(error);
      if (dropped !== null) {
        throw new RetryableHttpError(
          `connection to ${url} dropped or refused (${dropped})`,
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
    }
    if (status >= 200 && status < 300) {
      const parsed = parseChatCompletion(text, this.wire.tokens);
      if ('error' in parsed) {
        if (parsed.tokens) {
          throw new HttpTokensMissingError(
            `${this.name}: ${this.redact(parsed.error)}. Training needs the sampled token ids: serve with vLLM ` +
              '(logprobs + return_tokens_as_token_ids) or lamer serve',
            status,
          );
        }
        throw new HttpReplyFormatError(
          `${this.name}: ${this.redact(parsed.error)}; is ${url} an OpenAI-compatible chat endpoint?`,
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
        parseRetryAfter(retryAfter ?? null, Date.now()),
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
    await Promise.all(this.replicas.replicas.map((r) => this.checkReplica(r.base, signal, timeoutMs)));
  }

  private async checkReplica(
    base: string,
    signal: AbortSignal | undefined,
    timeoutMs: number,
  ): Promise<void> {
    const url = `${base}/models`;
    let status: number;
    let text: string;
    try {
      const response = await request(url, {
        dispatcher: this.dispatcher,
        headers: this.getHeaders,
        signal: signal ?? AbortSignal.timeout(timeoutMs),
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      throw new HttpPolicyError(
        `${this.name}: cannot reach ${url} (${this.redact(messageOf(error))}): is the server running, and is the URL right?`,
        undefined,
        { cause: error },
      );
    }
    if (status < 200 || status >= 300) throw this.statusError(status, this.redact(serverMessage(text)));
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

  /** Whether a replica that was down answers `GET {base}/models` again. */
  private async probe(r: Replica): Promise<boolean> {
    const response = await request(`${r.base}/models`, {
      dispatcher: this.dispatcher,
      headers: this.getHeaders,
      signal: AbortSignal.timeout(Math.min(this.timeoutMs, 10_000)),
    });
    await response.body.dump();
    return response.statusCode >= 200 && response.statusCode < 300;
  }

  /** Before a run: `checkModel` with a timeout of at most 30 s (a fast, clear failure when the server is down). */
  async preflight(): Promise<void> {
    const timeoutMs = Math.min(this.timeoutMs, 30_000);
    await this.checkModel(undefined, timeoutMs);
    if (this.wire.tokens) await this.checkTokens(timeoutMs);
  }

  /** Token mode: a one-token request to every replica must come back with its token id (else HttpTokensMissingError). */
  private async checkTokens(timeoutMs: number): Promise<void> {
    const probe: GenerationRequest = {
      key: 'preflight/tokens',
      messages: [{ role: 'user', content: 'Say OK.' }],
      sampling: { maxTokens: 1, temperature: 0 },
    };
    const body = JSON.stringify(chatCompletionBody(probe, this.wire, this.target.model));
    await Promise.all(
      this.replicas.replicas.map(async (r) => {
        try {
          await this.once(r.url, body, AbortSignal.timeout(timeoutMs));
        } catch (error) {
          if (error instanceof HttpPolicyError && !(error instanceof RetryableHttpError)) throw error;
          const why = error instanceof HttpPolicyError ? error.message : `no reply within ${timeoutMs} ms`;
          throw new HttpPolicyError(
            `${this.name}: the token check request to ${r.url} failed: ${why}`,
            undefined,
            {
              cause: error,
            },
          );
        }
      }),
    );
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
