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
  HttpNotFoundError,
  HttpPolicyError,
  HttpReplyFormatError,
  HttpRetriesExhaustedError,
  HttpTokensMissingError,
  RetryableHttpError,
} from './errors.js';
import { type AdminTarget, loadAdapter, unloadAdapter } from './lora.js';
import type { OpenAiPolicyOptions } from './options.js';

export type { OpenAiPolicyOptions, RetryNotice } from './options.js';

import { type Replica, ReplicaSet } from './replicas.js';
import {
  DEFAULT_RETRY,
  droppedConnectionCode,
  parseRetryAfter,
  type RetrySettings,
  retryDelayMs,
  sleep,
} from './retry.js';
import { statusError } from './status.js';
import { exchange, ReplyTooLargeError } from './transport.js';
import {
  chatCompletionBody,
  messageOf,
  parseChatCompletion,
  servedModels,
  serverMessage,
  type WireOptions,
} from './wire.js';

/** The model or LoRA adapter requests name, and the policy version its replies carry (undefined: none). */
interface Target {
  readonly model: string;
  readonly version: number | undefined;
}

/**
 * A {@link Policy} over any OpenAI-compatible chat-completions server (vLLM,
 * Ollama, llama.cpp, SGLang, OpenAI): requests in flight up to `maxInFlight` over pooled keep-alive
 * connections, replicas round-robin, seeded exponential backoff on 429, 5xx, timeouts and dropped
 * connections, and a named `HttpPolicyError` subclass for everything else.
 */
export class OpenAiPolicy implements Policy {
  readonly name: string;
  /** Each request goes out on its own, as soon as its trial asks (see PolicyClient). */
  readonly maxBatch = 1;
  private readonly replicas: ReplicaSet;
  /** The served model's prompt style, when `checkModel` found one in its model card. */
  promptStyle: 'faithful' | 'compact' | undefined = undefined;
  private readonly apiKeyEnv: string;
  private readonly apiKey: string | undefined;
  private readonly limit: LimitFunction;
  private readonly timeoutMs: number;
  private readonly retry: RetrySettings;
  private readonly seed: number;
  private readonly wire: WireOptions;
  private readonly dispatcher: Dispatcher;
  /** Whether `dispatcher` is this policy's own (closed by `close`). */
  private readonly ownDispatcher: boolean;
  /** Headers of every completion request and of GET /models (built once: the key never changes). */
  private readonly headers: Record<string, string>;
  /** `headers` as undici's flat list (the hot path's form). */
  private readonly headerList: string[];
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
      if (!URL.canParse(b))
        throw new ConfigError(`baseURL "${b}" is not a valid URL (check the host and port)`);
    }
    const base = bases.join(',');
    if (options.model.trim() === '')
      throw new ConfigError('model name is empty; pass the name the server serves');
    this.name = `openai:${base}#${options.model}`;
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
    this.ownDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? new Agent({ connections: inFlight, keepAliveTimeout: 60_000 });
    const auth: Record<string, string> =
      this.apiKey === undefined ? {} : { authorization: `Bearer ${this.apiKey}` };
    this.headers = { 'content-type': 'application/json', accept: 'application/json', ...auth };
    this.headerList = Object.entries(this.headers).flat();
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
    // the adapter in use when the trials asked, whenever their requests leave
    const target = this.target;
    const answer = (batchSignal: AbortSignal | undefined) =>
      Promise.all(
        requests.map((request) =>
          this.limit(() => this.complete(request, target, batchSignal)).catch(
            (error: unknown): Generation => ({ text: '', finishReason: 'error', error }),
          ),
        ),
      );
    if (signal === undefined) {
      const out = await answer(undefined);
      await this.handOff();
      return out;
    }
    // one listener on the caller's signal per call, however many requests and tries it covers
    const batch = new AbortController();
    // every try of every request listens on it at once: that many listeners are expected, not a leak
    setMaxListeners(requests.length + 1, batch.signal);
    const onAbort = () => batch.abort(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const out = await answer(batch.signal);
      await this.handOff();
      signal.throwIfAborted();
      return out;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Resolves on a later event-loop turn, one caller per turn. Why: undici writes a request that
   * reuses an idle keep-alive socket only in the check phase of the turn it was made in (after
   * every reply read in that turn's poll phase was handled: GHSA-35p6-xmwp-9g52). Handed all at
   * once, a burst of B replies made each of their trials' next requests wait for all B trials'
   * turns (B x our CPU per reply: 22 ms on average at 64 in flight, bench:cluster), and the
   * requests, written together, came back together, so the bursts never broke up. One reply per
   * turn, each next request leaves one trial's turn later.
   */
  private handOff(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      if (!this.pumping) {
        this.pumping = true;
        setImmediate(this.pump);
      }
    });
  }

  private readonly waiting: (() => void)[] = [];
  private waitingHead = 0;
  private pumping = false;
  private readonly pump = (): void => {
    const next = this.waiting[this.waitingHead++]!;
    if (this.waitingHead === this.waiting.length) {
      this.waiting.length = 0;
      this.waitingHead = 0;
      this.pumping = false;
    } else setImmediate(this.pump);
    next();
  };

  private async complete(
    request: GenerationRequest,
    { model, version }: Target,
    signal: AbortSignal | undefined,
  ): Promise<Generation> {
    // bytes, not the JSON string: the string (two-byte, since the faithful prompts hold a dash) would
    // live as long as the request, and every young-generation GC meanwhile copied it
    const body = Buffer.from(JSON.stringify(chatCompletionBody(request, this.wire, model)));
    let rng: Rng | undefined; // the backoff jitter's, made on the first retry
    const tries = this.retry.maxRetries + 1;
    for (let retry = 0; ; retry++) {
      signal?.throwIfAborted();
      const replica = this.replicas.pick();
      try {
        const generation = await this.once(replica, body, signal);
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
        rng ??= Rng.seeded(deriveSeed(this.seed, 'http-retry', request.key));
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
  private async once(replica: Replica, body: Buffer, signal: AbortSignal | undefined): Promise<Generation> {
    const url = replica.url;
    let status: number;
    let retryAfter: string | undefined;
    let text: string;
    try {
      ({ status, retryAfter, text } = await exchange(this.dispatcher, {
        origin: replica.origin,
        path: replica.path,
        headers: this.headerList,
        body,
        signal,
        timeoutMs: this.timeoutMs,
        maxBytes: this.maxReplyBytes,
      }));
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
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
    const body = Buffer.from(JSON.stringify(chatCompletionBody(probe, this.wire, this.target.model)));
    await Promise.all(
      this.replicas.replicas.map(async (r) => {
        try {
          await this.once(r, body, AbortSignal.timeout(timeoutMs));
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
    return statusError(status, message, {
      name: this.name,
      model: this.options.model,
      modelsUrl: `${this.replicas.replicas[0]!.base}/models`,
      apiKeyEnv: this.apiKeyEnv,
      hasKey: this.apiKey !== undefined,
    });
  }

  /** Close this policy's pooled connections (a dispatcher passed in options is the caller's to close). */
  async close(): Promise<void> {
    if (this.ownDispatcher) await this.dispatcher.close();
  }

  /** Defence in depth: a server may echo the key back (e.g. in a 401 body). */
  private redact(text: string): string {
    return this.apiKey === undefined ? text : text.split(this.apiKey).join('***');
  }
}
