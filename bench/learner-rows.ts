/**
 * Memory of the LoRA gradient graph per micro-batch shape (docs/experiments.md, "Memory of one row"): the
 * Trainer's gradient session over the folder `bench:learner --shape smollm2-135m` writes (BENCH_DIR), run on
 * rows × T tokens (64 response tokens each), printing the time and the process's RSS after each run.
 * Usage: BENCH_DIR=/tmp/hf npx tsx bench/learner-rows.ts '[[1,1000],[1,2000]]'
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as G from '../src/learner/graph/index.js';
import { modelConfigFromHf } from '../src/learner/hf/config.js';
import { externalWeights, readHfCheckpoint } from '../src/learner/hf/weights.js';
import { loraConfig } from '../src/learner/lora.js';
import { DEFAULT_LOSS_CONFIG } from '../src/learner/loss.js';
import { OnnxSession } from '../src/learner/session.js';
import type { TensorValue } from '../src/learner/session-core.js';
import { initTrainState, optimizerFeeds } from '../src/learner/train-state.js';
import { buildGradGraph, trainGraphConfig } from '../src/learner/train-step.js';
import { TRAINER_SESSION_DEFAULTS } from '../src/learner/trainer/index.js';

const dir = join(process.env.BENCH_DIR ?? tmpdir(), 'lamer-bench-smollm2-135m');
const shapes = JSON.parse(process.argv[2]!) as [number, number][];
const model = modelConfigFromHf(JSON.parse(readFileSync(`${dir}/config.json`, 'utf8')));
const weights = await externalWeights(await readHfCheckpoint(dir, model));
const cfg = trainGraphConfig({
  model,
  loss: { ...DEFAULT_LOSS_CONFIG, kind: 'ppo' },
  frozen: { external: weights },
  lora: loraConfig({ rank: 16, alpha: 32 }),
  window: true,
});
const mem = () => {
  const s = readFileSync('/proc/self/status', 'utf8');
  const m = (k: string) => Math.round(Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1]) / 1024);
  return `RSS ${m('VmRSS')} anon ${m('RssAnon')} peak ${m('VmHWM')} MiB`;
};
const grad = await OnnxSession.create(G.compileGraph(buildGradGraph(cfg)), {
  ...TRAINER_SESSION_DEFAULTS,
  intraOpNumThreads: 2,
  interOpNumThreads: 1,
  externalDataDir: weights.dir,
});
console.log('open', mem());
const state = initTrainState(cfg, 1);
const params = optimizerFeeds(cfg, state, 1e-4);
const R = 64;
for (const [B, T] of shapes) {
  const ids = BigInt64Array.from({ length: B * T }, (_, i) => BigInt(1 + ((i * 7919) % 40000)));
  const ti = BigInt64Array.from({ length: B * R }, (_, i) =>
    BigInt(Math.floor(i / R) * T + T - R - 1 + (i % R)),
  );
  const tids = BigInt64Array.from({ length: B * R }, (_, i) => ids[Number(ti[i]!) + 1]!);
  const f = (v: number) =>
    ({ type: 'float32', dims: [B, R], data: new Float32Array(B * R).fill(v) }) as TensorValue;
  const feeds: Record<string, TensorValue> = {
    input_ids: { type: 'int64', dims: [B, T], data: ids },
    attention_mask: { type: 'int64', dims: [B, T], data: new BigInt64Array(B * T).fill(1n) },
    target_index: { type: 'int64', dims: [B, R], data: ti },
    target_ids: { type: 'int64', dims: [B, R], data: tids },
    loss_mask: f(1),
    advantages: f(0.5),
    old_logprobs: f(Number.NaN),
    num_tokens: { type: 'float32', dims: [], data: Float32Array.of(B * R) },
    ...Object.fromEntries(Object.keys(state.params).map((n) => [n, params[n]!])),
  };
  const t0 = performance.now();
  const out = await grad.run(feeds);
  console.log(
    `B=${B} T=${T}: ${((performance.now() - t0) / 1000).toFixed(1)} s loss ${(out.loss!.data as Float32Array)[0]}`,
    mem(),
  );
}
await grad.dispose();
