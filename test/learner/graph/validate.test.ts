import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import * as G from '../../../src/learner/graph/index.js';

describe('validator', () => {
  it('rejects a node whose recorded shape disagrees with its inputs, naming the node', () => {
    const a = G.input('a', 'float32', ['batch', 4]);
    const b = G.input('b', 'float32', [3, 5]);
    const bad = G.uncheckedNode('MatMul', [a, b], {}, 'float32', ['batch', 5]);
    expect(() => G.validateGraph({ inputs: [a, b], outputs: { y: bad } })).toThrow(G.GraphError);
    expect(() => G.compileGraph({ inputs: [a, b], outputs: { y: bad } })).toThrow(
      /MatMul#\d+.*inner dims differ/,
    );
  });

  it('rejects a wrong recorded dtype', () => {
    const a = G.input('a', 'float32', [2]);
    const bad = G.uncheckedNode('Exp', [a], {}, 'float64', [2]);
    expect(() => G.validateGraph({ inputs: [a], outputs: { y: bad } })).toThrow(/shape mismatch.*float32/);
  });

  it('rejects an input that is used but not declared', () => {
    const a = G.input('a', 'float32', [2]);
    const hidden = G.input('hidden', 'float32', [2]);
    expect(() => G.validateGraph({ inputs: [a], outputs: { y: G.add(a, hidden) } })).toThrow(
      /input 'hidden' is not defined: it is used by Add#\d+/,
    );
  });

  it('rejects duplicate input names and a cycle', () => {
    const a = G.input('a', 'float32', [2]);
    const a2 = G.input('a', 'float32', [2]);
    expect(() => G.validateGraph({ inputs: [a, a2], outputs: { y: G.add(a, a2) } })).toThrow(/used twice/);
    const x = G.exp(a);
    const y = G.add(x, a);
    (x.inputs as G.Tensor[])[0] = y; // forge a cycle
    expect(() => G.validateGraph({ inputs: [a], outputs: { y } })).toThrow(/cycle/);
  });

  it('builders reject shape mismatches at once', () => {
    const a = G.input('a', 'float32', ['batch', 3]);
    expect(() => G.add(a, G.input('b', 'float32', [4]))).toThrow(/do not broadcast/);
    expect(() => G.add(a, G.input('c', 'float32', ['seq', 3]))).toThrow(/do not broadcast/);
    expect(() => G.matmul(a, G.input('d', 'float32', [4, 2]))).toThrow(/inner dims differ/);
  });
});

describe('reverse walker', () => {
  it('names the op when a rule is missing', () => {
    const x = G.input('x', 'float64', [3]);
    const loss = G.sumAll(G.tanh(x));
    const { Tanh: _, ...rules } = G.gradRules;
    expect(() => G.gradients(loss, [x], { rules })).toThrow(G.MissingGradientRuleError);
    expect(() => G.gradients(loss, [x], { rules })).toThrow(/no gradient rule for op 'Tanh'/);
  });

  it('accumulates fan-out and reduces broadcasts, with symbolic dims', async () => {
    const x = G.input('x', 'float64', ['batch', 3]);
    const b = G.input('b', 'float64', [3]);
    // loss = sum(x*b + x + b) -> dx = b + 1, db = sum_batch(x) + batch
    const loss = G.sumAll(G.add(G.add(G.mul(x, b), x), b));
    const [gx, gb] = G.gradients(loss, [x, b]);
    expect(gx!.shape).toEqual(['batch', 3]);
    expect(gb!.shape).toEqual([3]);
    const sess = await ort.InferenceSession.create(
      G.compileGraph({ inputs: [x, b], outputs: { gx: gx!, gb: gb! } }),
    );
    const r = await sess.run({
      x: new ort.Tensor('float64', Float64Array.from([1, 2, 3, 4, 5, 6]), [2, 3]),
      b: new ort.Tensor('float64', Float64Array.from([10, 20, 30]), [3]),
    });
    expect(Array.from(r.gx!.data as Float64Array)).toEqual([11, 21, 31, 11, 21, 31]);
    expect(Array.from(r.gb!.data as Float64Array)).toEqual([7, 9, 11]);
  });

  it('returns null for a tensor the loss does not depend on', () => {
    const x = G.input('x', 'float32', [2]);
    const z = G.input('z', 'float32', [2]);
    expect(G.gradients(G.sumAll(G.exp(x)), [x, z])[1]).toBeNull();
  });
});
