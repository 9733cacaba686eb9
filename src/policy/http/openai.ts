/**
 * A Policy backed by any OpenAI-compatible chat-completions server (vLLM,
 * Ollama, llama.cpp server, SGLang, OpenAI). undici (keep-alive pooled connections); p-limit for
 * the concurrency cap; seeded exponential backoff on 429, 5xx, timeouts and
 * dropped connections; named errors on everything else. Here: the requests in flight, retries and
 * replicas, adapters; one try and its outcome in attempt.ts, the checks before a run in checks.ts,
 * the replies' hand-off one per event-loop turn in handoff.ts, the wire format in wire.ts.
 */
import { setMaxListeners } from 'node:events';
import pLimit, { type LimitFunction } from 'p-limit';
import { Agent, type Dispatcher } from 'undici';
import { ConfigError } from '../../util/errors.js';
import { deriveSeed, Rng } from '../../util/rng.js';
import type { Generation, GenerationRequest, Policy } from '../types.js';
import { attempt, type HttpContext } from './attempt.js';
import { checkReplica, checkTokens, probeReplica, TOKEN_PROBE } from './checks.js';
import { type HttpPolicyError, HttpRetriesExhaustedError, RetryableHttpError } from './errors.js';
import { TurnHandOff } from './handoff.js';
import { type AdminTarget, loadAdapter, unloadAdapter } from './lora.js';
import type { OpenAiPolicyOptions } from './options.js';

export type { OpenAiPolicyOptions, RetryNotice } from './options.js';

import { ReplicaSet } from './replicas.js';
import { DEFAULT_RETRY, type RetrySettings, retryDelayMs, sleep } from './retry.js';
import { statusError } from './status.js';
import { chatCompletionBody, type WireOptions } from './wire.js';

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
  /** Headers of every completion request and of the adapter calls (built once: the key never changes). */
  private readonly headers: Record<string, string>;
  /** What a try and the checks need (attempt.ts, checks.ts). */
  private readonly http: HttpContext;
  /** Replies go back to their callers one per event-loop turn (handoff.ts). */
  private readonly handOff = new TurnHandOff();
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
      probe: (r) => probeReplica(this.http, r),
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
    this.http = {
      name: this.name,
      model: options.model,
      dispatcher: this.dispatcher,
      headers: Object.entries(this.headers).flat(),
      getHeaders: { accept: 'application/json', ...auth },
      timeoutMs: this.timeoutMs,
      maxReplyBytes: options.maxReplyBytes ?? 64 * 2 ** 20,
      tokens: this.wire.tokens ?? false,
      redact: (text) => this.redact(text),
      statusError: (status, message) => this.statusError(status, message),
    };
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
      await this.handOff.next();
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
      await this.handOff.next();
      signal.throwIfAborted();
      return out;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

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
        const generation = await attempt(this.http, replica, body, signal);
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
   * Check before a long run that the server is up and serves this model
   * (`GET {baseURL}/models`); throws HttpNotFoundError naming the served models,
   * HttpPolicyError when the server cannot be reached. One try, no retries: call
   * it when a fast, clear failure is wanted. Learns the model's prompt style when
   * the server lists one (`lamer serve` does).
   */
  async checkModel(signal?: AbortSignal, timeoutMs = this.timeoutMs): Promise<void> {
    const styles = await Promise.all(
      this.replicas.replicas.map((r) => checkReplica(this.http, r.base, signal, timeoutMs)),
    );
    for (const style of styles) if (style !== undefined) this.promptStyle = style;
  }

  /**
   * Before a run: `checkModel` with a timeout of at most 30 s (a fast, clear failure when the server
   * is down); in token mode, a one-token request to every replica must come back with its token id
   * (else HttpTokensMissingError).
   */
  async preflight(): Promise<void> {
    const timeoutMs = Math.min(this.timeoutMs, 30_000);
    await this.checkModel(undefined, timeoutMs);
    if (this.wire.tokens) {
      const body = Buffer.from(JSON.stringify(chatCompletionBody(TOKEN_PROBE, this.wire, this.target.model)));
      await checkTokens(this.http, this.replicas.replicas, body, timeoutMs);
    }
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
