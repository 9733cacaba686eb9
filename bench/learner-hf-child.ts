/**
 * Our side of `npm run bench:learner -- --shape NAME`, in its own process so its peak RSS is its own:
 * the LoRA train step of the Trainer (gradient graph over the response window with the frozen base
 * as memory-mapped external weights, then clip + AdamW on the adapters), on the batch the bench wrote.
 * Prints one JSON line: step times (ms) and peak RSS (bytes).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as G from '../src/learner/graph/index.js';
import { modelConfigFromHf } from '../src/learner/hf/config.js';
import { externalWeights, readHfCheckpoint } from '../src/learner/hf/weights.js';
import { loraConfig } from '../src/learner/lora.js';
import { DEFAULT_LOSS_CONFIG } from '../src/learner/loss.js';
import { OnnxSession } from '../src/learner/session.js';
import type { TensorValue } from '../src/learner/session-core.js';
import { initTrainState, optimizerFeeds } from '../src/learner/train-state.js';
import { buildApplyGraph, buildGradGraph, trainGraphConfig, trainNames } from '../src/learner/train-step.js';
import { TRAINER_SESSION_DEFAULTS } from '../src/learner/trainer/index.js';

interface Job {
  dir: string;
  batchFile: string;
  threads: number;
  steps: number;
  warmup: number;
  rank: number;
  prepack: boolean;
  memPattern: boolean;
}

const job = JSON.parse(process.argv[2]!) as Job;
const batch = JSON.parse(readFileSync(job.batchFile, 'utf8')) as {
  input_ids: number[][];
  targets: [number, number][];
  advantages: number[];
  old_logprobs: number[];
};
const model = modelConfigFromHf(JSON.parse(readFileSync(`${job.dir}/config.json`, 'utf8')));
const weights = await externalWeights(await readHfCheckpoint(job.dir, model));
const lora = loraConfig({ rank: job.rank, alpha: 2 * job.rank });
const cfg = trainGraphConfig({
  model,
  loss: { ...DEFAULT_LOSS_CONFIG, kind: 'ppo' },
  frozen: { external: weights },
  lora,
  window: true,
});
// The Trainer's session settings (TRAINER_SESSION_DEFAULTS); the bench's env can turn onnxruntime's defaults back on.
const settings = {
  ...TRAINER_SESSION_DEFAULTS,
  intraOpNumThreads: job.threads,
  interOpNumThreads: 1,
  externalDataDir: weights.dir,
  ...(job.prepack ? { prepack: true } : {}),
  ...(job.memPattern ? { memPattern: true } : {}),
};
/** Resident memory now, split into anonymous (arena, heap) and file-backed (the mapped base), and the peak (Linux). */
function memory(): string {
  if (!existsSync('/proc/self/status')) return '';
  const status = readFileSync('/proc/self/status', 'utf8');
  const mib = (key: string) =>
    Math.round(Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
  return `RSS ${mib('VmRSS')} MiB (anonymous ${mib('RssAnon')}, file-backed ${mib('RssFile')}), peak ${mib('VmHWM')} MiB`;
}
const grad = await OnnxSession.create(G.compileGraph(buildGradGraph(cfg)), settings);
const apply = await OnnxSession.create(G.compileGraph(buildApplyGraph(cfg)), settings);
process.stderr.write(`  ours: sessions open, ${memory()}\n`);

const B = batch.input_ids.length;
const T = batch.input_ids[0]!.length;
const R = batch.targets.length;
const i64 = (rows: number[][]): TensorValue => ({
  type: 'int64',
  dims: [rows.length, rows[0]!.length],
  data: BigInt64Array.from(rows.flat(), BigInt),
});
const f32 = (v: number[], dims: number[]): TensorValue => ({
  type: 'float32',
  dims,
  data: Float32Array.from(v),
});
const feeds: Record<string, TensorValue> = {
  input_ids: i64(batch.input_ids),
  attention_mask: i64(batch.input_ids.map((r) => r.map(() => 1))),
  target_index: i64([batch.targets.map(([b, t]) => b * T + t - 1)]),
  target_ids: i64([batch.targets.map(([b, t]) => batch.input_ids[b]![t]!)]),
  loss_mask: f32(new Array(R).fill(1), [1, R]),
  advantages: f32(batch.advantages, [1, R]),
  old_logprobs: f32(batch.old_logprobs, [1, R]),
  num_tokens: f32([R], []),
};
void B;
let state = initTrainState(cfg, 1);
const times: number[] = [];
for (let i = 0; i < job.warmup + job.steps; i++) {
  const t0 = performance.now();
  const params = optimizerFeeds(cfg, state, 1e-4);
  const out = await grad.run({
    ...feeds,
    ...Object.fromEntries(Object.keys(state.params).map((n) => [n, params[n]!])),
  });
  const opt: Record<string, TensorValue> = { ...params };
  for (const n of Object.keys(state.params)) opt[trainNames.grad(n)] = out[trainNames.grad(n)]!;
  const next = await apply.run(opt);
  const get = (n: string) => next[trainNames.next(n)]!.data as Float32Array;
  state = {
    params: Object.fromEntries(Object.keys(state.params).map((n) => [n, get(n)])),
    m: Object.fromEntries(Object.keys(state.params).map((n) => [n, get(trainNames.m(n))])),
    v: Object.fromEntries(Object.keys(state.params).map((n) => [n, get(trainNames.v(n))])),
    step: state.step + 1,
  };
  if (i >= job.warmup) times.push(performance.now() - t0);
  const loss = i === 0 ? ` (loss ${(out.loss!.data as Float32Array)[0]})` : '';
  process.stderr.write(
    `  ours: step ${i + 1} ${(performance.now() - t0).toFixed(0)} ms${loss}, ${memory()}\n`,
  );
}
await grad.dispose();
await apply.dispose();
console.log(JSON.stringify({ step_ms: times, peak_rss: process.resourceUsage().maxRSS * 1024 }));
