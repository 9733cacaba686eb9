/**
 * A Hugging Face config.json as our ModelConfig: LlamaForCausalLM,
 * Qwen2ForCausalLM and Qwen3ForCausalLM (grouped-query attention, tied or
 * untied embeddings, rope_theta, Llama 3's rope_scaling, rms_norm_eps, biases,
 * Qwen3's q/k norms, explicit head_dim). A field that would change the
 * computation in a way the model does not implement (sliding windows, MoE,
 * other rope scalings, other architectures, dropout, quantization, fields we
 * do not know) is refused with an HfConfigError naming the field and what is
 * supported: silently ignoring one would give wrong logits.
 */
import { LamerError } from '../../util/errors.js';
import { type Llama3RopeScaling, type ModelConfig, modelConfig } from '../model-config.js';

/** A config.json this model cannot run as written; the message names the field. */
export class HfConfigError extends LamerError {}

export const HF_ARCHITECTURES = {
  LlamaForCausalLM: 'llama',
  Qwen2ForCausalLM: 'qwen2',
  Qwen3ForCausalLM: 'qwen3',
} as const;
export type HfArchitecture = keyof typeof HF_ARCHITECTURES;

const SUPPORTED = `supported: ${Object.keys(HF_ARCHITECTURES).join(', ')}`;

/** Bookkeeping and generation fields of PretrainedConfig: they do not change the forward pass. */
const IGNORED = new Set([
  '_name_or_path',
  '_attn_implementation_autoset',
  'architectures',
  'model_type',
  'torch_dtype',
  'dtype',
  'transformers_version',
  'use_cache',
  'bos_token_id',
  'eos_token_id',
  'pad_token_id',
  'sep_token_id',
  'decoder_start_token_id',
  'initializer_range',
  'is_llama_config',
  'transformers.js_config',
  'max_window_layers',
  'tokenizer_class',
  'return_dict',
  'output_hidden_states',
  'output_attentions',
  'torchscript',
  'use_bfloat16',
  'pruned_heads',
  'chunk_size_feed_forward',
  'is_encoder_decoder',
  'is_decoder',
  'add_cross_attention',
  'tie_encoder_decoder',
  'max_length',
  'min_length',
  'do_sample',
  'early_stopping',
  'num_beams',
  'num_beam_groups',
  'diversity_penalty',
  'temperature',
  'top_k',
  'top_p',
  'typical_p',
  'repetition_penalty',
  'length_penalty',
  'no_repeat_ngram_size',
  'encoder_no_repeat_ngram_size',
  'bad_words_ids',
  'num_return_sequences',
  'output_scores',
  'return_dict_in_generate',
  'forced_bos_token_id',
  'forced_eos_token_id',
  'remove_invalid_values',
  'exponential_decay_length_penalty',
  'suppress_tokens',
  'begin_suppress_tokens',
  'finetuning_task',
  'id2label',
  'label2id',
  'problem_type',
  'prefix',
  'task_specific_params',
  'cross_attention_hidden_size',
  'tf_legacy_loss',
  'bad_words',
]);

/** Fields the model reads (below); everything else must be in IGNORED or is refused. */
const READ = new Set([
  'vocab_size',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'head_dim',
  'hidden_act',
  'max_position_embeddings',
  'rms_norm_eps',
  'rope_theta',
  'rope_scaling',
  'rope_parameters',
  'tie_word_embeddings',
  'attention_bias',
  'mlp_bias',
  'attention_dropout',
  'pretraining_tp',
  'rope_interleaved',
  'use_sliding_window',
  'sliding_window',
  'layer_types',
  'use_mrope',
]);

type Json = Record<string, unknown>;

function fail(where: string, field: string, problem: string): never {
  throw new HfConfigError(`${where}: "${field}" ${problem}`);
}

function positiveInt(where: string, c: Json, field: string, fallback?: number): number {
  const v = c[field] ?? fallback;
  if (!(typeof v === 'number' && Number.isInteger(v) && v > 0))
    fail(where, field, `must be a positive integer, got ${JSON.stringify(c[field])}`);
  return v;
}

function positiveNumber(where: string, c: Json, field: string, fallback: number): number {
  const v = c[field] ?? fallback;
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0))
    fail(where, field, `must be a positive number, got ${JSON.stringify(c[field])}`);
  return v;
}

function flag(where: string, c: Json, field: string): boolean {
  const v = c[field] ?? false;
  if (typeof v !== 'boolean') fail(where, field, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** The architecture named by `architectures` (or, without it, `model_type`). */
export function hfArchitecture(c: Json, where = 'config.json'): HfArchitecture {
  const archs = c.architectures;
  if (archs !== undefined) {
    if (!Array.isArray(archs) || archs.length !== 1 || typeof archs[0] !== 'string')
      fail(where, 'architectures', `must name one architecture (${SUPPORTED})`);
    const a = archs[0] as string;
    if (!Object.hasOwn(HF_ARCHITECTURES, a))
      fail(where, 'architectures', `is ${a}, not supported (${SUPPORTED})`);
    const arch = a as HfArchitecture;
    if (c.model_type !== undefined && c.model_type !== HF_ARCHITECTURES[arch])
      fail(
        where,
        'model_type',
        `is ${JSON.stringify(c.model_type)}, but ${arch} is "${HF_ARCHITECTURES[arch]}"`,
      );
    return arch;
  }
  const found = Object.entries(HF_ARCHITECTURES).find(([, t]) => t === c.model_type);
  if (!found) fail(where, 'model_type', `is ${JSON.stringify(c.model_type)}, not supported (${SUPPORTED})`);
  return found[0] as HfArchitecture;
}

/** rope_scaling / rope_parameters: none, `default`, or Llama 3's; other types are refused. */
function ropeOf(where: string, c: Json): { theta: number; scaling: Llama3RopeScaling | null } {
  const params = c.rope_parameters;
  const field = params !== undefined && params !== null ? 'rope_parameters' : 'rope_scaling';
  const r = (params ?? c.rope_scaling ?? null) as Json | null;
  const theta =
    r !== null && typeof r.rope_theta === 'number'
      ? r.rope_theta
      : positiveNumber(where, c, 'rope_theta', 10000);
  if (r === null) return { theta, scaling: null };
  if (typeof r !== 'object' || Array.isArray(r)) fail(where, field, 'must be an object or null');
  const type = r.rope_type ?? r.type ?? 'default';
  if (type === 'default') return { theta, scaling: null };
  if (type !== 'llama3')
    fail(where, `${field}.rope_type`, `is ${JSON.stringify(type)}; supported: none, "default", "llama3"`);
  const num = (k: string) => positiveNumber(where, r, k, Number.NaN);
  return {
    theta,
    scaling: {
      kind: 'llama3',
      factor: num('factor'),
      lowFreqFactor: num('low_freq_factor'),
      highFreqFactor: num('high_freq_factor'),
      originalMaxPositions: num('original_max_position_embeddings'),
    },
  };
}

/** Checks of the fields that only select features we do not implement. */
function refuseUnsupported(where: string, c: Json, arch: HfArchitecture): void {
  for (const key of Object.keys(c))
    if (!READ.has(key) && !IGNORED.has(key))
      fail(
        where,
        key,
        `is not a field lamer's ${arch} understands (MoE, multimodal and other variants are not supported; ${SUPPORTED} ` +
          'in their standard form); if it does not change the computation, remove it from config.json',
      );
  if ((c.hidden_act ?? 'silu') !== 'silu')
    fail(where, 'hidden_act', `is ${JSON.stringify(c.hidden_act)}; supported: "silu"`);
  if ((c.attention_dropout ?? 0) !== 0)
    fail(where, 'attention_dropout', 'must be 0 (attention dropout is not implemented)');
  if ((c.pretraining_tp ?? 1) !== 1)
    fail(where, 'pretraining_tp', 'must be 1 (the sliced-projection variant is not implemented)');
  if (c.rope_interleaved === true)
    fail(where, 'rope_interleaved', 'must be false (rotate_half rotary positions only)');
  if (c.use_sliding_window === true)
    fail(where, 'use_sliding_window', 'must be false: sliding-window attention is not supported');
  if (arch === 'LlamaForCausalLM' && c.sliding_window !== undefined && c.sliding_window !== null)
    fail(where, 'sliding_window', 'must be null: sliding-window attention is not supported');
  if (c.use_mrope === true)
    fail(where, 'use_mrope', 'must be false (multimodal rotary positions are not supported)');
  const types = c.layer_types;
  if (types !== undefined && (!Array.isArray(types) || types.some((t) => t !== 'full_attention')))
    fail(where, 'layer_types', 'must list "full_attention" only: sliding-window layers are not supported');
  if (arch !== 'LlamaForCausalLM' && c.mlp_bias === true)
    fail(where, 'mlp_bias', `does not exist in ${arch}`);
  if (arch === 'Qwen2ForCausalLM' && c.attention_bias !== undefined)
    fail(
      where,
      'attention_bias',
      'does not exist in Qwen2ForCausalLM (its q/k/v projections always have biases)',
    );
}

/** Our ModelConfig for a Hugging Face config.json object; `where` names the file in errors. */
export function modelConfigFromHf(c: Json, where = 'config.json'): ModelConfig {
  if (c.text_config !== undefined) fail(where, 'text_config', `is a multimodal config; ${SUPPORTED}`);
  const arch = hfArchitecture(c, where);
  refuseUnsupported(where, c, arch);
  const heads = positiveInt(where, c, 'num_attention_heads');
  const hidden = positiveInt(where, c, 'hidden_size');
  const kvHeads = positiveInt(where, c, 'num_key_value_heads', heads);
  if (heads % kvHeads !== 0)
    fail(where, 'num_key_value_heads', `(${kvHeads}) must divide num_attention_heads (${heads})`);
  const headDim =
    c.head_dim === undefined || c.head_dim === null ? hidden / heads : positiveInt(where, c, 'head_dim');
  if (!Number.isInteger(headDim) || headDim % 2 !== 0)
    fail(where, 'head_dim', `(${headDim}) must be an even integer for rotary positions`);
  const rope = ropeOf(where, c);
  const attentionBias = flag(where, c, 'attention_bias');
  return modelConfig({
    vocabSize: positiveInt(where, c, 'vocab_size'),
    dModel: hidden,
    nLayers: positiveInt(where, c, 'num_hidden_layers'),
    nHeads: heads,
    nKvHeads: kvHeads,
    headDim,
    ffnHidden: positiveInt(where, c, 'intermediate_size'),
    maxSeqLen: positiveInt(where, c, 'max_position_embeddings', 2048),
    ropeTheta: rope.theta,
    ropeScaling: rope.scaling,
    rmsNormEps: positiveNumber(where, c, 'rms_norm_eps', 1e-6),
    tieEmbeddings: flag(where, c, 'tie_word_embeddings'),
    attentionBias: arch === 'Qwen2ForCausalLM' ? 'qkv' : attentionBias ? 'qkvo' : 'none',
    mlpBias: arch === 'LlamaForCausalLM' && flag(where, c, 'mlp_bias'),
    qkNorm: arch === 'Qwen3ForCausalLM',
    initStd: typeof c.initializer_range === 'number' ? c.initializer_range : 0.02,
  });
}
