/**
 * Messages between the generation engine (main thread, engine.ts) and its
 * worker thread (worker.ts). The worker owns the onnxruntime sessions, the
 * weights fed as graph inputs, the KV cache and the whole decode loop
 * (decode-loop.ts): one `generate` message in, one `generated` message out per
 * batch, so no thread crossing per token.
 * Type-only module, plus nothing the worker would have to load.
 */
import type { SessionErrorKind, SessionSettings } from '../../learner/session-core.js';
import type { WorkerPhases } from './profile.js';
import type { SamplerSettings } from './sampling.js';

/** What the worker needs to drive a Hugging Face-layout causal LM. */
export interface KvLayout {
  /** Transformer layers (one past/present key and value each). */
  nLayers: number;
  /** Key/value heads (num_key_value_heads; fewer than query heads with GQA). */
  kvHeads: number;
  headDim: number;
  vocabSize: number;
  /** Whether the graph takes `position_ids` (some exports do not). */
  positionIds: boolean;
  /** Scratch memory budget (bytes) for one prefill run; larger batches are prefilled in row chunks. */
  prefillBudgetBytes: number;
  /** Rows per prefill run, grouped by prompt length (prefill-groups.ts). */
  prefillGroupRows: number;
  /** A prefill run's fixed work in prompt tokens, weighed against padding where groups are cut (prefill-groups.ts). */
  prefillPassTokens: number;
  /** Bytes of finished sequences' keys/values kept for prompts that start with them (prefix-store.ts; 0: none). */
  prefixCacheBytes: number;
  /** Attention heads (query), for the prefill memory estimate. */
  heads: number;
}

/** Where the worker loads the tokenizer from, the first time a row has stop strings (it decodes tails to find them). */
export type TokenizerSource = { kind: 'builtin' } | { kind: 'dir'; dir: string };

export interface WorkerInit {
  model: Uint8Array | string;
  settings: SessionSettings;
  layout: KvLayout;
  /**
   * Optional decode-step graph over a fixed-capacity cache (decode-graph.ts): when given, `model`
   * only prefills and decode steps run this graph, writing new keys and values into the cache in place.
   */
  decodeModel?: Uint8Array;
  tokenizer: TokenizerSource;
}

export interface WeightTensor {
  dims: number[];
  data: Float32Array;
}

/** One row of a batch: a prompt and how to sample its reply. */
export interface RowSpec {
  promptIds: number[];
  sampler: SamplerSettings;
  /** Token budget (≥ 1). */
  maxTokens: number;
  stop: string[];
  seed: number;
}

/** A finished row: every sampled id (the end token or the one completing a stop string included) and its log-prob. */
export interface RowOutcome {
  tokens: number[];
  logprobs: number[];
  /** 'abort': the row was withdrawn (its flag in `aborted`) before its next token. */
  finishReason: 'stop' | 'length' | 'abort';
  /** The last token is an end token (the text leaves it out). */
  endToken: boolean;
}

/** A row of a continuous batch that ended: its index (the first rows as given, then joined rows in order) and outcome. */
export interface FinishedRow {
  row: number;
  outcome: RowOutcome;
}

/** Rows that join a continuous batch at its next step, and their withdrawal flags (shared memory, one per row). */
export interface JoiningRows {
  rows: RowSpec[];
  aborted: Int32Array;
}

/** The worker's counts and milliseconds on one batch, by phase, and the whole batch's time. */
export interface WorkerProfile extends WorkerPhases {
  /** The whole batch in the worker. */
  workMs: number;
}

export type ToWorker =
  | { type: 'weights'; id: number; weights: Record<string, WeightTensor> }
  | {
      type: 'generate';
      id: number;
      rows: RowSpec[];
      /** Ids that end a reply. */
      endIds: number[];
      padId: number;
      /** Longest sequence the model takes, or null. */
      maxPositions: number | null;
      /** Per row, over shared memory: set to 1 by the main thread when the row's signal aborts. */
      aborted: Int32Array;
      /**
       * Continuous batch: at each step where rows end, the worker sends them (`finished`) and waits for
       * the rows that join (`join`, with this id) before it steps again; `generated` then has no rows.
       */
      continuous?: boolean;
    }
  /** The rows joining the continuous batch `id` (the answer to its `finished` number `seq`). */
  | ({ type: 'join'; id: number; seq: number } & JoiningRows)
  /** Drop the stored prefixes (prefix-store.ts). */
  | { type: 'forget'; id: number }
  | { type: 'dispose' };

export interface ReadyMessage {
  type: 'ready';
  inputNames: string[];
  outputNames: string[];
  provider: string;
  warnings: string[];
  /** Whether rows can join a running batch (the in-place cache: continuous batching). */
  continuous: boolean;
}

export type FromWorker =
  | ReadyMessage
  | { type: 'init-error'; message: string; kind: SessionErrorKind }
  | { type: 'generated'; id: number; rows: RowOutcome[]; profile: WorkerProfile }
  /** Rows of the continuous batch `id` that ended at a step (and the batch's profile so far): exchange `seq` (0, 1, ...); the worker admits its `join` JOIN_DELAY steps later. */
  | { type: 'finished'; id: number; seq: number; rows: FinishedRow[]; profile: WorkerProfile }
  | { type: 'ok'; id: number }
  | { type: 'error'; id: number; message: string }
  | { type: 'disposed' };
