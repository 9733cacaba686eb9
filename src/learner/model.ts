/**
 * The model as a graph: one decoder-only transformer in the Llama layout
 * (token embedding, pre-norm RMSNorm, rotary positions, causal grouped-query
 * attention, SwiGLU MLP, final norm, LM head), with Qwen2's q/k/v biases and
 * Qwen3's per-head q/k norms as options of its config (model-config.ts), and
 * optional LoRA adapters on any projection. Written once so the compiler can
 * emit its inference graph, its log-prob graph and its train step; the weights
 * are graph inputs (new weights without recompiling), baked-in values, or
 * external constants (a Hugging Face checkpoint's frozen base, hf/).
 *
 * Shape legend: B batch, T new tokens, P cached tokens, S = P + T keys,
 * d model width, H query heads, K key/value heads, hd head width, F SwiGLU
 * width, V vocabulary, r LoRA rank.
 */
import { ConfigError } from '../util/errors.js';
import * as G from './graph/index.js';
import { type ModelConfig, paramShapes } from './model-config.js';
import { attentionBias, leftPaddedBias } from './model-mask.js';

export {
  architectureOf,
  DEFAULT_MODEL_CONFIG,
  headDim,
  hfConfig,
  initParams,
  type Llama3RopeScaling,
  type ModelConfig,
  modelConfig,
  normalValues,
  paramCount,
  paramShapes,
  projections,
  savedModelConfig,
} from './model-config.js';

/** The model's parameters as graph tensors, by parameter name. */
export type Params = Readonly<Record<string, G.Tensor>>;

/**
 * LoRA adapters in the graph: `tensors` holds `<module>.lora_A.weight` [r, in] and
 * `<module>.lora_B.weight` [out, r] for each adapted module (`model.layers.0.self_attn.q_proj`);
 * the module computes W x + b + scale · B A x (PEFT's LoraLayer, no dropout).
 */
export interface LoraTensors {
  readonly scale: number;
  readonly tensors: Params;
}

/** Parameters as graph inputs named by their parameter names (new weights load without recompiling). */
export function paramInputs(
  c: ModelConfig,
  dtype: 'float32' | 'float64' = 'float32',
): Record<string, G.Tensor> {
  return Object.fromEntries(Object.entries(paramShapes(c)).map(([n, s]) => [n, G.input(n, dtype, s)]));
}

/** Parameters baked into the graph as named initializers. */
export function paramConstants(
  c: ModelConfig,
  values: Readonly<Record<string, Float32Array>>,
): Record<string, G.Tensor> {
  return Object.fromEntries(
    Object.entries(paramShapes(c)).map(([name, shape]) => {
      const v = values[name];
      if (!v) throw new ConfigError(`missing parameter '${name}'`);
      const t = G.constant(v, 'float32', shape);
      return [name, new G.Tensor('Const', [], { data: t.attrs.data!, name }, 'float32', shape)];
    }),
  );
}

/** Graph tensors of one forward pass: token ids, positions, attention mask, optional past key/values and LoRA. */
export interface ForwardInputs {
  /** [B, T] int64 token ids. */
  readonly inputIds: G.Tensor;
  /** [B, T] int64 absolute positions (cumsum(attention_mask) - 1, the HF generate convention). */
  readonly positionIds: G.Tensor;
  /** [B, S] int64, 1 for real tokens (cached and new), 0 for padding. */
  readonly attentionMask: G.Tensor;
  /** Per layer, cached keys and values [B, K, P, hd] (inference only). */
  readonly past?: readonly { key: G.Tensor; value: G.Tensor }[];
  /** LoRA adapters applied on top of the weights. */
  readonly lora?: LoraTensors;
  /**
   * Every row's real tokens are the last of its past columns and the last of its new columns (the
   * generation worker's prompt passes and HF-layout decode steps, left-padded): the mask is built for
   * that layout (`leftPaddedBias`: the same attention with fewer kernels). Wrong for other layouts.
   */
  readonly leftPadded?: boolean;
  /**
   * Only the last position's logits are wanted (generation's prompt pass, `logits: 'last'`): the last
   * layer runs its queries, attention, o_proj and MLP on the last `LAST_ROWS` positions alone; its
   * keys and values, and every earlier layer, still cover every position; logits and hidden are the
   * last position's, [B, 1, ·]. The same numbers as the full pass's last position, to the bit.
   */
  readonly lastOnly?: boolean;
}

/** Graph tensors a forward pass produces: logits, final hidden states, and the key/values per layer. */
export interface ForwardOutputs {
  /** [B, T, V] next-token logits ([B, 1, V] with `lastOnly`). */
  readonly logits: G.Tensor;
  /** [B, T, d] the final norm's output, what the LM head reads (`lmHead`; [B, 1, d] with `lastOnly`). */
  readonly hidden: G.Tensor;
  /** Per layer, keys and values [B, K, S, hd] including the new tokens. */
  readonly present: { key: G.Tensor; value: G.Tensor }[];
  /** Per layer, the new tokens' keys and values only [B, K, T, hd] (`present` without the past). */
  readonly fresh: { key: G.Tensor; value: G.Tensor }[];
}

/**
 * The rotary inverse frequencies [hd / 2]: theta^(-2j / hd), with Llama 3's scaling when configured
 * (low frequencies divided by `factor`, a smooth blend between the two wavelength bounds).
 */
export function ropeInvFreq(c: ModelConfig): Float64Array {
  const hd = c.headDim;
  const inv = Float64Array.from({ length: hd / 2 }, (_, j) => 1 / c.ropeTheta ** ((2 * j) / hd));
  const s = c.ropeScaling;
  if (s === null) return inv;
  const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositions / s.highFreqFactor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / s.factor;
    const smooth =
      (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return (1 - smooth) * (f / s.factor) + smooth * f;
  });
}

/**
 * cos and sin of the rotary angles [B, 1, T, hd] at `positionIds` [B, T], in HF's cat(freqs, freqs)
 * layout for rotate_half, computed in the graph (no [maxSeqLen, hd] table in every graph).
 */
export function ropeAngles(
  c: ModelConfig,
  positionIds: G.Tensor,
  dtype: G.DType,
): { cos: G.Tensor; sin: G.Tensor } {
  const inv = G.constant(ropeInvFreq(c), dtype, [c.headDim / 2]);
  const half = G.mul(G.unsqueeze(G.cast(positionIds, dtype), [2]), inv); // [B, T, hd/2]
  // cos and sin of the half, then doubled: the same values as of the doubled angles, half the work
  const both = (t: G.Tensor) => G.unsqueeze(G.concat([t, t], -1), [1]); // [B, 1, T, hd]
  return { cos: both(G.cos(half)), sin: both(G.sin(half)) };
}

export function rmsNorm(x: G.Tensor, w: G.Tensor, eps: number): G.Tensor {
  const ms = G.reduceMean(G.mul(x, x), [-1], true); // [..., 1]
  return G.mul(G.mul(x, G.pow(G.add(ms, eps), -0.5)), w); // [..., d]
}

/**
 * RMSNorm written as HF does, x / sqrt(mean(x²) + eps) · w: the pattern onnxruntime fuses into one
 * SimplifiedLayerNormalization kernel (six kernels in rmsNorm's form). For the decode step, where a
 * kernel's fixed cost counts; its rounding differs from rmsNorm's by ~1e-7, so the train graphs keep theirs.
 */
export function rmsNormFusable(x: G.Tensor, w: G.Tensor, eps: number): G.Tensor {
  const ms = G.reduceMean(G.pow(x, 2), [-1], true); // [..., 1]
  return G.mul(G.div(x, G.sqrt(G.add(ms, eps))), w); // [..., d]
}

/** HF rotate_half convention: x*cos + cat(-x2, x1)*sin on [B, H, T, hd]. */
export function rope(x: G.Tensor, cos: G.Tensor, sin: G.Tensor, hd: number): G.Tensor {
  const x1 = G.slice(x, [-1], [0], [hd / 2]); // [B, H, T, hd/2]
  const x2 = G.slice(x, [-1], [hd / 2], [hd]); // [B, H, T, hd/2]
  const rotated = G.concat([G.neg(x2), x1], -1); // [B, H, T, hd]
  return G.add(G.mul(x, cos), G.mul(rotated, sin)); // [B, H, T, hd]
}

/** One projection `model.layers.{layer}.{module}` of x: W x (+ b) (+ scale · B A x with a LoRA adapter). */
export function project(
  p: Params,
  lora: LoraTensors | undefined,
  x: G.Tensor,
  layer: number,
  module: string,
): G.Tensor {
  const name = `model.layers.${layer}.${module}`;
  let y = G.linear(x, p[`${name}.weight`]!);
  const bias = p[`${name}.bias`];
  if (bias) y = G.add(y, bias);
  const a = lora?.tensors[`${name}.lora_A.weight`];
  const b = lora?.tensors[`${name}.lora_B.weight`];
  if (a && b) y = G.add(y, G.mul(G.linear(G.linear(x, a), b), lora!.scale));
  return y;
}

/** [B, T, n·hd] → [B, n, T, hd]; one token per row ([B, n·hd], the decode step) → [B, n, 1, hd] by a reshape alone. */
const splitHeads = (t: G.Tensor, n: number, hd: number) =>
  t.rank === 2 ? G.reshape(t, [0, n, 1, hd]) : G.transpose(G.reshape(t, [0, 0, n, hd]), [0, 2, 1, 3]);

/**
 * Queries [B, H, T, hd] and keys, values [B, K, T, hd] of one layer from its normed input xn [B, T, d]
 * (or [B, d], one token per row: T = 1):
 * projections, Qwen3's per-head norms, rotary positions (HF's order). With `lastQuery` (xn [B, T, d]),
 * the queries of the last `LAST_ROWS` positions only.
 */
export function attentionQkv(
  c: ModelConfig,
  p: Params,
  lora: LoraTensors | undefined,
  layer: number,
  xn: G.Tensor,
  rot: { cos: G.Tensor; sin: G.Tensor },
  lastQuery = false,
): { q: G.Tensor; k: G.Tensor; v: G.Tensor } {
  const hd = c.headDim;
  const xq = lastQuery ? lastPositions(xn, 1) : xn;
  const rq = lastQuery ? { cos: lastPositions(rot.cos, 2), sin: lastPositions(rot.sin, 2) } : rot;
  let q = splitHeads(project(p, lora, xq, layer, 'self_attn.q_proj'), c.nHeads, hd);
  let k = splitHeads(project(p, lora, xn, layer, 'self_attn.k_proj'), c.nKvHeads, hd);
  const v = splitHeads(project(p, lora, xn, layer, 'self_attn.v_proj'), c.nKvHeads, hd);
  if (c.qkNorm) {
    q = rmsNorm(q, p[`model.layers.${layer}.self_attn.q_norm.weight`]!, c.rmsNormEps);
    k = rmsNorm(k, p[`model.layers.${layer}.self_attn.k_norm.weight`]!, c.rmsNormEps);
  }
  return { q: rope(q, rq.cos, rq.sin, hd), k: rope(k, rot.cos, rot.sin, hd), v };
}

/**
 * How many positions a `lastOnly` pass's last layer runs (fewer when the pass has fewer). Two, not one:
 * onnxruntime's CPU matmuls take a vector path for a single row (MLAS's one-row GEMV), whose sums round
 * differently from the same row's among others; from two rows on, a row's bits do not depend on how
 * many rows run beside it (checked bitwise on the prompt pass graph, test/learner/inference.test.ts).
 */
export const LAST_ROWS = 2;

/** The last `n` indices of `axis` (all of them when it has fewer). */
const lastPositions = (x: G.Tensor, axis: number, n = LAST_ROWS) =>
  G.slice(x, [axis], [-n], [Number.POSITIVE_INFINITY]);

/** Query heads grouped by the key/value head they share: [B, H, T, hd] → [B, K, H/K, T, hd] (HF repeat_kv's order). */
export const groupQueries = (c: ModelConfig, q: G.Tensor) =>
  G.reshape(q, [0, c.nKvHeads, c.nHeads / c.nKvHeads, -1, c.headDim]);

/** [B, K, H/K, T, hd] attention output → [B, T, H·hd], the o_proj input. */
export const mergeHeads = (c: ModelConfig, attn: G.Tensor) =>
  G.reshape(G.transpose(G.reshape(attn, [0, c.nHeads, -1, c.headDim]), [0, 2, 1, 3]), [
    0,
    0,
    c.nHeads * c.headDim,
  ]);

/** SwiGLU MLP of one layer on its normed input: down(silu(gate(x)) · up(x)). */
export function mlpBlock(p: Params, lora: LoraTensors | undefined, layer: number, xn: G.Tensor): G.Tensor {
  const gate = project(p, lora, xn, layer, 'mlp.gate_proj');
  const act = G.mul(G.mul(gate, G.sigmoid(gate)), project(p, lora, xn, layer, 'mlp.up_proj'));
  return project(p, lora, act, layer, 'mlp.down_proj');
}

/** The forward pass. Works in the params' dtype (float32, or float64 for gradient checks). */
export function forward(c: ModelConfig, p: Params, x: ForwardInputs): ForwardOutputs {
  const dtype = p['model.embed_tokens.weight']!.dtype;
  const rot = ropeAngles(c, x.positionIds, dtype);

  const bias = x.leftPadded ? leftPaddedBias(x, dtype) : attentionBias(x, dtype); // [B, 1, 1, T, S]

  let h = G.gather(p['model.embed_tokens.weight']!, x.inputIds); // [B, T, d]
  const present: { key: G.Tensor; value: G.Tensor }[] = [];
  const fresh: { key: G.Tensor; value: G.Tensor }[] = [];
  for (let i = 0; i < c.nLayers; i++) {
    const norm = (name: string) => p[`model.layers.${i}.${name}.weight`]!;
    // with lastOnly, the last layer's queries on the last LAST_ROWS positions alone (T below reads that)
    const last = x.lastOnly === true && i === c.nLayers - 1;
    const xn = rmsNorm(h, norm('input_layernorm'), c.rmsNormEps); // [B, T, d]
    const qkv = attentionQkv(c, p, x.lora, i, xn, rot, last);
    let { k, v } = qkv; // [B, K, T, hd]
    fresh.push({ key: k, value: v });
    const past = x.past?.[i];
    if (past) {
      k = G.concat([past.key, k], 2); // [B, K, S, hd]
      v = G.concat([past.value, v], 2); // [B, K, S, hd]
    }
    present.push({ key: k, value: v });
    const q = G.mul(groupQueries(c, qkv.q), 1 / Math.sqrt(c.headDim)); // [B, K, H/K, T, hd]
    const rowBias = last ? lastPositions(bias, 3) : bias;
    const scores = G.add(G.matmul(q, G.transposeLast(G.unsqueeze(k, [2]))), rowBias); // [B, K, H/K, T, S]
    const attn = G.matmul(G.softmax(scores, -1), G.unsqueeze(v, [2])); // [B, K, H/K, T, hd]
    if (last) h = lastPositions(h, 1);
    h = G.add(h, project(p, x.lora, mergeHeads(c, attn), i, 'self_attn.o_proj')); // [B, T, d]
    h = G.add(h, mlpBlock(p, x.lora, i, rmsNorm(h, norm('post_attention_layernorm'), c.rmsNormEps))); // [B, T, d]
  }
  if (x.lastOnly) h = lastPositions(h, 1, 1); // [B, 1, d]
  const hn = rmsNorm(h, p['model.norm.weight']!, c.rmsNormEps); // [B, T, d]
  return { logits: lmHead(c, p, hn), hidden: hn, present, fresh }; // logits [B, T, V]
}

/** Next-token logits [..., V] of final hidden states [..., d] (the embedding matrix when tied). */
export function lmHead(c: ModelConfig, p: Params, hidden: G.Tensor): G.Tensor {
  return G.linear(hidden, c.tieEmbeddings ? p['model.embed_tokens.weight']! : p['lm_head.weight']!);
}

/** Positions from an attention mask, cumsum(mask) - 1 clamped at 0 (HF generate's convention). */
export function positionsFromMask(attentionMask: G.Tensor): G.Tensor {
  const p = G.sub(G.cumsum(attentionMask, 1), 1); // [B, T]
  return G.where(G.less(p, 0), 0, p); // [B, T]
}
