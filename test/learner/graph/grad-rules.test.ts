import { describe, expect, it } from 'vitest';
import * as G from '../../../src/learner/graph/index.js';
import { checkGradients, type GradCase, ortTensor, session } from '../fd.js';

const pos: [number, number] = [0.5, 2];
const idx = (values: number[]) => G.constant(values, 'int64', [values.length]);

/** One finite-difference case per op (several where the op has modes). */
const cases: Record<string, GradCase> = {
  Neg: { shapes: [[2, 3]], build: ([x]) => G.neg(x!) },
  Exp: { shapes: [[2, 3]], build: ([x]) => G.exp(x!) },
  Log: { shapes: [[2, 3]], range: pos, build: ([x]) => G.log(x!) },
  Sqrt: { shapes: [[2, 3]], range: pos, build: ([x]) => G.sqrt(x!) },
  Reciprocal: { shapes: [[2, 3]], range: pos, build: ([x]) => G.reciprocal(x!) },
  Tanh: { shapes: [[2, 3]], build: ([x]) => G.tanh(x!) },
  Sigmoid: { shapes: [[2, 3]], build: ([x]) => G.sigmoid(x!) },
  Sin: { shapes: [[2, 3]], build: ([x]) => G.sin(x!) },
  Cos: { shapes: [[2, 3]], build: ([x]) => G.cos(x!) },
  'PowC 1.5': { shapes: [[2, 3]], range: pos, build: ([x]) => G.pow(x!, 1.5) },
  'PowC -0.5': { shapes: [[2, 3]], range: pos, build: ([x]) => G.pow(x!, -0.5) },
  'PowC 2': { shapes: [[2, 3]], build: ([x]) => G.pow(x!, 2) },
  // float64 -> float32 -> float64 loses precision: a looser, explicit tolerance.
  Cast: {
    shapes: [[2, 3]],
    eps: 1e-2,
    rtol: 1e-4,
    atol: 1e-5,
    build: ([x]) => G.cast(G.mul(G.cast(x!, 'float32'), 2), 'float64'),
  },
  Clip: { shapes: [[3, 4]], range: [-2, 2], seed: 3, build: ([x]) => G.clip(x!, -0.9, 0.8) },
  'Add (broadcast)': { shapes: [[2, 3], [3]], build: ([a, b]) => G.add(a!, b!) },
  'Sub (broadcast)': {
    shapes: [
      [2, 1],
      [2, 3],
    ],
    build: ([a, b]) => G.sub(a!, b!),
  },
  'Mul (broadcast)': {
    shapes: [
      [2, 3],
      [1, 3],
    ],
    build: ([a, b]) => G.mul(a!, b!),
  },
  'Div (broadcast)': {
    shapes: [
      [2, 3],
      [2, 1],
    ],
    range: pos,
    build: ([a, b]) => G.div(a!, b!),
  },
  Max: {
    shapes: [
      [2, 3],
      [2, 3],
    ],
    build: ([a, b]) => G.maximum(a!, b!),
  },
  Min: { shapes: [[2, 3], [3]], build: ([a, b]) => G.minimum(a!, b!) },
  Where: {
    shapes: [
      [2, 3],
      [2, 3],
    ],
    build: ([a, b]) => G.where(G.constant([1, 0, 1, 0, 0, 1], 'bool', [2, 3]), a!, b!),
  },
  'Where (through a comparison)': {
    shapes: [[2, 3]],
    build: ([a]) => G.where(G.less(a!, 0), G.mul(a!, 3), G.exp(a!)),
  },
  'Linear 2D': {
    shapes: [
      [3, 4],
      [2, 4],
    ],
    build: ([x, w]) => G.linear(x!, w!),
  },
  'Linear batched x shared weight': {
    shapes: [
      [2, 3, 4],
      [5, 4],
    ],
    build: ([x, w]) => G.linear(x!, w!),
  },
  'MatMul 2D': {
    shapes: [
      [3, 4],
      [4, 2],
    ],
    build: ([a, b]) => G.matmul(a!, b!),
  },
  'MatMul batched x shared weight': {
    shapes: [
      [2, 3, 4],
      [4, 5],
    ],
    build: ([a, b]) => G.matmul(a!, b!),
  },
  'MatMul batched x batched': {
    shapes: [
      [2, 2, 3, 4],
      [2, 1, 4, 2],
    ],
    build: ([a, b]) => G.matmul(a!, b!),
  },
  Transpose: { shapes: [[2, 3, 4]], build: ([x]) => G.transpose(x!, [2, 0, 1]) },
  Reshape: { shapes: [[2, 3, 4]], build: ([x]) => G.reshape(x!, [0, -1]) },
  ReshapeLike: {
    shapes: [
      [2, 6],
      [3, 4],
    ],
    build: ([x, like]) => G.add(G.reshapeLike(x!, like!), like!),
  },
  ExpandLike: {
    shapes: [
      [1, 3],
      [2, 3],
    ],
    build: ([x, like]) => G.mul(G.expandLike(x!, like!), like!),
  },
  Unsqueeze: { shapes: [[2, 3]], build: ([x]) => G.unsqueeze(x!, [0, 2]) },
  Concat: {
    shapes: [
      [2, 3],
      [2, 2],
    ],
    build: ([a, b]) => G.concat([a!, G.mul(b!, b!)], 1),
  },
  Slice: { shapes: [[3, 5]], build: ([x]) => G.slice(x!, [0, 1], [1, 1], [Infinity, -1]) },
  Pad: { shapes: [[2, 3]], build: ([x]) => G.pad(G.mul(x!, x!), [1, 0, 0, 2]) },
  ReduceSum: { shapes: [[2, 3, 4]], build: ([x]) => G.reduceSum(x!, [0, 2]) },
  'ReduceSum keepdims': { shapes: [[2, 3, 4]], build: ([x]) => G.reduceSum(x!, [1], true) },
  ReduceMean: { shapes: [[2, 3, 4]], build: ([x]) => G.reduceMean(x!, [-1]) },
  ReduceMax: { shapes: [[3, 4]], build: ([x]) => G.reduceMax(x!, [1]) },
  Softmax: { shapes: [[2, 5]], build: ([x]) => G.softmax(x!) },
  'Softmax axis 0': { shapes: [[3, 2]], build: ([x]) => G.softmax(x!, 0) },
  LogSoftmax: { shapes: [[2, 5]], build: ([x]) => G.logSoftmax(x!) },
  CumSum: { shapes: [[2, 4]], build: ([x]) => G.cumsum(x!, 1) },
  'CumSum reverse': { shapes: [[3, 2]], build: ([x]) => G.cumsum(x!, 0, true) },
  'Gather (repeated indices)': { shapes: [[4, 3]], build: ([x]) => G.gather(x!, idx([2, 0, 2, 3, 2])) },
  ScatterAdd: {
    shapes: [
      [5, 3],
      [4, 3],
    ],
    build: ([u, like]) => G.mul(G.scatterAdd(u!, idx([1, 3, 1, 0, 1]), like!), like!),
  },
};

describe('gradient rules against central finite differences (float64 through onnxruntime)', () => {
  for (const [name, c] of Object.entries(cases)) it(name, () => checkGradients(c));

  it('every op of the closed set has a rule and an ONNX mapping', () => {
    for (const op of G.OP_NAMES) {
      expect(G.gradRules[op], op).toBeTypeOf('function');
      if (op !== 'Input' && op !== 'Const') expect(G.onnxRules[op], op).toBeTypeOf('function');
    }
  });

  it('every differentiable op has a finite-difference case above', () => {
    const noGrad = new Set([
      'Input',
      'Const',
      'Not',
      'Equal',
      'Less',
      'LessOrEqual',
      'Greater',
      'And',
      'StopGradient', // by design its gradient is not the finite difference: its own test below
    ]);
    const covered = new Set(Object.keys(cases).map((k) => k.split(' ')[0]));
    for (const op of G.OP_NAMES) if (!noGrad.has(op)) expect(covered.has(op), op).toBe(true);
  });

  it('StopGradient passes its value and no gradient (torch detach): d/dx Σ x·sg(x) = x, not 2x', async () => {
    const x = G.input('x0', 'float64', [2, 3]);
    const y = G.sumAll(G.mul(x, G.stopGradient(x)));
    const [g] = G.gradients(y, [x]);
    expect(G.gradients(G.sumAll(G.stopGradient(x)), [x])).toEqual([null]);
    const sess = await session({ inputs: [x], outputs: { y, g: g! } });
    const v = [0.5, -1, 2, 0.25, -0.75, 1.5];
    const res = await sess.run({ x0: ortTensor('float64', v, [2, 3]) });
    expect(res.y!.data[0]).toBeCloseTo(
      v.reduce((a, b) => a + b * b, 0),
      12,
    );
    expect(Array.from(res.g!.data as Float64Array)).toEqual(v);
    await sess.release();
  });

  it('the check catches a wrong rule (tanh without the square)', async () => {
    const rules = { ...G.gradRules, Tanh: ((y, g) => [G.mul(g, G.sub(1, y))]) as G.GradRule };
    await expect(checkGradients({ shapes: [[2, 3]], build: ([x]) => G.tanh(x!), rules })).rejects.toThrow(
      /finite difference/,
    );
  });

  it('float32 gradients agree within a float32 tolerance', () =>
    checkGradients({
      dtype: 'float32',
      shapes: [
        [2, 3, 4],
        [4, 3],
      ],
      build: ([a, b]) => G.softmax(G.matmul(G.tanh(a!), b!)),
    }));
});
