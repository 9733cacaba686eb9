/**
 * `bench:generate`'s rooflines and what a call would take at them. The compute roofline is a large
 * float32 MatMul's GFLOP/s. A decode step's attention reads the whole cache (keys and values of every
 * row, layer and slot) for two flops per float, so it runs at memory speed: the memory roofline is
 * onnxruntime reading a cache larger than the L3 with the attention's own kernel (a batched one-row
 * MatMul). Both run with the policy's session settings and are measured again before each batch size,
 * so a ratio compares runs made under the same load.
 */
import * as ort from 'onnxruntime-node';
import * as G from '../src/learner/graph/index.js';
import type { ModelConfig } from '../src/learner/model.js';
import { createOrtSession, type SessionSettings } from '../src/learner/session-core.js';
import { Rng } from '../src/util/rng.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A session of `graph` over random float32 inputs of these shapes; the returned probe gives `work` ÷ its median run time (5 runs). */
async function probe(
  settings: SessionSettings,
  graph: G.GraphSpec,
  shapes: Record<string, number[]>,
  work: number,
): Promise<() => Promise<number>> {
  const { session } = await createOrtSession(G.compileGraph(graph), { allowSpinning: false, ...settings });
  const rng = Rng.seeded(1);
  const feeds = Object.fromEntries(
    Object.entries(shapes).map(([name, dims]) => {
      const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.float());
      return [name, new ort.Tensor('float32', data, dims)];
    }),
  );
  await session.run(feeds);
  return async () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t0);
    }
    return work / (median(times) * 1e6);
  };
}

/** Compute roofline: GFLOP/s of a square N×N @ N×N float32 MatMul. */
export function rooflineProbe(settings: SessionSettings, n = 1536): Promise<() => Promise<number>> {
  const a = G.input('a', 'float32', [n, n]);
  const b = G.input('b', 'float32', [n, n]);
  const graph = { inputs: [a, b], outputs: { c: G.matmul(a, b) } };
  return probe(settings, graph, { a: [n, n], b: [n, n] }, 2 * n ** 3);
}

/**
 * Memory roofline: GB/s of reading a 64 MiB float32 cache once with the decode attention's kernel,
 * [n, 1, C] × [n, C, hd] (scores · values for n rows × heads).
 */
export function bandwidthProbe(
  settings: SessionSettings,
  n = 2048,
  c = 256,
  hd = 32,
): Promise<() => Promise<number>> {
  const p = G.input('p', 'float32', [n, 1, c]);
  const v = G.input('v', 'float32', [n, c, hd]);
  const graph = { inputs: [p, v], outputs: { o: G.matmul(p, v) } };
  return probe(settings, graph, { p: [n, 1, c], v: [n, c, hd] }, 4 * n * c * hd);
}

/** Matmul FLOPs of running one token at context length `ctx` (tokens before it + itself); `head`: its logits too. */
function tokenFlops(c: ModelConfig, ctx: number, head = true): number {
  const { dModel: d, ffnHidden: F, nLayers: L, vocabSize: V } = c;
  const weights = L * (4 * d * d + 3 * d * F) + (head ? V * d : 0); // projections, SwiGLU, LM head
  return 2 * weights + L * 4 * d * ctx; // + attention scores and mixing
}

/**
 * FLOPs of a row: prefill of `prompt` tokens (the policy's prefill takes the last position's logits
 * only), then `generated - 1` decode steps (the last token is not fed).
 */
export function rowFlops(c: ModelConfig, prompt: number, generated: number): number {
  let f = 0;
  for (let t = 1; t <= prompt; t++) f += tokenFlops(c, t, t === prompt);
  for (let k = 1; k < generated; k++) f += tokenFlops(c, prompt + k);
  return f;
}

/**
 * What a row needs at the rooflines: its matmul FLOPs but the decode attention's (at the compute
 * roofline), and the float32 cache bytes its decode steps' attention reads, valid slots only (at the
 * memory roofline; the new token's own key and value come from the step itself).
 */
export function rowBound(
  c: ModelConfig,
  prompt: number,
  generated: number,
): { flops: number; bytes: number } {
  let bytes = 0;
  let attention = 0;
  for (let k = 1; k < generated; k++) {
    bytes += 2 * c.nLayers * c.nKvHeads * c.headDim * 4 * (prompt + k - 1);
    attention += c.nLayers * 4 * c.dModel * (prompt + k);
  }
  return { flops: rowFlops(c, prompt, generated) - attention, bytes };
}
