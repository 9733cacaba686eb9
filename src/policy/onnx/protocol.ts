/**
 * Messages between the generation engine (main thread, engine.ts) and its
 * worker thread (worker.ts). The worker owns the onnxruntime session, the
 * weights fed as graph inputs and the KV cache of the generation in progress,
 * so a decode step moves only token ids in and last-position logits out.
 * Type-only module, plus nothing the worker would have to load.
 */
import type { SessionErrorKind, SessionSettings } from '../../learner/session-core.js';

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
  /** Attention heads (query), for the prefill memory estimate. */
  heads: number;
}

export interface WorkerInit {
  model: Uint8Array | string;
  settings: SessionSettings;
  layout: KvLayout;
  /**
   * Optional decode-step graph over a fixed-capacity cache (decode-graph.ts): when given, `model`
   * only prefills and decode steps run this graph, writing new keys and values into the cache in place.
   */
  decodeModel?: Uint8Array;
}

export interface WeightTensor {
  dims: number[];
  data: Float32Array;
}

export type ToWorker =
  | { type: 'weights'; id: number; weights: Record<string, WeightTensor> }
  | {
      type: 'prefill';
      id: number;
      /** [batch, seq] left-padded token ids. */
      inputIds: BigInt64Array;
      /** [batch, seq] 1 for real tokens, 0 for padding. */
      attentionMask: BigInt64Array;
      /** [batch, seq] cumsum(mask) - 1 clamped at 0. */
      positionIds: BigInt64Array;
      batch: number;
      seq: number;
    }
  | {
      type: 'step';
      id: number;
      /** Rows of the cache kept for this step (finished rows dropped), in order. */
      keep: number[];
      /** [keep.length] the next token of each kept row. */
      tokens: BigInt64Array;
      /** [keep.length, past + 1]. */
      attentionMask: BigInt64Array;
      /** [keep.length] position of each new token. */
      positionIds: BigInt64Array;
    }
  | { type: 'release'; id: number }
  | { type: 'dispose' };

export interface ReadyMessage {
  type: 'ready';
  inputNames: string[];
  outputNames: string[];
  provider: string;
  warnings: string[];
}

/** Milliseconds the worker spent on one call: building inputs, onnxruntime, reading outputs, all of it. */
export interface WorkerTiming {
  feedMs: number;
  runMs: number;
  fetchMs: number;
  workMs: number;
}

export type FromWorker =
  | ReadyMessage
  | { type: 'init-error'; message: string; kind: SessionErrorKind }
  /** logits of the last position of each row, [rows, vocab], and the worker's time on the call. */
  | { type: 'logits'; id: number; rows: number; logits: Float32Array; timing: WorkerTiming }
  | { type: 'ok'; id: number }
  | { type: 'error'; id: number; message: string }
  | { type: 'disposed' };
