import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildInferenceGraph, buildLogprobGraph } from '../../src/learner/inference.js';
import {
  architectureOf,
  DEFAULT_MODEL_CONFIG,
  hfConfig,
  initParams,
  modelConfig,
  paramCount,
  paramShapes,
} from '../../src/learner/model.js';
import { buildGradGraph, trainGraphConfig } from '../../src/learner/train-step.js';
import { referenceLogits } from './llama-reference.js';
import { floats, ids, paramFeeds, positionsOf, sessionOf, TINY, tinyParams } from './tiny.js';

/** Past keys and values of length 0 for the first (prefill) call. */
function emptyPast(batch: number): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (let i = 0; i < TINY.nLayers; i++)
    for (const kv of ['key', 'value'])
      out[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [
        batch,
        TINY.nHeads,
        0,
        4,
      ]);
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('built-in model', () => {
  it('has HF Llama names, a parameter count and a matching HF config', () => {
    const shapes = paramShapes(DEFAULT_MODEL_CONFIG);
    expect(shapes['model.embed_tokens.weight']).toEqual([1024, 128]);
    expect(shapes['model.layers.3.self_attn.q_proj.weight']).toEqual([128, 128]);
    expect(shapes['model.layers.0.mlp.down_proj.weight']).toEqual([128, 352]);
    expect(shapes['lm_head.weight']).toBeUndefined(); // tied by default
    // 1024*128 + 4 * (2*128 + 4*128*128 + 3*128*352) + 128
    expect(paramCount(DEFAULT_MODEL_CONFIG)).toBe(131072 + 4 * (256 + 65536 + 135168) + 128);
    const hf = hfConfig(DEFAULT_MODEL_CONFIG);
    expect(hf).toMatchObject({
      hidden_size: 128,
      intermediate_size: 352,
      num_hidden_layers: 4,
      tie_word_embeddings: true,
    });
    expect(() => modelConfig({ dModel: 100, nHeads: 3 })).toThrow(/head width/);
  });

  it('initialises deterministically from a seed', () => {
    const a = initParams(TINY, 1);
    const b = initParams(TINY, 1);
    const c = initParams(TINY, 2);
    const name = 'model.layers.1.mlp.up_proj.weight';
    expect(a[name]).toEqual(b[name]);
    expect(a[name]).not.toEqual(c[name]);
    expect(Array.from(a['model.norm.weight']!)).toEqual(new Array(8).fill(1));
    const w = a[name]!;
    const std = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);
    expect(std).toBeGreaterThan(0.3);
    expect(std).toBeLessThan(0.7); // initStd 0.5
  });

  it("inference logits equal the train graph's forward logits (with padding)", async () => {
    const params = tinyParams();
    const rows = [
      [0, 0, 3, 5, 7, 2],
      [4, 1, 9, 6, 2, 8],
    ];
    const mask = [
      [0, 0, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 1],
    ];
    const pos = positionsOf(mask);
    const inf = await sessionOf(buildInferenceGraph(TINY, { weights: 'initializers', values: params }));
    const a = await inf.run({
      input_ids: ids(rows),
      attention_mask: ids(mask),
      position_ids: ids(pos),
      ...emptyPast(2),
    });
    const train = await sessionOf(
      buildGradGraph(
        trainGraphConfig({
          model: TINY,
          loss: { ...trainGraphConfig().loss, kind: 'ce' },
          outputLogits: true,
        }),
      ),
    );
    const b = await train.run({
      ...paramFeeds(TINY, params),
      input_ids: ids(rows),
      attention_mask: ids(mask),
      loss_mask: floats('float32', mask),
      num_tokens: new ort.Tensor('float32', Float32Array.of(1), []),
    });
    expect(a.logits!.dims).toEqual([2, 6, 11]);
    expect(maxDiff(a.logits!.data as Float32Array, b.logits!.data as Float32Array)).toBeLessThan(1e-5);
    // logits 'last' (the policy's prefill): the last position's row of each, same present keys/values
    const lastOnly = await sessionOf(
      buildInferenceGraph(TINY, { weights: 'initializers', values: params, logits: 'last' }),
    );
    const l = await lastOnly.run({
      input_ids: ids(rows),
      attention_mask: ids(mask),
      position_ids: ids(pos),
      ...emptyPast(2),
    });
    expect(l.logits!.dims).toEqual([2, 1, 11]);
    const full = a.logits!.data as Float32Array;
    const lastRows = [0, 1].flatMap((bi) => Array.from(full.subarray((bi * 6 + 5) * 11, (bi * 6 + 6) * 11)));
    expect(maxDiff(l.logits!.data as Float32Array, lastRows)).toBeLessThan(1e-6);
    expect(
      maxDiff(l['present.1.value']!.data as Float32Array, a['present.1.value']!.data as Float32Array),
    ).toBe(0);
    // The log-prob graph scores the same tokens.
    const lp = await sessionOf(buildLogprobGraph(TINY, { weights: 'inputs' }));
    const c = await lp.run({ ...paramFeeds(TINY, params), input_ids: ids(rows), attention_mask: ids(mask) });
    const logits = a.logits!.data as Float32Array;
    const at = (bi: number, t: number) => {
      const row = Array.from(logits.subarray((bi * 6 + t - 1) * 11, (bi * 6 + t) * 11));
      const lse = Math.log(row.reduce((s, x) => s + Math.exp(x), 0));
      return row[rows[bi]![t]!]! - lse;
    };
    const got = c.logprobs!.data as Float32Array;
    for (const [bi, t] of [
      [0, 3],
      [0, 5],
      [1, 1],
      [1, 5],
    ] as const)
      expect(got[bi * 6 + t]).toBeCloseTo(at(bi, t), 5);
    expect(got[0]).toBe(0);
    // At a temperature the graph scores tokens under softmax(logits / T) (what the rollouts sampled).
    const cold = await sessionOf(buildLogprobGraph(TINY, { weights: 'inputs', temperature: 0.5 }));
    const d = await cold.run({
      ...paramFeeds(TINY, params),
      input_ids: ids(rows),
      attention_mask: ids(mask),
    });
    const atT = (bi: number, t: number) => {
      const row = Array.from(logits.subarray((bi * 6 + t - 1) * 11, (bi * 6 + t) * 11)).map((x) => x / 0.5);
      const lse = Math.log(row.reduce((s, x) => s + Math.exp(x), 0));
      return row[rows[bi]![t]!]! - lse;
    };
    for (const [bi, t] of [
      [0, 3],
      [1, 5],
    ] as const)
      expect((d.logprobs!.data as Float32Array)[bi * 6 + t]).toBeCloseTo(atT(bi, t), 5);
  });

  it('matches a plain-loop Hugging Face Llama forward (layouts, rotate_half, causal attention)', async () => {
    for (const tie of [false, true]) {
      const c = modelConfig({ ...TINY, tieEmbeddings: tie });
      const params = tinyParams(tie ? 12 : 13, c);
      const seq = [3, 9, 0, 4, 4, 10, 2];
      const sess = await sessionOf(buildInferenceGraph(c, { weights: 'initializers', values: params }));
      const out = await sess.run({
        input_ids: ids([seq]),
        attention_mask: ids([seq.map(() => 1)]),
        position_ids: ids([seq.map((_, i) => i)]),
        ...emptyPast(1),
      });
      const want = referenceLogits(c, params, seq).flat();
      expect(maxDiff(out.logits!.data as Float32Array, want)).toBeLessThan(1e-4);
    }
  });

  it('matches the plain-loop forward for Qwen2 (q/k/v biases), Qwen3 (q/k norms, head_dim) and Llama 3 (GQA, rope scaling)', async () => {
    const base = { ...TINY, nHeads: 4, nKvHeads: 2 };
    const variants = {
      qwen2: modelConfig({ ...base, attentionBias: 'qkv' }),
      qwen3: modelConfig({ ...base, headDim: 6, qkNorm: true, attentionBias: 'qkvo' }),
      llama3: modelConfig({
        ...base,
        tieEmbeddings: true,
        mlpBias: true,
        ropeTheta: 500000,
        ropeScaling: {
          kind: 'llama3',
          factor: 8,
          lowFreqFactor: 1,
          highFreqFactor: 4,
          originalMaxPositions: 8,
        },
      }),
    };
    expect(architectureOf(variants.qwen2)).toBe('Qwen2ForCausalLM');
    expect(architectureOf(variants.qwen3)).toBe('Qwen3ForCausalLM');
    expect(paramShapes(variants.qwen3)['model.layers.1.self_attn.q_proj.weight']).toEqual([24, 8]);
    expect(paramShapes(variants.qwen3)['model.layers.1.self_attn.k_norm.weight']).toEqual([6]);
    expect(paramShapes(variants.qwen2)['model.layers.0.self_attn.k_proj.bias']).toEqual([8]); // K · hd = 2 · 4
    expect(paramShapes(variants.qwen2)['model.layers.0.self_attn.o_proj.bias']).toBeUndefined();
    for (const [name, c] of Object.entries(variants)) {
      const params = tinyParams(21, c);
      // Random biases and norms (init makes them 0 and 1), so a mixed-up layout shows.
      for (const [n, v] of Object.entries(params))
        if (n.endsWith('.bias') || n.endsWith('norm.weight'))
          for (let i = 0; i < v.length; i++) v[i] = 0.5 + Math.sin(i + n.length);
      const seq = [3, 9, 0, 4, 4, 10, 2, 7, 1];
      const sess = await sessionOf(buildInferenceGraph(c, { weights: 'initializers', values: params }));
      const empty = new ort.Tensor('float32', new Float32Array(0), [1, c.nKvHeads, 0, c.headDim]);
      const past = Object.fromEntries(
        Array.from({ length: c.nLayers }, (_, i) => [
          [`past_key_values.${i}.key`, empty],
          [`past_key_values.${i}.value`, empty],
        ]).flat(),
      );
      const out = await sess.run({
        input_ids: ids([seq]),
        attention_mask: ids([seq.map(() => 1)]),
        position_ids: ids([seq.map((_, i) => i)]),
        ...past,
      });
      const want = referenceLogits(c, params, seq).flat();
      expect(maxDiff(out.logits!.data as Float32Array, want), name).toBeLessThan(1e-4);
    }
  });

  it('cached generation equals full recompute, token by token', async () => {
    const params = tinyParams(3);
    const sess = await sessionOf(buildInferenceGraph(TINY, { weights: 'inputs' }));
    const w = paramFeeds(TINY, params);
    // Row 0 is left-padded by two tokens.
    const prompt = [
      [0, 0, 5, 1],
      [2, 7, 3, 9],
    ];
    const maskRows = [
      [0, 0, 1, 1],
      [1, 1, 1, 1],
    ];
    const nextTokens = [
      [4, 6],
      [8, 1],
      [10, 3],
    ];
    const positions = positionsOf;
    let out = await sess.run({
      ...w,
      input_ids: ids(prompt),
      attention_mask: ids(maskRows),
      position_ids: ids(positions(maskRows)),
      ...emptyPast(2),
    });
    const seq = prompt.map((r) => [...r]);
    const mask = maskRows.map((r) => [...r]);
    for (const tok of nextTokens) {
      for (const [b, r] of seq.entries()) r.push(tok[b]!);
      for (const r of mask) r.push(1);
      const past: Record<string, ort.Tensor> = {};
      for (let i = 0; i < TINY.nLayers; i++)
        for (const kv of ['key', 'value']) past[`past_key_values.${i}.${kv}`] = out[`present.${i}.${kv}`]!;
      const pos = positions(mask);
      out = await sess.run({
        ...w,
        ...past,
        input_ids: ids(tok.map((t) => [t])),
        attention_mask: ids(mask),
        position_ids: ids(pos.map((r) => [r[r.length - 1]!])),
      });
      const full = await sess.run({
        ...w,
        input_ids: ids(seq),
        attention_mask: ids(mask),
        position_ids: ids(pos),
        ...emptyPast(2),
      });
      const T = seq[0]!.length;
      const fullLogits = full.logits!.data as Float32Array;
      const last = [0, 1].flatMap((b) =>
        Array.from(fullLogits.subarray((b * T + T - 1) * 11, (b * T + T) * 11)),
      );
      expect(out.logits!.dims).toEqual([2, 1, 11]);
      expect(out['present.0.key']!.dims).toEqual([2, 2, T, 4]);
      expect(maxDiff(out.logits!.data as Float32Array, last)).toBeLessThan(1e-5);
    }
  });
  it("the generation worker's graph (left-padded mask) gives the general graph's attention to the bit", async () => {
    // Rows as the worker's prompt pass lays them out: each row's reused past right-aligned in the
    // past columns and its new tokens right-aligned in the new columns, every length different.
    const params = tinyParams(5);
    const w = paramFeeds(TINY, params);
    const general = await sessionOf(buildInferenceGraph(TINY, { weights: 'inputs', newKv: true }));
    const leftPadded = await sessionOf(
      buildInferenceGraph(TINY, { weights: 'inputs', newKv: true, leftPadded: true }),
    );
    const P = 5;
    const S = 4;
    const pastLengths = [5, 2, 0];
    const newLengths = [4, 1, 3];
    const B = pastLengths.length;
    const mask = pastLengths.map((p, b) => [
      ...Array.from({ length: P }, (_, j) => (j >= P - p ? 1 : 0)),
      ...Array.from({ length: S }, (_, j) => (j >= S - newLengths[b]! ? 1 : 0)),
    ]);
    const tokens = newLengths.map((n, b) =>
      Array.from({ length: S }, (_, j) => (j >= S - n ? (3 * b + j) % 11 : 0)),
    );
    const positions = pastLengths.map((p, b) =>
      Array.from({ length: S }, (_, j) => Math.max(0, p + j - (S - newLengths[b]!))),
    );
    const past: Record<string, ort.Tensor> = {};
    let x = 0.37;
    for (let i = 0; i < TINY.nLayers; i++)
      for (const kv of ['key', 'value']) {
        const data = Float32Array.from({ length: B * TINY.nKvHeads * P * 4 }, () => {
          x = (x * 9301 + 0.49297) % 1;
          return x - 0.5;
        });
        past[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', data, [B, TINY.nKvHeads, P, 4]);
      }
    const feeds = {
      ...w,
      ...past,
      input_ids: ids(tokens),
      attention_mask: ids(mask),
      position_ids: ids(positions),
    };
    const a = await general.run(feeds);
    const b = await leftPadded.run(feeds);
    // Only the real positions' outputs are read (padded queries' are discarded).
    const real = (t: ort.Tensor, perPosition: number) =>
      Array.from(t.data as Float32Array).filter((_, k) => {
        const row = Math.floor(k / (S * perPosition));
        const col = Math.floor(k / perPosition) % S;
        return col >= S - newLengths[row]!;
      });
    expect(real(b.logits!, 11)).toEqual(real(a.logits!, 11));
    for (let i = 0; i < TINY.nLayers; i++)
      for (const kv of ['key', 'value']) {
        // [B, K, S, hd]: real columns only
        const name = `new.${i}.${kv}`;
        const cols = (t: ort.Tensor) =>
          Array.from(t.data as Float32Array).filter((_, k) => {
            const col = Math.floor(k / 4) % S;
            const row = Math.floor(k / (4 * S * TINY.nKvHeads));
            return col >= S - newLengths[row]!;
          });
        expect(cols(b[name]!)).toEqual(cols(a[name]!));
      }
  });
});
