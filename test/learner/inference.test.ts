import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import * as G from '../../src/learner/graph/index.js';
import { buildInferenceGraph, type InferenceGraphOptions } from '../../src/learner/inference.js';
import { modelConfig } from '../../src/learner/model.js';
import { paramFeeds, tinyParams } from './tiny.js';

// Wide enough that onnxruntime's matmuls take their blocked kernels (a one-row product rounds differently there).
const C = modelConfig({ vocabSize: 64, dModel: 32, nLayers: 2, nHeads: 2, ffnHidden: 96, maxSeqLen: 256 });

/** The generation worker's session: CPU, one intra-op thread (where `lastOnly` is used). */
async function oneThread(o: Partial<InferenceGraphOptions>): Promise<ort.InferenceSession> {
  const spec = buildInferenceGraph(C, {
    weights: 'inputs',
    logits: 'last',
    newKv: true,
    leftPadded: true,
    ...o,
  });
  return ort.InferenceSession.create(G.compileGraph(spec), {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
  });
}

/** A prompt pass's group as the worker lays it out: each row's past and new tokens right-aligned. */
function group(rows: number, S: number, P: number, seed: number): Record<string, ort.Tensor> {
  let x = seed;
  const next = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32;
  };
  const ids = new BigInt64Array(rows * S);
  const mask = new BigInt64Array(rows * (P + S));
  const positions = new BigInt64Array(rows * S);
  for (let i = 0; i < rows; i++) {
    const s = i === rows - 1 ? S : 1 + Math.floor(next() * S);
    const p = i === 0 ? P : Math.floor(next() * (P + 1));
    for (let t = 0; t < p; t++) mask[i * (P + S) + P - p + t] = 1n;
    for (let t = 0; t < s; t++) {
      ids[i * S + S - s + t] = BigInt(Math.floor(next() * C.vocabSize));
      mask[i * (P + S) + P + S - s + t] = 1n;
      positions[i * S + S - s + t] = BigInt(p + t);
    }
  }
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', ids, [rows, S]),
    attention_mask: new ort.Tensor('int64', mask, [rows, P + S]),
    position_ids: new ort.Tensor('int64', positions, [rows, S]),
  };
  const kv = [rows, C.nKvHeads, P, C.headDim];
  for (let i = 0; i < C.nLayers; i++)
    for (const name of ['key', 'value'])
      feeds[`past_key_values.${i}.${name}`] = new ort.Tensor(
        'float32',
        Float32Array.from({ length: rows * C.nKvHeads * P * C.headDim }, () => 2 * next() - 1),
        kv,
      );
  return feeds;
}

/** The float's bits, so that equal means the same to the bit (-0 and NaN included). */
const bits = (t: ort.Tensor) => Array.from(new Uint32Array((t.data as Float32Array).slice().buffer));

describe('the prompt pass graph', () => {
  it('with lastOnly (the last layer on the last positions) gives the same logits and new keys/values to the bit', async () => {
    const weights = paramFeeds(C, tinyParams(3, C));
    const full = await oneThread({});
    const trimmed = await oneThread({ lastOnly: true });
    const fetches = [
      'logits',
      ...Array.from({ length: 2 * C.nLayers }, (_, j) => `new.${j >> 1}.${j % 2 ? 'value' : 'key'}`),
    ];
    // [rows, new columns, past columns]: one row and one column (both one-row products), two columns, long groups
    const shapes = [
      [1, 1, 0],
      [1, 2, 0],
      [1, 1, 7],
      [3, 1, 5],
      [1, 40, 30],
      [2, 2, 9],
      [5, 33, 0],
      [8, 60, 140],
      [16, 25, 70],
    ];
    for (const [k, [rows, S, P]] of shapes.entries()) {
      const feeds = { ...weights, ...group(rows!, S!, P!, 11 + k) };
      const a = await full.run(feeds, fetches);
      const b = await trimmed.run(feeds, fetches);
      expect(b.logits!.dims).toEqual([rows, 1, C.vocabSize]);
      for (const name of fetches)
        expect(bits(b[name]!), `${name} at ${rows}×${S}+${P}`).toEqual(bits(a[name]!));
    }
  });
});
