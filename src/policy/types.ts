/**
 * The policy contract (../shared/DESIGN.md): `generate(requests)` is batched.
 * Every agent brain — scripted, local ONNX LM, OpenAI-compatible HTTP — sits
 * behind it. Type-only module.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface SamplingSettings {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
  stop?: string[];
  /** Per-request seed: the same seed, prompt and weights give the same reply. */
  seed?: number;
}

export interface GenerationRequest {
  /** Stable key of this call, e.g. `task/trial/attempt/turn/phase`; calls are idempotent per key. */
  key: string;
  messages: ChatMessage[];
  sampling: SamplingSettings;
}

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
  finishReason?: 'stop' | 'length' | 'error';
}

export interface Policy {
  /** Human-readable name, e.g. `random`, `expert`, `onnx:/models/tiny`. */
  readonly name: string;
  /** One generation per request, in order. Rejects when the whole batch failed. */
  generate(requests: GenerationRequest[], signal?: AbortSignal): Promise<Generation[]>;
}
