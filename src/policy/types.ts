/**
 * The policy contract (../shared/DESIGN.md): `generate(requests)` is batched.
 * Every agent brain — scripted, local ONNX LM, OpenAI-compatible HTTP — sits
 * behind it. Type-only module.
 */
import type { AttemptMemory, HistoryRecord, Json, MemoryMode } from '../envs/core/types.js';

/** One chat message, OpenAI style. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Sampling of one generation; unset fields take the policy's defaults. `maxTokens` caps the reply length in tokens. */
export interface SamplingSettings {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
  stop?: string[];
  /** Per-request seed: the same seed, prompt and weights give the same reply. */
  seed?: number;
}

/**
 * The env state behind a request. For scripted policies only (random, expert,
 * rule reflections); LLM policies must ignore it: they see only `messages`.
 */
export interface GenerationOracle {
  envId: string;
  phase: 'play' | 'reflect';
  /** play: the state the agent acts from; reflect: the final state of the attempt reflected on. */
  state: Json;
  /** reflect only: the rest of the env's `ReflectPromptContext`. */
  reflect?: { initial: Json; attempt: number; history: HistoryRecord[] };
  /** play only: the rest of the env's `PlayPromptContext` (what the play prompt shows), for `lessonAction`. */
  play?: {
    initial: Json;
    attempt: number;
    history: HistoryRecord[];
    memory: AttemptMemory[];
    memoryMode: MemoryMode;
  };
}

/** One LLM call: the chat messages, sampling, and a stable key (calls are idempotent per key). */
export interface GenerationRequest {
  /** Stable key of this call, e.g. `task/trial/attempt/turn/phase`; calls are idempotent per key. */
  key: string;
  messages: ChatMessage[];
  sampling: SamplingSettings;
  /** For scripted policies only; LLM policies must ignore it. */
  oracle?: GenerationOracle;
  /**
   * The prompt already rendered and tokenized with this policy's own codec (`promptTokens(policy.promptCodec,
   * messages)`), e.g. by a server off its main thread; the ONNX policy then skips tokenizing. Others ignore it.
   */
  promptTokens?: readonly number[];
  /**
   * Withdraws this request alone (its client went away). A policy that honours it stops work on it (the ONNX
   * policy drops its row between decode steps) and answers it with `finishReason: 'error'`; the other requests of
   * the batch are unaffected. Not plain data: never set on a request that is persisted.
   */
  signal?: AbortSignal;
}

/** A policy's reply to one request: the text, and for trainable policies its token ids and log-probs. */
export interface Generation {
  text: string;
  /** Token ids of the prompt as the model saw it (trainable policies). */
  promptTokens?: number[];
  /** Token ids of the reply (trainable policies). */
  responseTokens?: number[];
  /** Log-probability of each reply token under the sampling distribution. */
  logprobs?: number[];
  /** Version of the weights that produced this reply. */
  policyVersion?: number;
  /** `error`: no answer for this request (the others of the batch stand); `error` says why. */
  finishReason?: 'stop' | 'length' | 'error';
  /** Why a request got no answer (`finishReason: 'error'`): the failure the trial records. */
  error?: unknown;
  /**
   * Set when the reply was longer than the bound for its token budget and was cut (see
   * `replyCharBound`): its length before the cut, in characters. Token ids and log-probs are dropped then.
   */
  cutFrom?: number;
}

/** A reply of a continuous batch ({@link Policy.generateContinuous}): the request it answers and its generation. */
export interface AnsweredRequest {
  request: GenerationRequest;
  generation: Generation;
}

/**
 * The caller's side of a continuous batch ({@link Policy.generateContinuous}), called whenever rows end:
 * their replies, and whether the batch takes new rows now (`open`; false while other work waits for the
 * policy, e.g. new weights: the batch then runs out). Resolves to the requests that join the batch at
 * its next step (none: the batch runs on, and ends when no row is left).
 */
export type JoinRequests = (answered: AnsweredRequest[], open: boolean) => Promise<GenerationRequest[]>;

/**
 * What the engine calls for replies: `generate` answers a batch of requests,
 * one generation each, in order. Implement it to plug in any model.
 */
export interface Policy {
  /** Human-readable name, e.g. `random`, `expert`, `onnx:/models/tiny`. */
  readonly name: string;
  /**
   * The prompt style the model was trained on, when it has one (the built-in model: `compact`; its
   * context and vocabulary were made for it). `lamer eval --style auto` plays in it.
   */
  readonly promptStyle?: 'faithful' | 'compact';
  /**
   * Largest batch this policy wants per `generate` call (default: the client's, 64, sent lock-step).
   * A remote policy says 1: each request goes out as soon as its trial asks, none waits for the others.
   */
  readonly maxBatch?: number;
  /**
   * A quick check that the policy can work at all, run before a long job (a server: reachable and
   * serving the model); throws a LamerError saying what is wrong. One try, no retries.
   */
  preflight?(): Promise<void>;
  /**
   * One generation per request, in order. A request that failed alone is answered with
   * `finishReason: 'error'` and its `error`; the call rejects only when the whole batch failed
   * (or `signal` aborted).
   */
  generate(requests: GenerationRequest[], signal?: AbortSignal): Promise<Generation[]>;
  /**
   * Continuous batching, for policies that can add rows to a running batch (the ONNX policy with its
   * in-place cache): `requests` start a batch; whenever rows end, their replies go to `join` at once,
   * and the requests it resolves to join the running batch at its next step. Which rows step together
   * depends only on where rows end (the batch waits for `join`), never on timing. Resolves when no row
   * is left; every request, joined ones included, was answered through `join` (a request that failed
   * alone with `finishReason: 'error'`). Rejects when the batch failed (the requests not answered yet
   * got no reply). A PolicyClient uses it when present; `generate` stays the contract.
   */
  generateContinuous?(requests: GenerationRequest[], join: JoinRequests): Promise<void>;
}
