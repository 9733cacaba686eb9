import fc from 'fast-check';
import { describe, it } from 'vitest';
import * as G from '../../../src/learner/graph/index.js';
import { checkGradients } from '../fd.js';

/** One step of a random expression DAG: an op and the indices of the earlier nodes it reads. */
const stepArb = fc.record({
  op: fc.constantFrom('add', 'sub', 'mul', 'tanh', 'sigmoid', 'softmax', 'sumKeep', 'matmulT'),
  a: fc.nat(),
  b: fc.nat(),
});

function buildDag(steps: { op: string; a: number; b: number }[], xs: G.Tensor[]): G.Tensor {
  const nodes = [...xs]; // x0 [2, 3], x1 [3]: shared reads make fan-out, [3] makes broadcasts
  for (const s of steps) {
    const a = nodes[s.a % nodes.length]!;
    const b = nodes[s.b % nodes.length]!;
    const next = {
      add: () => G.add(a, b),
      sub: () => G.sub(a, b),
      mul: () => G.mul(a, G.tanh(b)),
      tanh: () => G.tanh(a),
      sigmoid: () => G.sigmoid(a),
      softmax: () => G.softmax(a),
      sumKeep: () => G.reduceSum(a, [-1], true),
      // [2, 3] stays [2, 3]: (a @ b^T) @ a, with b broadcast to a's shape.
      matmulT: () =>
        G.sameShape(a.shape, [2, 3])
          ? G.matmul(G.matmul(a, G.transposeLast(G.expandLike(b, a))), a)
          : G.mul(a, b),
    }[s.op]!();
    nodes.push(next);
  }
  // Make the output depend on everything (fan-out into the final sum).
  return nodes.slice(2).reduce((acc, t) => G.add(acc, G.sumAll(t)), G.sumAll(G.add(xs[0]!, xs[1]!)));
}

describe('reverse walker on random expression graphs', () => {
  it('matches finite differences (fan-out, broadcasts, reductions)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 8 }), async (steps) => {
        await checkGradients({
          shapes: [[2, 3], [3]],
          build: (xs) => buildDag(steps, xs),
          seed: steps.length,
        });
      }),
      { seed: 42, numRuns: 40 },
    );
  });
});
