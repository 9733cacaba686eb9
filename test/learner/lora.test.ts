import { fc, test } from '@fast-check/vitest';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as G from '../../src/learner/graph/index.js';
import { randomHfParams } from '../../src/learner/hf/tiny.js';
import { buildInferenceGraph } from '../../src/learner/inference.js';
import { initLora, loraConfig, loraShapes, mergeLora } from '../../src/learner/lora.js';
import { modelConfig, normalValues } from '../../src/learner/model.js';
import { Rng } from '../../src/util/rng.js';

const C = modelConfig({
  vocabSize: 50,
  dModel: 16,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  ffnHidden: 24,
  attentionBias: 'qkv',
  tieEmbeddings: false,
});
const BASE = randomHfParams(C, 3);
const L = loraConfig({ rank: 3, alpha: 6, targets: ['q', 'v', 'o', 'down'] });
const T = 7;

let base: ort.InferenceSession;
let lora: ort.InferenceSession;
beforeAll(async () => {
  const open = (withLora: boolean) =>
    ort.InferenceSession.create(
      G.compileGraph(
        buildInferenceGraph(C, { weights: 'initializers', values: BASE, ...(withLora ? { lora: L } : {}) }),
      ),
    );
  [base, lora] = [await open(false), await open(true)];
});
afterAll(async () => {
  await base.release();
  await lora.release();
});

function feeds(ids: number[]): Record<string, ort.Tensor> {
  const i64 = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v, BigInt), [1, v.length]);
  const empty = new ort.Tensor('float32', new Float32Array(0), [1, C.nKvHeads, 0, C.headDim]);
  const out: Record<string, ort.Tensor> = {
    input_ids: i64(ids),
    attention_mask: i64(ids.map(() => 1)),
    position_ids: i64(ids.map((_, i) => i)),
  };
  for (let i = 0; i < C.nLayers; i++) {
    out[`past_key_values.${i}.key`] = empty;
    out[`past_key_values.${i}.value`] = empty;
  }
  return out;
}

const adapterFeeds = (a: Record<string, Float32Array>) =>
  Object.fromEntries(
    Object.entries(loraShapes(C, L)).map(([n, s]) => [n, new ort.Tensor('float32', a[n]!, s)]),
  );

describe('LoRA adapters', () => {
  test.prop(
    [fc.integer(), fc.array(fc.integer({ min: 0, max: C.vocabSize - 1 }), { minLength: T, maxLength: T })],
    {
      numRuns: 200,
    },
  )('with B = 0 the model gives the base logits exactly, whatever A holds', async (seed, ids) => {
    const rng = Rng.seeded(seed);
    const adapters: Record<string, Float32Array> = {};
    for (const [n, s] of Object.entries(loraShapes(C, L)))
      adapters[n] = n.includes('lora_B')
        ? new Float32Array(s[0]! * s[1]!)
        : normalValues(s[0]! * s[1]!, 10, rng);
    const [a, b] = [await base.run(feeds(ids)), await lora.run({ ...feeds(ids), ...adapterFeeds(adapters) })];
    expect(b.logits!.data).toEqual(a.logits!.data);
  });

  it("starts as PEFT's default init (A uniform within ±1/√in, B zero) and merges into the weights", async () => {
    const init = initLora(C, L, 5);
    expect(Object.keys(init)).toHaveLength(2 * 4 * C.nLayers);
    const a = init['model.layers.1.mlp.down_proj.lora_A.weight']!;
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(C.ffnHidden));
    expect(init['model.layers.0.self_attn.q_proj.lora_B.weight']!.every((x) => x === 0)).toBe(true);
    expect(initLora(C, L, 5)).toEqual(init);

    const rng = Rng.seeded(8);
    const trained = Object.fromEntries(
      Object.entries(init).map(([n, v]) => [n, normalValues(v.length, 0.3, rng)]),
    );
    const merged = mergeLora(C, L, BASE, trained);
    expect(merged['model.layers.0.self_attn.k_proj.weight']).toBe(
      BASE['model.layers.0.self_attn.k_proj.weight'],
    );
    const mergedSession = await ort.InferenceSession.create(
      G.compileGraph(buildInferenceGraph(C, { weights: 'initializers', values: merged })),
    );
    const ids = [1, 7, 3, 49, 0, 22, 5];
    const want = (await lora.run({ ...feeds(ids), ...adapterFeeds(trained) })).logits!.data as Float32Array;
    const got = (await mergedSession.run(feeds(ids))).logits!.data as Float32Array;
    const scale = Math.max(...want.map(Math.abs));
    for (const [i, v] of got.entries()) expect(Math.abs(v - want[i]!) / scale).toBeLessThan(1e-5);
    await mergedSession.release();
    expect(() => loraConfig({ rank: 0 })).toThrow(/rank must be a positive integer/);
    expect(() => loraConfig({ rank: 4, targets: ['qkv' as 'q'] })).toThrow(/"qkv" is not a projection/);
  });
});
