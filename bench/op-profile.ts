/**
 * onnxruntime's own per-node profile of the built-in model's decode-step graph (decode-graph.ts),
 * summed per op type: what `npm run bench:generate` prints with BENCH_OPS=1. A session of the decode
 * graph with the policy's session settings and profiling on runs one decode step at the bench's
 * shapes (B rows, a cache of `cap` slots of which `filled` are valid) `runs` times; the profile file
 * (onnxruntime's JSON trace) is read back, each node's kernel time is given to the run it fell in,
 * and each op type's time is the median over runs (a run slowed by other jobs moves a median less
 * than a mean). Fused nodes are named by onnxruntime's fused op (FusedMatMul: a MatMul with a
 * transpose or a scale folded in).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import * as G from '../src/learner/graph/index.js';
import { initParams, type ModelConfig, paramShapes } from '../src/learner/model.js';
import type { SessionSettings } from '../src/learner/session-core.js';
import { buildDecodeGraph } from '../src/policy/onnx/decode-graph.js';
import { Rng } from '../src/util/rng.js';

export interface OpProfile {
  /** Median wall time of a whole run (onnxruntime's `model_run` event), ms. */
  runMs: number;
  /** Op type → median kernel ms per run. */
  ops: Map<string, number>;
  /** Kernels run per step (after onnxruntime's fusions). */
  nodes: number;
}

interface TraceEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** Kernel time per op type of one decode step at `rows` rows, a cache of `cap` slots, `filled` of them valid. */
export async function decodeOpProfile(
  c: ModelConfig,
  settings: SessionSettings,
  shape: { rows: number; cap: number; filled: number },
  runs = 20,
): Promise<OpProfile> {
  const { rows: B, cap, filled } = shape;
  const dir = mkdtempSync(join(tmpdir(), 'lamer-op-profile-'));
  try {
    const spin = settings.allowSpinning === true ? '1' : '0';
    const session = await ort.InferenceSession.create(G.compileGraph(buildDecodeGraph(c)), {
      enableProfiling: true,
      profileFilePrefix: join(dir, 'decode'),
      ...(settings.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: settings.intraOpNumThreads }),
      extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
    });
    const rng = Rng.seeded(1);
    const kvSize = B * c.nKvHeads * cap * c.headDim;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: B }, (_, i) => BigInt(i + 9)),
        [B, 1],
      ),
      position_ids: new ort.Tensor('int64', new BigInt64Array(B).fill(BigInt(filled)), [B, 1]),
      attention_bias: new ort.Tensor(
        'float32',
        Float32Array.from({ length: B * cap }, (_, i) => (i % cap < filled ? 0 : -1e9)),
        [B, cap],
      ),
      inv_temperature: new ort.Tensor('float64', new Float64Array(B).fill(1), [B, 1]),
    };
    for (let i = 0; i < c.nLayers; i++)
      for (const kind of ['key', 'value'])
        feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor(
          'float32',
          Float32Array.from({ length: kvSize }, () => rng.float() - 0.5),
          [B, c.nKvHeads, cap, c.headDim],
        );
    const params = initParams(c, 0);
    const shapes = paramShapes(c);
    for (const name of session.inputNames)
      if (params[name] !== undefined) feeds[name] = new ort.Tensor('float32', params[name], shapes[name]!);
    // Outputs into buffers kept from run to run, as the policy's cache does (kv-cache.ts).
    const fetches: Record<string, ort.Tensor> = {
      logits: new ort.Tensor('float32', new Float32Array(B * c.vocabSize), [B, 1, c.vocabSize]),
      weights: new ort.Tensor('float64', new Float64Array(B * c.vocabSize), [B, c.vocabSize]),
    };
    for (let i = 0; i < c.nLayers; i++)
      for (const kind of ['key', 'value'])
        fetches[`new.${i}.${kind}`] = new ort.Tensor(
          'float32',
          new Float32Array(B * c.nKvHeads * c.headDim),
          [B, c.nKvHeads, 1, c.headDim],
        );
    const warmup = 3;
    for (let r = 0; r < warmup + runs; r++) await session.run(feeds, fetches);
    session.endProfiling();
    await session.release();
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (file === undefined) throw new Error(`onnxruntime wrote no profile in ${dir}`);
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as TraceEvent[];
    const runEvents = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').slice(warmup);
    const kernels = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
    let nodes = 0;
    const perRun = runEvents.map((run) => {
      const byOp = new Map<string, number>();
      nodes = 0;
      for (const e of kernels)
        if (e.ts >= run.ts && e.ts <= run.ts + run.dur) {
          nodes++;
          const op = e.args?.op_name ?? e.name;
          byOp.set(op, (byOp.get(op) ?? 0) + e.dur / 1000);
        }
      return byOp;
    });
    const types = new Set(kernels.map((e) => e.args?.op_name ?? e.name));
    const ops = new Map([...types].map((op) => [op, median(perRun.map((m) => m.get(op) ?? 0))] as const));
    return { runMs: median(runEvents.map((e) => e.dur / 1000)), ops, nodes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
