/**
 * The built-in model: a small decoder-only transformer in the Llama layout
 * (token embedding, pre-norm RMSNorm, rotary positions, causal multi-head
 * attention, SwiGLU MLP, final norm, LM head), written once as a graph so
 * the compiler can emit its inference graph, its log-prob graph and its
 * train step. Parameter names and layouts are Hugging Face Llama's, so a
 * checkpoint of ours loads as a `LlamaForCausalLM` (see `hfLlamaConfig`).
 *
 * Shape legend: B batch, T new tokens, P cached tokens, S = P + T keys,
 * d model width, H heads, hd head width, F SwiGLU width, V vocabulary.
 */
import { ConfigError } from '../util/errors.js';
import { deriveSeed, Rng } from '../util/rng.js';
import * as G from './graph/index.js';

export interface ModelConfig {
  /** V. Size of the project's byte-level BPE vocabulary (256 bytes + merges + specials); take it from tokenizer.json. */
  readonly vocabSize: number;
  /** d. Width of the residual stream. 128 keeps a train step on 2 CPU cores well under a second at 2k tokens. */
  readonly dModel: number;
  /** Number of transformer blocks. 4 blocks of width 128 is about 1M parameters: trainable in minutes on a CPU. */
  readonly nLayers: number;
  /** H. Attention heads; head width hd = dModel / nHeads = 32, the smallest width rotary positions work well with. */
  readonly nHeads: number;
  /** F. SwiGLU hidden width: about 8/3 of dModel (Llama's rule), rounded up to a multiple of 32. */
  readonly ffnHidden: number;
  /** Longest sequence (prompt + response) the rotary tables cover; compact prompts fit in 1024 tokens. */
  readonly maxSeqLen: number;
  /** Rotary base frequency (Llama 2's 10000; larger bases only matter for long contexts). */
  readonly ropeTheta: number;
  /** Added to the mean square in RMSNorm. */
  readonly rmsNormEps: number;
  /** Share the token embedding with the LM head: saves V*d parameters, usual for small models. */
  readonly tieEmbeddings: boolean;
  /** Std of the normal init of embeddings and projections (HF `initializer_range`). */
  readonly initStd: number;
}

export const DEFAULT_MODEL_CONFIG: ModelConfig = {
  vocabSize: 1024,
  dModel: 128,
  nLayers: 4,
  nHeads: 4,
  ffnHidden: 352,
  maxSeqLen: 1024,
  ropeTheta: 10000,
  rmsNormEps: 1e-5,
  tieEmbeddings: true,
  initStd: 0.02,
};

export function modelConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  const c = { ...DEFAULT_MODEL_CONFIG, ...overrides };
  for (const k of ['vocabSize', 'dModel', 'nLayers', 'nHeads', 'ffnHidden', 'maxSeqLen'] as const)
    if (!Number.isInteger(c[k]) || c[k] < 1)
      throw new ConfigError(`model config: ${k} must be a positive integer`);
  if (c.dModel % c.nHeads !== 0 || (c.dModel / c.nHeads) % 2 !== 0)
    throw new ConfigError('model config: dModel / nHeads (the head width) must be an even integer');
  return c;
}

export const headDim = (c: ModelConfig): number => c.dModel / c.nHeads;

/** Parameter names and shapes, in Hugging Face Llama order and layout (Linear weights are [out, in]). */
export function paramShapes(c: ModelConfig): Record<string, number[]> {
  const { vocabSize: V, dModel: d, ffnHidden: F } = c;
  const s: Record<string, number[]> = { 'model.embed_tokens.weight': [V, d] };
  for (let i = 0; i < c.nLayers; i++) {
    const p = `model.layers.${i}`;
    s[`${p}.input_layernorm.weight`] = [d];
    for (const x of ['q', 'k', 'v', 'o']) s[`${p}.self_attn.${x}_proj.weight`] = [d, d];
    s[`${p}.post_attention_layernorm.weight`] = [d];
    s[`${p}.mlp.gate_proj.weight`] = [F, d];
    s[`${p}.mlp.up_proj.weight`] = [F, d];
    s[`${p}.mlp.down_proj.weight`] = [d, F];
  }
  s['model.norm.weight'] = [d];
  if (!c.tieEmbeddings) s['lm_head.weight'] = [V, d];
  return s;
}

export function paramCount(c: ModelConfig): number {
  return Object.values(paramShapes(c)).reduce((n, s) => n + s.reduce((p, x) => p * x, 1), 0);
}

/**
 * Deterministic init from a seed (each tensor from its own derived seed, so
 * adding a layer does not change the others): norms 1, everything else
 * normal(0, initStd), with the residual outputs (o_proj, down_proj) scaled
 * by 1/sqrt(2 * nLayers) as in GPT-2, so the residual stream does not grow with depth.
 */
export function initParams(c: ModelConfig, seed: number): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, shape] of Object.entries(paramShapes(c))) {
    const n = shape.reduce((p, x) => p * x, 1);
    if (name.endsWith('norm.weight')) {
      out[name] = new Float32Array(n).fill(1);
      continue;
    }
    const residual = name.endsWith('o_proj.weight') || name.endsWith('down_proj.weight');
    const std = residual ? c.initStd / Math.sqrt(2 * c.nLayers) : c.initStd;
    const rng = Rng.seeded(deriveSeed(seed, 'init', name));
    const a = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      // Box-Muller: two normals from two uniforms.
      const r = Math.sqrt(-2 * Math.log(1 - rng.float()));
      const t = 2 * Math.PI * rng.float();
      a[i] = std * r * Math.cos(t);
      if (i + 1 < n) a[i + 1] = std * r * Math.sin(t);
    }
    out[name] = a;
  }
  return out;
}

/** The config.json of the equivalent Hugging Face `LlamaForCausalLM`. */
export function hfLlamaConfig(c: ModelConfig): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: c.vocabSize,
    hidden_size: c.dModel,
    intermediate_size: c.ffnHidden,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nHeads,
    head_dim: headDim(c),
    hidden_act: 'silu',
    max_position_embeddings: c.maxSeqLen,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    tie_word_embeddings: c.tieEmbeddings,
    attention_bias: false,
    mlp_bias: false,
    initializer_range: c.initStd,
    torch_dtype: 'float32',
  };
}

export type Params = Readonly<Record<string, G.Tensor>>;

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

export interface ForwardInputs {
  /** [B, T] int64 token ids. */
  readonly inputIds: G.Tensor;
  /** [B, T] int64 absolute positions (cumsum(attention_mask) - 1, the HF generate convention). */
  readonly positionIds: G.Tensor;
  /** [B, S] int64, 1 for real tokens (cached and new), 0 for padding. */
  readonly attentionMask: G.Tensor;
  /** Per layer, cached keys and values [B, H, P, hd] (inference only). */
  readonly past?: readonly { key: G.Tensor; value: G.Tensor }[];
}

export interface ForwardOutputs {
  /** [B, T, V] next-token logits. */
  readonly logits: G.Tensor;
  /** [B, T, d] the final norm's output, what the LM head reads (`lmHead`). */
  readonly hidden: G.Tensor;
  /** Per layer, keys and values [B, H, S, hd] including the new tokens. */
  readonly present: { key: G.Tensor; value: G.Tensor }[];
}

/** Rotary tables [maxSeqLen, hd]: HF Llama's cat(freqs, freqs) layout for rotate_half. */
export function ropeTables(c: ModelConfig, dtype: G.DType): { cos: G.Tensor; sin: G.Tensor } {
  const hd = headDim(c);
  const cos = new Float64Array(c.maxSeqLen * hd);
  const sin = new Float64Array(c.maxSeqLen * hd);
  for (let p = 0; p < c.maxSeqLen; p++)
    for (let j = 0; j < hd / 2; j++) {
      const angle = p / c.ropeTheta ** ((2 * j) / hd);
      for (const at of [p * hd + j, p * hd + j + hd / 2]) {
        cos[at] = Math.cos(angle);
        sin[at] = Math.sin(angle);
      }
    }
  return { cos: G.constant(cos, dtype, [c.maxSeqLen, hd]), sin: G.constant(sin, dtype, [c.maxSeqLen, hd]) };
}

/** x @ W^T for a Linear weight W [out, in]. */
export const linear = (x: G.Tensor, w: G.Tensor) => G.matmul(x, G.transpose(w, [1, 0]));

export function rmsNorm(x: G.Tensor, w: G.Tensor, eps: number): G.Tensor {
  const ms = G.reduceMean(G.mul(x, x), [-1], true); // [B, T, 1]
  return G.mul(G.mul(x, G.pow(G.add(ms, eps), -0.5)), w); // [B, T, d]
}

/** HF rotate_half convention: x*cos + cat(-x2, x1)*sin on [B, H, T, hd]. */
export function rope(x: G.Tensor, cos: G.Tensor, sin: G.Tensor, hd: number): G.Tensor {
  const x1 = G.slice(x, [-1], [0], [hd / 2]); // [B, H, T, hd/2]
  const x2 = G.slice(x, [-1], [hd / 2], [hd]); // [B, H, T, hd/2]
  const rotated = G.concat([G.neg(x2), x1], -1); // [B, H, T, hd]
  return G.add(G.mul(x, cos), G.mul(rotated, sin)); // [B, H, T, hd]
}

/** The forward pass. Works in the params' dtype (float32, or float64 for gradient checks). */
export function forward(c: ModelConfig, p: Params, x: ForwardInputs): ForwardOutputs {
  const dtype = p['model.embed_tokens.weight']!.dtype;
  const { nHeads: H, dModel: d } = c;
  const hd = headDim(c);
  const tables = ropeTables(c, dtype);
  const cos = G.unsqueeze(G.gather(tables.cos, x.positionIds), [1]); // [B, 1, T, hd]
  const sin = G.unsqueeze(G.gather(tables.sin, x.positionIds), [1]); // [B, 1, T, hd]

  // Causal + padding mask as an additive bias: key j is visible to query i when it is a real token
  // and its position (count of real tokens before it) is at most the query's position.
  const keyPos = G.sub(G.cumsum(x.attentionMask, 1), 1); // [B, S]
  const causal = G.lessOrEqual(G.unsqueeze(keyPos, [1]), G.unsqueeze(x.positionIds, [2])); // [B, T, S]
  const real = G.unsqueeze(G.equal(x.attentionMask, 1), [1]); // [B, 1, S]
  const visible = G.and(causal, real); // [B, T, S]
  const bias = G.unsqueeze(G.where(visible, G.scalar(0, dtype), G.scalar(-1e9, dtype)), [1]); // [B, 1, T, S]

  let h = G.gather(p['model.embed_tokens.weight']!, x.inputIds); // [B, T, d]
  const present: { key: G.Tensor; value: G.Tensor }[] = [];
  for (let i = 0; i < c.nLayers; i++) {
    const w = (name: string) => p[`model.layers.${i}.${name}.weight`]!;
    const heads = (t: G.Tensor) => G.transpose(G.reshape(t, [0, 0, H, hd]), [0, 2, 1, 3]); // [B, H, T, hd]
    const xn = rmsNorm(h, w('input_layernorm'), c.rmsNormEps); // [B, T, d]
    const q = rope(heads(linear(xn, w('self_attn.q_proj'))), cos, sin, hd); // [B, H, T, hd]
    let k = rope(heads(linear(xn, w('self_attn.k_proj'))), cos, sin, hd); // [B, H, T, hd]
    let v = heads(linear(xn, w('self_attn.v_proj'))); // [B, H, T, hd]
    const past = x.past?.[i];
    if (past) {
      k = G.concat([past.key, k], 2); // [B, H, S, hd]
      v = G.concat([past.value, v], 2); // [B, H, S, hd]
    }
    present.push({ key: k, value: v });
    const scores = G.add(G.matmul(G.mul(q, 1 / Math.sqrt(hd)), G.transposeLast(k)), bias); // [B, H, T, S]
    const attn = G.matmul(G.softmax(scores, -1), v); // [B, H, T, hd]
    const merged = G.reshape(G.transpose(attn, [0, 2, 1, 3]), [0, 0, d]); // [B, T, d]
    h = G.add(h, linear(merged, w('self_attn.o_proj'))); // [B, T, d]

    const xn2 = rmsNorm(h, w('post_attention_layernorm'), c.rmsNormEps); // [B, T, d]
    const gate = linear(xn2, w('mlp.gate_proj')); // [B, T, F]
    const silu = G.mul(gate, G.sigmoid(gate)); // [B, T, F]
    const mlp = linear(G.mul(silu, linear(xn2, w('mlp.up_proj'))), w('mlp.down_proj')); // [B, T, d]
    h = G.add(h, mlp); // [B, T, d]
  }
  const hn = rmsNorm(h, p['model.norm.weight']!, c.rmsNormEps); // [B, T, d]
  return { logits: lmHead(c, p, hn), hidden: hn, present }; // logits [B, T, V]
}

/** Next-token logits [..., V] of final hidden states [..., d] (the embedding matrix when tied). */
export function lmHead(c: ModelConfig, p: Params, hidden: G.Tensor): G.Tensor {
  return linear(hidden, c.tieEmbeddings ? p['model.embed_tokens.weight']! : p['lm_head.weight']!);
}

/** Positions from an attention mask, cumsum(mask) - 1 clamped at 0 (HF generate's convention). */
export function positionsFromMask(attentionMask: G.Tensor): G.Tensor {
  const p = G.sub(G.cumsum(attentionMask, 1), 1); // [B, T]
  return G.where(G.less(p, 0), 0, p); // [B, T]
}
