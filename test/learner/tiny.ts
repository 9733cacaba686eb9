/** A tiny model config and feed builders shared by the model and train-step tests. */
import * as ort from 'onnxruntime-node';
import * as G from '../../src/learner/graph/index.js';
import { initParams, type ModelConfig, modelConfig, paramShapes } from '../../src/learner/model.js';

export const TINY: ModelConfig = modelConfig({
  vocabSize: 11,
  dModel: 8,
  nLayers: 2,
  nHeads: 2,
  ffnHidden: 12,
  maxSeqLen: 32,
  tieEmbeddings: false,
  initStd: 0.5,
});

export function ids(rows: number[][]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [rows.length, rows[0]!.length]);
}

export function floats(dtype: 'float32' | 'float64', rows: number[][]): ort.Tensor {
  const A = dtype === 'float64' ? Float64Array : Float32Array;
  return new ort.Tensor(dtype, A.from(rows.flat()), [rows.length, rows[0]!.length]);
}

export function paramFeeds(
  c: ModelConfig,
  values: Record<string, Float32Array | Float64Array>,
  dtype: 'float32' | 'float64' = 'float32',
  rename: (n: string) => string = (n) => n,
): Record<string, ort.Tensor> {
  const A = dtype === 'float64' ? Float64Array : Float32Array;
  return Object.fromEntries(
    Object.entries(paramShapes(c)).map(([n, s]) => [rename(n), new ort.Tensor(dtype, A.from(values[n]!), s)]),
  );
}

export function tinyParams(seed = 7, c: ModelConfig = TINY): Record<string, Float32Array> {
  return initParams(c, seed);
}

export async function sessionOf(spec: G.GraphSpec): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(G.compileGraph(spec), { graphOptimizationLevel: 'all' });
}

/** HF generate's position ids: cumsum(mask) - 1, clamped at 0. */
export function positionsOf(mask: number[][]): number[][] {
  return mask.map((r) => {
    let c = -1;
    return r.map((m) => {
      c += m;
      return Math.max(c, 0);
    });
  });
}
