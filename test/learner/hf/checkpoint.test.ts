import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensorsFile } from '../../../src/learner/checkpoint.js';
import { HfConfigError, modelConfigFromHf } from '../../../src/learner/hf/config.js';
import { readPeftAdapter, writePeftAdapter } from '../../../src/learner/hf/peft.js';
import { randomHfParams } from '../../../src/learner/hf/tiny.js';
import {
  externalWeights,
  HfWeightsError,
  readHfCheckpoint,
  readHfParams,
  readHfTensor,
} from '../../../src/learner/hf/weights.js';
import { writeHfFolder } from '../../../src/learner/hf/write.js';
import { loraConfig, loraShapes } from '../../../src/learner/lora.js';
import { hfConfig, modelConfig, normalValues } from '../../../src/learner/model.js';
import { Rng } from '../../../src/util/rng.js';

/** Parts of real published config.json files (SmolLM2-135M-Instruct, Qwen2.5-0.5B, Qwen3-0.6B, Llama-3.2-1B). */
const SMOLLM2 = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: 'silu',
  hidden_size: 576,
  initializer_range: 0.041666666666666664,
  intermediate_size: 1536,
  is_llama_config: true,
  max_position_embeddings: 8192,
  mlp_bias: false,
  model_type: 'llama',
  num_attention_heads: 9,
  num_hidden_layers: 30,
  num_key_value_heads: 3,
  pad_token_id: 2,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_interleaved: false,
  rope_scaling: null,
  rope_theta: 100000,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.42.3',
  'transformers.js_config': { kv_cache_dtype: { q4f16: 'float16', fp16: 'float16' } },
  use_cache: true,
  vocab_size: 49152,
};
const QWEN3 = {
  architectures: ['Qwen3ForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151645,
  head_dim: 128,
  hidden_act: 'silu',
  hidden_size: 1024,
  initializer_range: 0.02,
  intermediate_size: 3072,
  max_position_embeddings: 40960,
  max_window_layers: 28,
  model_type: 'qwen3',
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: null,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.51.0',
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};
const QWEN25 = {
  ...QWEN3,
  architectures: ['Qwen2ForCausalLM'],
  model_type: 'qwen2',
  hidden_size: 896,
  num_attention_heads: 14,
  num_key_value_heads: 2,
  intermediate_size: 4864,
  num_hidden_layers: 24,
  sliding_window: 32768,
  head_dim: undefined,
  attention_bias: undefined,
};
const LLAMA32 = {
  ...SMOLLM2,
  head_dim: 64,
  hidden_size: 2048,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  rope_theta: 500000,
  rope_scaling: {
    factor: 32.0,
    high_freq_factor: 4.0,
    low_freq_factor: 1.0,
    original_max_position_embeddings: 8192,
    rope_type: 'llama3',
  },
};

describe('config.json', () => {
  it('reads the published configs of SmolLM2, Qwen2.5, Qwen3 and Llama 3.2', () => {
    expect(modelConfigFromHf(SMOLLM2)).toMatchObject({
      nHeads: 9,
      nKvHeads: 3,
      headDim: 64,
      tieEmbeddings: true,
      attentionBias: 'none',
    });
    const q25 = modelConfigFromHf(JSON.parse(JSON.stringify(QWEN25)));
    expect(q25).toMatchObject({ attentionBias: 'qkv', qkNorm: false, headDim: 64, nKvHeads: 2 });
    expect(modelConfigFromHf(QWEN3)).toMatchObject({
      qkNorm: true,
      headDim: 128,
      attentionBias: 'none',
      ropeTheta: 1e6,
    });
    expect(modelConfigFromHf(LLAMA32).ropeScaling).toEqual({
      kind: 'llama3',
      factor: 32,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositions: 8192,
    });
  });

  it('round-trips our own configs through hfConfig', () => {
    for (const c of [
      modelConfig({ nHeads: 4, nKvHeads: 2 }),
      modelConfig({ attentionBias: 'qkv', tieEmbeddings: false }),
      modelConfig({ qkNorm: true, headDim: 48, attentionBias: 'qkvo' }),
      modelConfig({
        mlpBias: true,
        ropeScaling: {
          kind: 'llama3',
          factor: 8,
          lowFreqFactor: 1,
          highFreqFactor: 4,
          originalMaxPositions: 512,
        },
      }),
    ])
      expect(modelConfigFromHf(JSON.parse(JSON.stringify(hfConfig(c))))).toEqual({
        ...c,
        initStd: c.initStd,
      });
  });

  it('refuses what it does not implement, naming the field and what is supported', () => {
    const refused: [Record<string, unknown>, RegExp][] = [
      [{ ...QWEN3, use_sliding_window: true }, /"use_sliding_window" must be false/],
      [
        { ...QWEN3, architectures: ['Qwen3MoeForCausalLM'] },
        /"architectures" is Qwen3MoeForCausalLM, not supported \(supported: LlamaForCausalLM/,
      ],
      [{ ...QWEN3, num_experts: 64 }, /"num_experts" is not a field/],
      [
        { ...SMOLLM2, rope_scaling: { rope_type: 'yarn', factor: 4 } },
        /"rope_scaling.rope_type" is "yarn"; supported: none, "default", "llama3"/,
      ],
      [{ ...SMOLLM2, hidden_act: 'gelu' }, /"hidden_act" is "gelu"; supported: "silu"/],
      [{ ...SMOLLM2, layer_types: ['sliding_attention'] }, /"layer_types" must list "full_attention" only/],
      [{ ...SMOLLM2, quantization_config: { bits: 4 } }, /"quantization_config" is not a field/],
      [
        { ...SMOLLM2, num_key_value_heads: 4 },
        /"num_key_value_heads" \(4\) must divide num_attention_heads \(9\)/,
      ],
      [
        { ...SMOLLM2, model_type: 'mistral', architectures: undefined },
        /"model_type" is "mistral", not supported/,
      ],
    ];
    for (const [c, message] of refused) {
      expect(() => modelConfigFromHf(JSON.parse(JSON.stringify(c)))).toThrow(HfConfigError);
      expect(() => modelConfigFromHf(JSON.parse(JSON.stringify(c)))).toThrow(message);
    }
  });
});

describe('safetensors weights', () => {
  let root: string;
  const config = modelConfig({
    vocabSize: 40,
    dModel: 16,
    nLayers: 2,
    nHeads: 4,
    nKvHeads: 2,
    ffnHidden: 24,
    tieEmbeddings: true,
  });
  const params = randomHfParams(config, 9);
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'lamer-hf-weights-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads F32 shards in place (no copy), BF16 through a float32 copy made once, values widened exactly', async () => {
    const f32 = join(root, 'f32');
    await writeHfFolder(f32, { config, params, dtype: 'F32', shards: 3 });
    const ck = await readHfCheckpoint(f32, config);
    expect(ck.files).toHaveLength(3);
    expect(ck.tensors['lm_head.weight']).toBeUndefined(); // tied: absent from the files, the embedding serves
    const w = await externalWeights(ck, join(root, 'cache'));
    expect(w.dir).toBe(f32);
    expect(w.refs['model.norm.weight']!.location).toMatch(/^model-0000\d-of-00003\.safetensors$/);
    expect(await readHfParams(ck)).toEqual(params);

    const bf16 = join(root, 'bf16');
    await writeHfFolder(bf16, { config, params, dtype: 'BF16' });
    const ck2 = await readHfCheckpoint(bf16, config);
    expect(ck2.dtype).toBe('BF16');
    const cached = await externalWeights(ck2, join(root, 'cache'));
    expect(cached.dir.startsWith(join(root, 'cache'))).toBe(true);
    const data = readFileSync(join(cached.dir, 'weights.f32'));
    const name = 'model.layers.1.mlp.up_proj.weight';
    const ref = cached.refs[name]!;
    const copy = new Float32Array(
      data.buffer.slice(data.byteOffset + ref.offset, data.byteOffset + ref.offset + ref.length),
    );
    expect(copy).toEqual(await readHfTensor(ck2.tensors[name]!));
    // bf16 keeps 8 bits of mantissa: within 2^-8 of the float32 value
    for (const [i, v] of copy.entries())
      expect(Math.abs(v - params[name]![i]!)).toBeLessThanOrEqual(Math.abs(params[name]![i]!) / 256);
    const mtime = statSync(join(cached.dir, 'weights.f32')).mtimeMs;
    await externalWeights(ck2, join(root, 'cache')); // the second time reuses the copy
    expect(statSync(join(cached.dir, 'weights.f32')).mtimeMs).toBe(mtime);
  });

  it('names a missing tensor, a mismatched shape, a shard the index lists but lacks, and an unknown tensor', async () => {
    const dir = join(root, 'bad');
    const untied = modelConfig({ ...config, tieEmbeddings: false });
    await writeHfFolder(dir, { config, params, dtype: 'F32' });
    await expect(readHfCheckpoint(dir, untied)).rejects.toThrow(
      /tensor "lm_head.weight" \(shape \[40, 16\]\) is missing from the checkpoint/,
    );
    await expect(readHfCheckpoint(dir, modelConfig({ ...config, ffnHidden: 32 }))).rejects.toThrow(
      /tensor "model.layers.0.mlp.gate_proj.weight" has shape \[24, 16\], expected \[32, 16\]/,
    );
    await expect(readHfCheckpoint(dir, modelConfig({ ...config, nLayers: 1 }))).rejects.toThrow(
      /tensor "model.layers.1.input_layernorm.weight" is not a parameter of this 1-layer model/,
    );
    const sharded = join(root, 'sharded');
    await writeHfFolder(sharded, { config, params, dtype: 'F32', shards: 2 });
    const index = JSON.parse(await readFile(join(sharded, 'model.safetensors.index.json'), 'utf8'));
    index.weight_map['model.norm.weight'] = 'model-00003-of-00003.safetensors';
    await writeFile(join(sharded, 'model.safetensors.index.json'), JSON.stringify(index));
    await expect(readHfCheckpoint(sharded, config)).rejects.toThrow(HfWeightsError);
    await expect(readHfCheckpoint(sharded, config)).rejects.toThrow(
      /lists shard model-00003-of-00003.safetensors, which is not in/,
    );
    await expect(readHfCheckpoint(join(root, 'nothing'), config)).rejects.toThrow(
      /has neither model.safetensors nor/,
    );
  });
});

describe('PEFT adapter folders', () => {
  it('round-trips adapters with PEFT names; refuses what our LoRA cannot run, naming the field', async () => {
    const root = await mkdtemp(join(tmpdir(), 'lamer-peft-'));
    const config = modelConfig({
      vocabSize: 30,
      dModel: 16,
      nLayers: 2,
      nHeads: 4,
      nKvHeads: 2,
      ffnHidden: 24,
    });
    const lora = loraConfig({ rank: 3, alpha: 5, targets: ['q', 'v', 'down'], rslora: true });
    const rng = Rng.seeded(4);
    const adapters = Object.fromEntries(
      Object.entries(loraShapes(config, lora)).map(([n, s]) => [n, normalValues(s[0]! * s[1]!, 1, rng)]),
    );
    const dir = join(root, 'adapter');
    await writePeftAdapter(dir, config, lora, adapters, 'org/base');
    const names = Object.keys((await readSafetensorsFile(join(dir, 'adapter_model.safetensors'))).tensors);
    expect(names).toContain('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    expect(names).toContain('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight');
    const cfg = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({
      peft_type: 'LORA',
      r: 3,
      lora_alpha: 5,
      use_rslora: true,
      target_modules: ['q_proj', 'v_proj', 'down_proj'],
    });
    const back = await readPeftAdapter(dir, config);
    expect(back).toEqual({ lora, adapters, baseModel: 'org/base' });
    await writePeftAdapter(dir, config, lora, adapters); // replaces the folder as a whole
    for (const [field, value, message] of [
      ['use_dora', true, /"use_dora" must be false/],
      ['target_modules', ['qkv_proj'], /"target_modules" names qkv_proj; supported: q_proj/],
      ['rank_pattern', { q_proj: 8 }, /"rank_pattern" must be empty/],
    ] as const) {
      await writeFile(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, [field]: value }));
      await expect(readPeftAdapter(dir, config)).rejects.toThrow(message);
    }
    await writeFile(join(dir, 'adapter_config.json'), JSON.stringify(cfg));
    await expect(readPeftAdapter(dir, modelConfig({ ...config, dModel: 32 }))).rejects.toThrow(
      /has shape \[3,16\], expected \[3,32\]/,
    );
    await rm(root, { recursive: true, force: true });
  });
});
