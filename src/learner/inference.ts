/**
 * Inference graphs for the built-in model.
 *
 * `buildInferenceGraph` follows the Hugging Face ONNX export layout, so the
 * policy code that runs it also runs exported LLMs: inputs `input_ids`
 * [batch, seq], `attention_mask` [batch, past+seq], `position_ids`
 * [batch, seq] (int64), `past_key_values.{i}.key|value` [batch, heads, past,
 * head_dim]; outputs `logits` [batch, seq, vocab] and `present.{i}.key|value`
 * [batch, heads, past+seq, head_dim]. Start with past = 0 (empty tensors).
 * With `logits: 'last'` the logits are the last position's only, [batch, 1, vocab]:
 * what generation reads from a left-padded prefill, without the [batch, seq, vocab]
 * LM head and output copy over every prompt position.
 */
import * as G from './graph/index.js';
import type { ExternalWeights } from './hf/weights.js';
import type { LoraConfig } from './lora.js';
import { scoredTokens } from './loss.js';
import { forward, headDim, lmHead, type ModelConfig } from './model.js';
import { modelTensors } from './weights.js';

/** How {@link buildInferenceGraph} gets the weights (graph inputs, baked in, or a checkpoint's external data), plus dtype and LoRA. */
export interface InferenceGraphOptions {
  /**
   * 'inputs': weights are extra graph inputs named by their parameter names, so new
   * weights load without recompiling; 'initializers': weights are baked in (needs `values`);
   * 'external': a checkpoint's weights as external constants (needs `external`; sessions need
   * its folder as `externalDataDir`).
   */
  readonly weights: 'inputs' | 'initializers' | 'external';
  readonly values?: Readonly<Record<string, Float32Array>>;
  readonly external?: ExternalWeights;
  /** LoRA adapters on top of the weights, as graph inputs named `<module>.lora_A.weight` / `lora_B`. */
  readonly lora?: LoraConfig;
  readonly dtype?: 'float32' | 'float64';
  /** Inference graph only: logits of every position ('all', the HF layout; default) or the last one only. */
  readonly logits?: 'all' | 'last';
  /**
   * Inference graph with `logits: 'last'` only: the last layer's queries, attention and MLP on the last
   * positions alone (`ForwardInputs.lastOnly`; a d64×2 prompt pass ~0.74× the time). The same bits as
   * without it on onnxruntime's CPU provider with one intra-op thread; with more threads its matmuls
   * split a smaller product by columns instead of rows, which changes their K blocking and so the
   * logits' rounding (~1e-7), so the policy sets it only for one-thread CPU sessions.
   */
  readonly lastOnly?: boolean;
  /**
   * Inference graph only: also output the new tokens' keys/values alone, `new.{i}.key|value` [batch,
   * kv_heads, seq, head_dim] (the generation worker fetches these, not the present, which repeats the past).
   */
  readonly newKv?: boolean;
  /** Inference graph only: rows left-padded in their past and new columns (`ForwardInputs.leftPadded`; the generation worker). */
  readonly leftPadded?: boolean;
  /** Log-prob graph only: score tokens under softmax(logits / temperature) (default 1). */
  readonly temperature?: number;
}

function weightTensors(c: ModelConfig, o: InferenceGraphOptions) {
  const frozen =
    o.weights === 'initializers'
      ? { values: o.values ?? {} }
      : o.weights === 'external'
        ? { external: o.external ?? { dir: '', refs: {} } }
        : undefined;
  const m = modelTensors(
    { model: c, ...(frozen ? { frozen } : {}), ...(o.lora ? { lora: o.lora } : {}) },
    o.dtype,
  );
  return { params: m.params, lora: m.lora, inputs: Object.values(m.inputs) };
}

/** The model's generation graph in the Hugging Face ONNX export layout (input_ids, attention_mask, position_ids, past key/values in; logits and present key/values out). */
export function buildInferenceGraph(c: ModelConfig, o: InferenceGraphOptions): G.GraphSpec {
  const dt = o.dtype ?? 'float32';
  const w = weightTensors(c, o);
  const inputIds = G.input('input_ids', 'int64', ['batch', 'seq']);
  const attentionMask = G.input('attention_mask', 'int64', ['batch', 'past+seq']);
  const positionIds = G.input('position_ids', 'int64', ['batch', 'seq']);
  const kv = ['batch', c.nKvHeads, 'past', headDim(c)];
  const past = Array.from({ length: c.nLayers }, (_, i) => ({
    key: G.input(`past_key_values.${i}.key`, dt, kv),
    value: G.input(`past_key_values.${i}.value`, dt, kv),
  }));
  const out = forward(c, w.params, {
    inputIds,
    attentionMask,
    positionIds,
    past,
    ...(w.lora ? { lora: w.lora } : {}),
    ...(o.leftPadded ? { leftPadded: true } : {}),
    ...(o.logits === 'last' && o.lastOnly ? { lastOnly: true } : {}),
  });
  // lastOnly: the forward's logits are the last position's already
  const last = () =>
    o.lastOnly ? out.logits : lmHead(c, w.params, G.slice(out.hidden, [1], [-1], [Number.POSITIVE_INFINITY])); // [B, 1, V]
  const outputs: Record<string, G.Tensor> = { logits: o.logits === 'last' ? last() : out.logits };
  out.present.forEach((p, i) => {
    outputs[`present.${i}.key`] = p.key;
    outputs[`present.${i}.value`] = p.value;
  });
  if (o.newKv)
    out.fresh.forEach((p, i) => {
      outputs[`new.${i}.key`] = p.key;
      outputs[`new.${i}.value`] = p.value;
    });
  const inputs = [
    inputIds,
    attentionMask,
    positionIds,
    ...past.flatMap((p) => [p.key, p.value]),
    ...w.inputs,
  ];
  return { name: 'causal_lm', inputs, outputs };
}

/**
 * Token log-probs of given ids (e.g. to recompute old log-probs before a PPO
 * update): inputs `input_ids`, `attention_mask` [batch, seq]; outputs
 * `logprobs` and `entropy` [batch, seq] where column t scores token t given
 * the tokens before it (column 0 is 0), under softmax(logits / temperature)
 * (`o.temperature`, default 1). With `o.window`: also `target_index`,
 * `target_ids` [batch, resp] (as the window train graph, train-step.ts), and
 * the outputs are [batch, resp]: the response tokens only.
 */
export function buildLogprobGraph(
  c: ModelConfig,
  o: InferenceGraphOptions & { window?: boolean },
): G.GraphSpec {
  const w = weightTensors(c, o);
  const inputIds = G.input('input_ids', 'int64', ['batch', 'seq']);
  const attentionMask = G.input('attention_mask', 'int64', ['batch', 'seq']);
  if (o.window) {
    const targetIndex = G.input('target_index', 'int64', ['batch', 'resp']);
    const targetIds = G.input('target_ids', 'int64', ['batch', 'resp']);
    const t = scoredTokens(
      c,
      w.params,
      { inputIds, attentionMask, targetIndex, targetIds },
      o.temperature,
      w.lora,
    );
    return {
      name: 'token_logprobs',
      inputs: [inputIds, attentionMask, targetIndex, targetIds, ...w.inputs],
      outputs: { logprobs: t.logprobs, entropy: t.entropy },
    };
  }
  const t = scoredTokens(c, w.params, { inputIds, attentionMask }, o.temperature, w.lora);
  const padFront = (x: G.Tensor) => G.pad(x, [0, 1, 0, 0]); // [B, T-1] -> [B, T]
  return {
    name: 'token_logprobs',
    inputs: [inputIds, attentionMask, ...w.inputs],
    outputs: { logprobs: padFront(t.logprobs), entropy: padFront(t.entropy) },
  };
}
