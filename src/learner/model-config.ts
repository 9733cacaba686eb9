/**
 * The model's configuration, parameter names and shapes, and seeded init: one
 * decoder-only transformer in the Llama layout, of which the built-in model
 * and Hugging Face's LlamaForCausalLM, Qwen2ForCausalLM and Qwen3ForCausalLM
 * are configurations. Qwen2 is Llama with q/k/v biases; Qwen3 is Llama with a
 * per-head RMSNorm of queries and keys and an explicit head width. Parameter
 * names and layouts are Hugging Face's (Linear weights [out, in]), so the
 * weights of one are a checkpoint of the other (`hfConfig` writes its
 * config.json; `hf/config.ts` reads one).
 */
import { ConfigError } from '../util/errors.js';
import { deriveSeed, Rng } from '../util/rng.js';

/** Llama 3's rotary frequency scaling (`rope_scaling.rope_type: llama3`). */
export interface Llama3RopeScaling {
  readonly kind: 'llama3';
  readonly factor: number;
  readonly lowFreqFactor: number;
  readonly highFreqFactor: number;
  readonly originalMaxPositions: number;
}

/** Shape of a decoder-only transformer (Llama/Qwen layout): vocabulary, width, layers, heads, FFN width, context, rotary settings, init. */
export interface ModelConfig {
  /** V. Size of the project's byte-level BPE vocabulary (256 bytes + merges + specials); take it from tokenizer.json. */
  readonly vocabSize: number;
  /** d. Width of the residual stream. 128 keeps a train step on 2 CPU cores well under a second at 2k tokens. */
  readonly dModel: number;
  /** Number of transformer blocks. 4 blocks of width 128 is about 1M parameters: trainable in minutes on a CPU. */
  readonly nLayers: number;
  /** H. Attention (query) heads; head width hd = dModel / nHeads = 32, the smallest width rotary positions work well with. */
  readonly nHeads: number;
  /** Key/value heads: nHeads / nKvHeads query heads share one (grouped-query attention). Default nHeads. */
  readonly nKvHeads: number;
  /** hd. Width of one head; default dModel / nHeads (Qwen3 sets it explicitly). */
  readonly headDim: number;
  /** F. SwiGLU hidden width: about 8/3 of dModel (Llama's rule), rounded up to a multiple of 32. */
  readonly ffnHidden: number;
  /** Longest sequence (prompt + response) the model is used at (HF max_position_embeddings); compact prompts fit in 1024 tokens. */
  readonly maxSeqLen: number;
  /** Rotary base frequency (Llama 2's 10000; larger bases only matter for long contexts). */
  readonly ropeTheta: number;
  /** Llama 3's rotary frequency scaling, or null (plain rotary positions). */
  readonly ropeScaling: Llama3RopeScaling | null;
  /** Added to the mean square in RMSNorm. */
  readonly rmsNormEps: number;
  /** Share the token embedding with the LM head: saves V*d parameters, usual for small models. */
  readonly tieEmbeddings: boolean;
  /** Biases of the attention projections: none (Llama), q/k/v (Qwen2), q/k/v/o (Llama or Qwen3 attention_bias). */
  readonly attentionBias: 'none' | 'qkv' | 'qkvo';
  /** Biases of gate/up/down (Llama mlp_bias). */
  readonly mlpBias: boolean;
  /** Per-head RMSNorm of queries and keys before the rotary positions (Qwen3). */
  readonly qkNorm: boolean;
  /** Std of the normal init of embeddings and projections (HF `initializer_range`). */
  readonly initStd: number;
}

/** The built-in model: 4 layers of width 128, 4 heads, 1024-token vocabulary and context (about 1M parameters). */
export const DEFAULT_MODEL_CONFIG: ModelConfig = {
  vocabSize: 1024,
  dModel: 128,
  nLayers: 4,
  nHeads: 4,
  nKvHeads: 4,
  headDim: 32,
  ffnHidden: 352,
  maxSeqLen: 1024,
  ropeTheta: 10000,
  ropeScaling: null,
  rmsNormEps: 1e-5,
  tieEmbeddings: true,
  attentionBias: 'none',
  mlpBias: false,
  qkNorm: false,
  initStd: 0.02,
};

/**
 * A full config from overrides; `nKvHeads` defaults to `nHeads` and `headDim` to dModel / nHeads
 * (not to the default model's values), so a config that sets only the width stays consistent.
 */
export function modelConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  const base = { ...DEFAULT_MODEL_CONFIG, ...overrides };
  const c: ModelConfig = {
    ...base,
    nKvHeads: overrides.nKvHeads ?? base.nHeads,
    headDim: overrides.headDim ?? base.dModel / base.nHeads,
  };
  for (const k of ['vocabSize', 'dModel', 'nLayers', 'nHeads', 'nKvHeads', 'ffnHidden', 'maxSeqLen'] as const)
    if (!Number.isInteger(c[k]) || c[k] < 1)
      throw new ConfigError(`model config: ${k} must be a positive integer`);
  if (!Number.isInteger(c.headDim) || c.headDim % 2 !== 0)
    throw new ConfigError(
      overrides.headDim === undefined
        ? 'model config: dModel / nHeads (the head width) must be an even integer'
        : 'model config: headDim must be an even integer',
    );
  if (c.nHeads % c.nKvHeads !== 0)
    throw new ConfigError(
      `model config: nHeads (${c.nHeads}) must be a multiple of nKvHeads (${c.nKvHeads})`,
    );
  if (!['none', 'qkv', 'qkvo'].includes(c.attentionBias))
    throw new ConfigError("model config: attentionBias must be 'none', 'qkv' or 'qkvo'");
  return c;
}

/** Width of one attention head (`c.headDim`). */
export const headDim = (c: ModelConfig): number => c.headDim;

/**
 * A ModelConfig saved as JSON (checkpoints, exports): its known fields, the missing ones filled as
 * `modelConfig` does (saves from before a field existed); null when it holds none.
 */
export function savedModelConfig(saved: unknown): ModelConfig | null {
  if (typeof saved !== 'object' || saved === null) return null;
  const known = Object.fromEntries(
    Object.keys(DEFAULT_MODEL_CONFIG)
      .filter((k) => k in saved)
      .map((k) => [k, (saved as Record<string, unknown>)[k]]),
  ) as Partial<ModelConfig>;
  return Object.keys(known).length === 0 ? null : modelConfig(known);
}

/** Hugging Face's architecture of a config: Qwen3 (q/k norms), Qwen2 (q/k/v biases) or Llama. */
export function architectureOf(c: ModelConfig): 'LlamaForCausalLM' | 'Qwen2ForCausalLM' | 'Qwen3ForCausalLM' {
  if ((c.qkNorm || c.attentionBias === 'qkv') && c.mlpBias)
    throw new ConfigError(
      'model config: mlpBias exists in Llama only (no q/k norms, attentionBias none or qkvo)',
    );
  if (c.qkNorm && c.attentionBias === 'qkv')
    throw new ConfigError("model config: with qkNorm (Qwen3) attentionBias is 'none' or 'qkvo'");
  if (c.qkNorm) return 'Qwen3ForCausalLM';
  return c.attentionBias === 'qkv' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM';
}

/** The attention and MLP projections of a layer, with their [out, in] shapes. */
export function projections(c: ModelConfig): Record<string, [number, number]> {
  const { dModel: d, nHeads: H, nKvHeads: K, headDim: hd, ffnHidden: F } = c;
  return {
    'self_attn.q_proj': [H * hd, d],
    'self_attn.k_proj': [K * hd, d],
    'self_attn.v_proj': [K * hd, d],
    'self_attn.o_proj': [d, H * hd],
    'mlp.gate_proj': [F, d],
    'mlp.up_proj': [F, d],
    'mlp.down_proj': [d, F],
  };
}

function hasBias(c: ModelConfig, module: string): boolean {
  if (module.startsWith('mlp.')) return c.mlpBias;
  if (module === 'self_attn.o_proj') return c.attentionBias === 'qkvo';
  return c.attentionBias !== 'none';
}

/** Parameter names and shapes, in Hugging Face order and layout (Linear weights are [out, in]). */
export function paramShapes(c: ModelConfig): Record<string, number[]> {
  const { vocabSize: V, dModel: d } = c;
  const s: Record<string, number[]> = { 'model.embed_tokens.weight': [V, d] };
  for (let i = 0; i < c.nLayers; i++) {
    const p = `model.layers.${i}`;
    s[`${p}.input_layernorm.weight`] = [d];
    for (const [m, [out, inn]] of Object.entries(projections(c))) {
      if (m === 'mlp.gate_proj') s[`${p}.post_attention_layernorm.weight`] = [d];
      s[`${p}.${m}.weight`] = [out, inn];
      if (hasBias(c, m)) s[`${p}.${m}.bias`] = [out];
    }
    if (c.qkNorm) {
      s[`${p}.self_attn.q_norm.weight`] = [c.headDim];
      s[`${p}.self_attn.k_norm.weight`] = [c.headDim];
    }
  }
  s['model.norm.weight'] = [d];
  if (!c.tieEmbeddings) s['lm_head.weight'] = [V, d];
  return s;
}

/** Number of parameters of the model. */
export function paramCount(c: ModelConfig): number {
  return Object.values(paramShapes(c)).reduce((n, s) => n + s.reduce((p, x) => p * x, 1), 0);
}

/** Normal(0, std) values from a seeded RNG (Box-Muller: two normals from two uniforms). */
export function normalValues(n: number, std: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng.float()));
    const t = 2 * Math.PI * rng.float();
    a[i] = std * r * Math.cos(t);
    if (i + 1 < n) a[i + 1] = std * r * Math.sin(t);
  }
  return a;
}

/**
 * Deterministic init from a seed (each tensor from its own derived seed, so
 * adding a layer does not change the others): norms 1, biases 0, everything else
 * normal(0, initStd), with the residual outputs (o_proj, down_proj) scaled
 * by 1/sqrt(2 * nLayers) as in GPT-2, so the residual stream does not grow with depth.
 */
export function initParams(c: ModelConfig, seed: number): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, shape] of Object.entries(paramShapes(c))) {
    const n = shape.reduce((p, x) => p * x, 1);
    if (name.endsWith('norm.weight')) out[name] = new Float32Array(n).fill(1);
    else if (name.endsWith('.bias')) out[name] = new Float32Array(n);
    else {
      const residual = name.endsWith('o_proj.weight') || name.endsWith('down_proj.weight');
      const std = residual ? c.initStd / Math.sqrt(2 * c.nLayers) : c.initStd;
      out[name] = normalValues(n, std, Rng.seeded(deriveSeed(seed, 'init', name)));
    }
  }
  return out;
}

/** The config.json of the equivalent Hugging Face model (Llama, Qwen2 or Qwen3, see `architectureOf`). */
export function hfConfig(c: ModelConfig): Record<string, unknown> {
  const architecture = architectureOf(c);
  const out: Record<string, unknown> = {
    architectures: [architecture],
    model_type: { LlamaForCausalLM: 'llama', Qwen2ForCausalLM: 'qwen2', Qwen3ForCausalLM: 'qwen3' }[
      architecture
    ],
    vocab_size: c.vocabSize,
    hidden_size: c.dModel,
    intermediate_size: c.ffnHidden,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvHeads,
    head_dim: c.headDim,
    hidden_act: 'silu',
    max_position_embeddings: c.maxSeqLen,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_scaling:
      c.ropeScaling === null
        ? null
        : {
            rope_type: 'llama3',
            factor: c.ropeScaling.factor,
            low_freq_factor: c.ropeScaling.lowFreqFactor,
            high_freq_factor: c.ropeScaling.highFreqFactor,
            original_max_position_embeddings: c.ropeScaling.originalMaxPositions,
          },
    tie_word_embeddings: c.tieEmbeddings,
    initializer_range: c.initStd,
    torch_dtype: 'float32',
  };
  if (architecture !== 'Qwen2ForCausalLM') out.attention_bias = c.attentionBias === 'qkvo';
  if (architecture === 'LlamaForCausalLM') out.mlp_bias = c.mlpBias;
  return out;
}
