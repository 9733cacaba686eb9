/** Finite-difference gradient checks run through onnxruntime (shared by the learner tests). */
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import * as G from '../../src/learner/graph/index.js';
import { Rng } from '../../src/util/rng.js';

export type Feed = Record<string, ort.Tensor>;

export function randArray(rng: Rng, n: number, lo = -1, hi = 1): number[] {
  return Array.from({ length: n }, () => lo + (hi - lo) * rng.float());
}

export function ortTensor(
  dtype: 'float32' | 'float64',
  values: ArrayLike<number>,
  dims: readonly number[],
): ort.Tensor {
  return new ort.Tensor(
    dtype,
    dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values),
    dims,
  );
}

export async function session(spec: G.GraphSpec): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(G.compileGraph(spec));
}

export interface GradCase {
  /** Static input shapes, one per differentiable input. */
  shapes: number[][];
  /** Builds the op under test from the inputs. */
  build: (xs: G.Tensor[]) => G.Tensor;
  /** Range of the random inputs (default [-1, 1]). */
  range?: [number, number];
  dtype?: 'float32' | 'float64';
  eps?: number;
  rtol?: number;
  atol?: number;
  seed?: number;
  /** Rule table override (to check that the harness catches a wrong rule). */
  rules?: Partial<Record<G.OpName, G.GradRule>>;
}

/**
 * Checks every input gradient of `build` against central finite differences
 * of loss = sum(build(xs) * W), W random, on random inputs at a fixed seed.
 */
export async function checkGradients(c: GradCase): Promise<void> {
  const dtype = c.dtype ?? 'float64';
  const rng = Rng.seeded(c.seed ?? 1);
  const xs = c.shapes.map((s, i) => G.input(`x${i}`, dtype, s));
  const y = c.build(xs);
  const ys = G.staticDims(y.shape, 'checkGradients output');
  const w = G.constant(
    randArray(
      rng,
      ys.reduce((p, d) => p * d, 1),
    ),
    y.dtype,
    ys,
  );
  const loss = G.sumAll(G.mul(y, w));
  const gs = G.gradients(loss, xs, c.rules ? { rules: c.rules } : {});
  const outputs: Record<string, G.Tensor> = { loss };
  gs.forEach((g, i) => {
    if (!g) throw new Error(`no gradient reached input ${i}`);
    outputs[`g${i}`] = g;
  });
  const sess = await session({ inputs: xs, outputs });
  const [lo, hi] = c.range ?? [-1, 1];
  const values = c.shapes.map((s) =>
    randArray(
      rng,
      s.reduce((p, d) => p * d, 1),
      lo,
      hi,
    ),
  );
  const feed = (vals: number[][]): Feed =>
    Object.fromEntries(vals.map((v, i) => [`x${i}`, ortTensor(dtype, v, c.shapes[i]!)]));
  const res = await sess.run(feed(values));
  const eps = c.eps ?? (dtype === 'float64' ? 1e-6 : 1e-2);
  const rtol = c.rtol ?? (dtype === 'float64' ? 1e-6 : 2e-2);
  const atol = c.atol ?? (dtype === 'float64' ? 1e-8 : 1e-3);
  for (let i = 0; i < values.length; i++) {
    const analytic = res[`g${i}`]!.data as Float64Array;
    for (let j = 0; j < values[i]!.length; j++) {
      const at = (delta: number) =>
        values.map((v, k) => (k === i ? v.map((x, m) => (m === j ? x + delta : x)) : v));
      const up = (await sess.run(feed(at(eps)), ['loss'])).loss!.data[0] as number;
      const down = (await sess.run(feed(at(-eps)), ['loss'])).loss!.data[0] as number;
      const numeric = (up - down) / (2 * eps);
      const a = analytic[j]!;
      if (Math.abs(a - numeric) > atol + rtol * Math.abs(numeric))
        expect.fail(`input ${i}[${j}]: analytic ${a} vs finite difference ${numeric}`);
    }
  }
  await sess.release();
}
