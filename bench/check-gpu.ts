/**
 * `npm run check:gpu [-- --shape NAME]`: on a machine with a GPU, runs a LoRA train step and a
 * generation step of a Hugging Face model at a real shape (default smollm2-135m, random weights)
 * with onnxruntime's CUDA provider (when installed: README, "Install notes") or else WebGPU, and the same on
 * CPU; prints the largest difference of the loss, gradients and logits between them and the
 * speedup. Without a usable GPU provider it says why and exits 0 (nothing to check).
 *
 * Env: BENCH_DIR (where the model folder is written; default the OS temp folder), CHECK_BATCH (2),
 * CHECK_SEQ (256 tokens; PPO on the last quarter of each row), CHECK_RUNS (3, median),
 * CHECK_PROVIDER (force one, e.g. `cpu` for a dry run of the comparison without a GPU).
 */
import { loadavg } from 'node:os';
import * as G from '../src/learner/graph/index.js';
import { modelConfigFromHf } from '../src/learner/hf/config.js';
import { externalWeights, readHfCheckpoint } from '../src/learner/hf/weights.js';
import { buildInferenceGraph } from '../src/learner/inference.js';
import { loraConfig } from '../src/learner/lora.js';
import { DEFAULT_LOSS_CONFIG } from '../src/learner/loss.js';
import { checkProvider } from '../src/learner/provider-check.js';
import { createOrtSession, type ExecutionProvider, type Feeds, runOrt } from '../src/learner/session-core.js';
import { initTrainState, optimizerFeeds } from '../src/learner/train-state.js';
import { buildGradGraph, trainGraphConfig } from '../src/learner/train-step.js';
import { Rng } from '../src/util/rng.js';
import { folderFor } from './learner-hf.js';

const shapeAt = process.argv.indexOf('--shape');
const SHAPE = shapeAt === -1 ? 'smollm2-135m' : process.argv[shapeAt + 1]!;
const B = Number(process.env.CHECK_BATCH ?? 2);
const T = Number(process.env.CHECK_SEQ ?? 256);
const RUNS = Number(process.env.CHECK_RUNS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The first GPU provider that opens a session (CUDA, then WebGPU), or why none did. */
async function gpuProvider(): Promise<{ provider: ExecutionProvider } | { why: string[] }> {
  const why: string[] = [];
  for (const provider of ['cuda', 'webgpu'] as const) {
    try {
      await checkProvider(provider);
      return { provider };
    } catch (error) {
      // the reason only: the install hint follows once, below
      why.push(`${provider}: ${(error as Error).message.split('\n')[0]!.split('. To use it, ')[0]}`);
    }
  }
  return { why };
}

async function timed(session: Awaited<ReturnType<typeof createOrtSession>>['session'], feeds: Feeds) {
  let out = await runOrt(session, feeds); // warm-up (and what is compared)
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    out = await runOrt(session, feeds);
    times.push(performance.now() - t0);
  }
  return { out, ms: median(times) };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

// CHECK_PROVIDER=cpu runs the comparison CPU against CPU: a dry run of this script on a machine without a GPU.
const forced = process.env.CHECK_PROVIDER as ExecutionProvider | undefined;
const found = forced ? { provider: forced } : await gpuProvider();
if ('why' in found) {
  console.log(
    'check:gpu: no GPU execution provider opens a session on this machine, so there is nothing to compare ' +
      `(${found.why.join('; ')}). On a GPU machine install the CUDA provider (README, "Install notes") and run it again.`,
  );
} else {
  const { provider } = found;
  const dir = await folderFor(SHAPE);
  const model = modelConfigFromHf((await import(`${dir}/config.json`, { with: { type: 'json' } })).default);
  const weights = await externalWeights(await readHfCheckpoint(dir, model));
  const lora = loraConfig({ rank: 16 });
  const cfg = trainGraphConfig({
    model,
    loss: { ...DEFAULT_LOSS_CONFIG, kind: 'ppo' },
    frozen: { external: weights },
    lora,
    window: true,
  });
  const rng = Rng.seeded(11);
  const ids = Array.from({ length: B * T }, () => BigInt(rng.int(0, model.vocabSize - 1)));
  const R = B * (T / 4);
  const targets = Array.from({ length: B }, (_, b) =>
    Array.from({ length: T / 4 }, (_, j) => b * T + (3 * T) / 4 + j),
  ).flat();
  const state = initTrainState(cfg, 1);
  const adapters = Object.fromEntries(
    Object.entries(state.params).map(([n, v]) => [n, v.map(() => 0.01 * (rng.float() - 0.5))]),
  );
  const opt = optimizerFeeds(cfg, { ...state, params: adapters }, 1e-4);
  const trainFeeds: Feeds = {
    ...Object.fromEntries(Object.keys(adapters).map((n) => [n, opt[n]!])),
    input_ids: { type: 'int64', dims: [B, T], data: BigInt64Array.from(ids) },
    attention_mask: { type: 'int64', dims: [B, T], data: new BigInt64Array(B * T).fill(1n) },
    target_index: {
      type: 'int64',
      dims: [1, R],
      data: BigInt64Array.from(targets.map((t) => BigInt(t - 1))),
    },
    target_ids: { type: 'int64', dims: [1, R], data: BigInt64Array.from(targets.map((t) => ids[t]!)) },
    loss_mask: { type: 'float32', dims: [1, R], data: new Float32Array(R).fill(1) },
    advantages: {
      type: 'float32',
      dims: [1, R],
      data: Float32Array.from({ length: R }, () => rng.float() - 0.5),
    },
    old_logprobs: {
      type: 'float32',
      dims: [1, R],
      data: new Float32Array(R).fill(-Math.log(model.vocabSize)),
    },
    num_tokens: { type: 'float32', dims: [], data: Float32Array.of(R) },
  };
  const prefill = G.compileGraph(
    buildInferenceGraph(model, { weights: 'external', external: weights, lora, logits: 'last' }),
  );
  const empty = { type: 'float32', dims: [B, model.nKvHeads, 0, model.headDim], data: new Float32Array(0) };
  const genFeeds: Feeds = {
    ...Object.fromEntries(Object.keys(adapters).map((n) => [n, opt[n]!])),
    input_ids: trainFeeds.input_ids!,
    attention_mask: trainFeeds.attention_mask!,
    position_ids: {
      type: 'int64',
      dims: [B, T],
      data: BigInt64Array.from({ length: B * T }, (_, i) => BigInt(i % T)),
    },
    ...Object.fromEntries(
      Array.from({ length: model.nLayers }, (_, i) => [
        [`past_key_values.${i}.key`, empty],
        [`past_key_values.${i}.value`, empty],
      ]).flat(),
    ),
  };
  const grad = G.compileGraph(buildGradGraph(cfg));
  const results: Record<string, { ms: number; out: Record<string, { data: unknown }> }> = {};
  for (const [slot, p] of [
    ['gpu', provider],
    ['cpu', 'cpu'],
  ] as const) {
    const settings = { provider: p, fallbackToCpu: false, externalDataDir: weights.dir };
    const g = (await createOrtSession(grad, settings)).session;
    const f = (await createOrtSession(prefill, settings)).session;
    const train = await timed(g, trainFeeds);
    const gen = await timed(f, genFeeds);
    results[`train ${slot}`] = train;
    results[`prefill ${slot}`] = gen;
    await g.release();
    await f.release();
  }
  const data = (k: string, n: string) => results[k]!.out[n]!.data as Float32Array;
  const gradNames = Object.keys(adapters).map((n) => `grad.${n}`);
  const gradDiff = Math.max(...gradNames.map((n) => maxDiff(data(`train gpu`, n), data('train cpu', n))));
  console.log(
    `check:gpu: ${SHAPE} on ${provider} vs cpu (batch ${B}×${T}, LoRA rank 16); load average ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(
    `  LoRA train step: loss ${data(`train gpu`, 'loss')[0]} vs ${data('train cpu', 'loss')[0]}, max |Δ gradient| ${gradDiff.toExponential(2)}; ` +
      `${results[`train gpu`]!.ms.toFixed(0)} ms vs ${results['train cpu']!.ms.toFixed(0)} ms: ${(results['train cpu']!.ms / results[`train gpu`]!.ms).toFixed(1)}× faster`,
  );
  console.log(
    `  prefill (last-position logits): max |Δ logit| ${maxDiff(data(`prefill gpu`, 'logits'), data('prefill cpu', 'logits')).toExponential(2)}; ` +
      `${results[`prefill gpu`]!.ms.toFixed(0)} ms vs ${results['prefill cpu']!.ms.toFixed(0)} ms: ${(results['prefill cpu']!.ms / results[`prefill gpu`]!.ms).toFixed(1)}× faster`,
  );
}
