/** Options of the OpenAI-compatible HTTP policy (openai.ts). Type-only module. */
import type { Dispatcher } from 'undici';
import type { RetrySettings } from './retry.js';

/** Options of the HTTP policy (`OpenAiPolicy`): the servers, the model, auth, requests in flight, timeouts and retry. */
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
