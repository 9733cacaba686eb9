/**
 * `npm run bench:learner`: train-step time of the default built-in model on a
 * fixed batch (PPO loss, grad-norm clip, AdamW: one fused ONNX graph run by
 * onnxruntime on CPU), against PyTorch on CPU running the same architecture,
 * sizes, batch, loss and optimizer in the same run (bench/learner_torch.py with
 * Debian's /usr/bin/python3 + python3-torch + libopenblas0-pthread, same thread
 * count). Prints the median step times, the ratio ours ÷ torch (goal ≤ 1),
 * the achieved GFLOP/s of each against a large-matmul roofline measured with
 * onnxruntime in this run, and where our step's time goes (onnxruntime
 * profile, by op type).
 *
 * Env: BENCH_THREADS (default: all cores), BENCH_BATCH (8), BENCH_SEQ (256),
 * BENCH_STEPS (5), BENCH_WARMUP (2).
 *
 * `--shape NAME` (e.g. `npm run bench:learner -- --shape smollm2-135m`) benches a Hugging Face model
 * of that shape instead: a LoRA train step against PyTorch with peak memory, and generation (learner-hf.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import * as ort from 'onnxruntime-node';
import * as G from '../src/learner/graph/index.js';
import { DEFAULT_MODEL_CONFIG as C, headDim, paramCount } from '../src/learner/model.js';
import { initTrainState, optimizerFeeds } from '../src/learner/train-state.js';
import { buildTrainStepGraph, trainGraphConfig } from '../src/learner/train-step.js';
import { Rng } from '../src/util/rng.js';

const THREADS = Number(process.env.BENCH_THREADS ?? availableParallelism());
const B = Number(process.env.BENCH_BATCH ?? 8);
const T = Number(process.env.BENCH_SEQ ?? 256);
const STEPS = Number(process.env.BENCH_STEPS ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const APT = 'apt-get install -y python3-torch libopenblas0-pthread';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Matmul FLOPs of one train step: forward (projections, LM head, attention scores and mixing) × 3 for backward. */
function trainStepFlops(): number {
  const { dModel: d, ffnHidden: F, nLayers: L, vocabSize: V, nHeads: H } = C;
  const tokens = B * T;
  const perLayer = 2 * tokens * (4 * d * d + 3 * d * F) + 2 * 2 * B * H * T * T * headDim(C);
  return 3 * (L * perLayer + 2 * tokens * d * V);
}

const options = (extra: ort.InferenceSession.SessionOptions = {}): ort.InferenceSession.SessionOptions => ({
  intraOpNumThreads: THREADS,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  ...extra,
});

/** Large-matmul roofline: GFLOP/s of a [2048, 1024] @ [1024, 1024] float32 MatMul in onnxruntime. */
async function roofline(): Promise<number> {
  const [M, K, N] = [2048, 1024, 1024];
  const a = G.input('a', 'float32', [M, K]);
  const b = G.input('b', 'float32', [K, N]);
  const sess = await ort.InferenceSession.create(
    G.compileGraph({ inputs: [a, b], outputs: { c: G.matmul(a, b) } }),
    options(),
  );
  const rng = Rng.seeded(1);
  const feeds = {
    a: new ort.Tensor(
      'float32',
      Float32Array.from({ length: M * K }, () => rng.float()),
      [M, K],
    ),
    b: new ort.Tensor(
      'float32',
      Float32Array.from({ length: K * N }, () => rng.float()),
      [K, N],
    ),
  };
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    await sess.run(feeds);
    if (i >= 2) times.push(performance.now() - t0);
  }
  await sess.release();
  return (2 * M * K * N) / (median(times) * 1e6);
}

function batchFeeds(): Record<string, ort.Tensor> {
  const rng = Rng.seeded(2);
  const n = B * T;
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng.float())) * Math.cos(2 * Math.PI * rng.float());
  return {
    input_ids: new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: n }, () => BigInt(rng.int(0, C.vocabSize - 1))),
      [B, T],
    ),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [B, T]),
    loss_mask: new ort.Tensor('float32', new Float32Array(n).fill(1), [B, T]),
    advantages: new ort.Tensor('float32', Float32Array.from({ length: n }, normal), [B, T]),
    old_logprobs: new ort.Tensor('float32', new Float32Array(n).fill(-Math.log(C.vocabSize)), [B, T]),
  };
}

/** Our step: median ms, and the share of kernel time per op type in one profiled step. */
async function ours(bytes: Uint8Array): Promise<{ ms: number; profile: [string, number][] }> {
  const state = initTrainState(C, 1);
  const feeds: Record<string, ort.Tensor> = { ...batchFeeds() };
  for (const [n, t] of Object.entries(optimizerFeeds(C, state, 1e-4)))
    feeds[n] = new ort.Tensor('float32', t.data as Float32Array, t.dims);
  const sess = await ort.InferenceSession.create(bytes, options());
  const times: number[] = [];
  for (let i = 0; i < WARMUP + STEPS; i++) {
    const t0 = performance.now();
    await sess.run(feeds);
    if (i >= WARMUP) times.push(performance.now() - t0);
  }
  await sess.release();

  const dir = mkdtempSync(join(tmpdir(), 'lamer-bench-'));
  const prof = await ort.InferenceSession.create(
    bytes,
    options({ enableProfiling: true, profileFilePrefix: join(dir, 'step') }),
  );
  await prof.run(feeds);
  await prof.run(feeds);
  prof.endProfiling();
  await prof.release();
  const file = readdirSync(dir).find((f) => f.endsWith('.json'));
  const byOp = new Map<string, number>();
  if (file) {
    type Ev = { name: string; cat?: string; ts: number; dur: number; args?: { op_name?: string } };
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Ev[];
    const lastRun = events.filter((e) => e.name === 'model_run').at(-1);
    for (const e of events)
      if (e.cat === 'Node' && e.name.endsWith('_kernel_time') && lastRun && e.ts >= lastRun.ts) {
        const op = e.args?.op_name ?? '?';
        byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
      }
  }
  rmSync(dir, { recursive: true, force: true });
  const total = [...byOp.values()].reduce((a, b) => a + b, 0);
  const profile = [...byOp].sort((a, b) => b[1] - a[1]).map(([op, us]): [string, number] => [op, us / total]);
  return { ms: median(times), profile };
}

function torchSide(): { ms: number; version: string } | string {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return `PyTorch is not installed for /usr/bin/python3: run \`${APT}\` to compare.`;
  }
  const cfg = { ...C, batch: B, seq: T, threads: THREADS, steps: STEPS, warmup: WARMUP };
  const out = execFileSync(
    '/usr/bin/python3',
    [join(import.meta.dirname, 'learner_torch.py'), JSON.stringify(cfg)],
    {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: String(THREADS), OPENBLAS_NUM_THREADS: String(THREADS) },
    },
  );
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as { step_ms: number[]; torch: string };
  return { ms: median(r.step_ms), version: r.torch };
}

const shapeAt = process.argv.indexOf('--shape');
if (shapeAt !== -1) {
  // A Hugging Face model's shape: LoRA train step vs PyTorch, peak memory, generation (learner-hf.ts).
  const { benchHfShape } = await import('./learner-hf.js');
  await benchHfShape(process.argv[shapeAt + 1] ?? '');
  process.exit(0);
}

const flops = trainStepFlops();
const t0 = performance.now();
const bytes = G.compileGraph(buildTrainStepGraph(trainGraphConfig()));
console.log(
  `default model: ${paramCount(C).toLocaleString()} parameters, batch ${B}×${T}, ${THREADS} thread(s); ` +
    `train-step graph compiled in ${(performance.now() - t0).toFixed(0)} ms (${(bytes.length / 1024).toFixed(0)} KiB)`,
);
const peak = await roofline();
const us = await ours(bytes);
const torch = torchSide();
const gflops = (ms: number) => flops / (ms * 1e6);
const table = new Table({ head: ['', 'ms / step', 'GFLOP/s', '% of matmul roofline'] });
table.push([
  'lamer-ts (onnxruntime)',
  us.ms.toFixed(1),
  gflops(us.ms).toFixed(1),
  ((100 * gflops(us.ms)) / peak).toFixed(0),
]);
if (typeof torch !== 'string')
  table.push([
    `PyTorch ${torch.version}`,
    torch.ms.toFixed(1),
    gflops(torch.ms).toFixed(1),
    ((100 * gflops(torch.ms)) / peak).toFixed(0),
  ]);
console.log(
  `step: ${(flops / 1e9).toFixed(2)} GFLOP of matmuls; roofline (onnxruntime ${2048}×1024×1024 MatMul): ${peak.toFixed(1)} GFLOP/s`,
);
console.log(table.toString());
if (typeof torch === 'string') console.log(torch);
else
  console.log(
    `ratio ours ÷ PyTorch: ${(us.ms / torch.ms).toFixed(2)} (goal ≤ 1: ${us.ms <= torch.ms ? 'met' : 'NOT met, see the profile below'})`,
  );
console.log('where our step spends its kernel time (onnxruntime profile, by op type):');
console.log(
  us.profile
    .slice(0, 10)
    .map(([op, share]) => `  ${op.padEnd(22)} ${(100 * share).toFixed(1)}%`)
    .join('\n'),
);
