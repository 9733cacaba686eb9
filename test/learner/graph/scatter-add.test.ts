/**
 * ScatterAdd through onnxruntime with many duplicate indices (an embedding gradient: every repeated
 * token) on the default thread pool: every run must equal the sequential float32 sum in index order,
 * bit for bit. The ScatterND mapping it replaced raced between threads (issue 25.7: sums changed from
 * run to run and whole rows were lost): it failed this test in each of 4 runs on a loaded 2-core machine.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import * as G from '../../../src/learner/graph/index.js';
import { Rng } from '../../../src/util/rng.js';

/** The reference: rows added one by one, in index order, rounding to float32 after each add. */
function sequentialSum(updates: Float32Array, ids: readonly number[], rows: number, rowSize: number) {
  const out = new Float32Array(rows * rowSize);
  ids.forEach((id, i) => {
    const at = ((id % rows) + rows) % rows; // a negative index counts from the end, as Gather's do
    for (let j = 0; j < rowSize; j++)
      out[at * rowSize + j] = Math.fround(out[at * rowSize + j]! + updates[i * rowSize + j]!);
  });
  return out;
}

describe('ScatterAdd (onnxruntime, default threads)', () => {
  it('sums duplicate indices exactly in index order, the same on every run', async () => {
    const n = 4_000;
    const width = 64;
    const rows = 8;
    const rng = Rng.seeded(7);
    const updates = Float32Array.from({ length: n * width }, () => rng.float() - 0.5);
    const ids = Array.from({ length: n }, (_, i) => (i * 7) % rows);
    const spec = {
      inputs: [G.input('u', 'float32', ['n', width]), G.input('i', 'int64', ['n'])],
      outputs: {} as Record<string, G.Tensor>,
    };
    spec.outputs.out = G.scatterAdd(
      spec.inputs[0]!,
      spec.inputs[1]!,
      G.constant(new Float32Array(rows * width), 'float32', [rows, width]),
    );
    const session = await ort.InferenceSession.create(G.compileGraph(spec));
    const want = sequentialSum(updates, ids, rows, width);
    const feeds = {
      u: new ort.Tensor('float32', updates, [n, width]),
      i: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [n]),
    };
    for (let run = 0; run < 40; run++) {
      const got = (await session.run(feeds)).out!.data as Float32Array;
      expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength)).toEqual(Buffer.from(want.buffer));
    }
    await session.release();
  });

  it('handles index tensors of rank 2, rows of rank 2 and negative indices', async () => {
    const ids = [
      [1, -1, 1],
      [0, 2, 1],
    ];
    const updates = Float32Array.from({ length: 6 * 4 }, (_, k) => k + 0.25);
    const spec = {
      inputs: [G.input('u', 'float32', [2, 3, 2, 2])],
      outputs: {} as Record<string, G.Tensor>,
    };
    spec.outputs.out = G.scatterAdd(
      spec.inputs[0]!,
      G.constant(ids.flat(), 'int64', [2, 3]),
      G.constant(new Float32Array(3 * 4), 'float32', [3, 2, 2]),
    );
    const session = await ort.InferenceSession.create(G.compileGraph(spec));
    const out = (await session.run({ u: new ort.Tensor('float32', updates, [2, 3, 2, 2]) })).out!;
    expect(out.dims).toEqual([3, 2, 2]);
    expect(Array.from(out.data as Float32Array)).toEqual(
      Array.from(sequentialSum(updates, ids.flat(), 3, 4)),
    );
    await session.release();
  });
});
