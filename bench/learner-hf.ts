/**
 * `npm run bench:learner -- --shape smollm2-135m`: a Hugging Face model at a real model's shape
 * (random weights: nothing can be downloaded here; speed does not depend on the values), written as
 * an HF folder (float32 safetensors), then in the same run:
 *
 * - a LoRA train step (rank 16 on q/k/v/o/gate/up/down; batch 4 × 512 tokens, PPO over the last 128
 *   of each row, the Trainer's response window; clip + AdamW on the adapters), ours
 *   (bench/learner-hf-child.ts) against PyTorch on the same folder, batch and threads
 *   (bench/learner_torch_hf.py), each in its own process: median step time and peak RSS of both,
 *   and the ratios (goal: ≤ 1.0× PyTorch's time, memory no more than PyTorch's);
 * - generation tokens/s at batch 1 and 16 with the ONNX policy on the same folder (LoRA adapters
 *   as inputs, the frozen base mapped from the files), 128-token prompts, 32 new tokens, in its own
 *   process (learner-gen-child.ts) with its peak RSS.
 *
 * Env: BENCH_THREADS (default: all cores), BENCH_STEPS (3), BENCH_WARMUP (1), BENCH_DIR (where
 * the folder is written, default the OS temp folder; reused when present). Our step runs with the
 * Trainer's session settings (TRAINER_SESSION_DEFAULTS); BENCH_PREPACK=1 lets onnxruntime pre-pack the
 * frozen weights (a packed copy per session), BENCH_MEM_PATTERN=1 turns its memory pattern back on
 * (the 11 GiB peak of the first measurement). Our child prints its RSS after each step on stderr.
 * BENCH_GEN_SESSION (JSON, e.g. '{"prepack":false}') sets the generation sessions' memory settings.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { randomHfParams } from '../src/learner/hf/tiny.js';
import { writeHfFolder } from '../src/learner/hf/write.js';
import { hfConfig, type ModelConfig, modelConfig, paramCount } from '../src/learner/model.js';
import { builtinTokenizerFiles } from '../src/policy/tokenizer.js';
import { Rng } from '../src/util/rng.js';

/** Shapes of published models (their config.json's sizes). */
export const SHAPES: Record<string, ModelConfig> = {
  'smollm2-135m': modelConfig({
    vocabSize: 49152,
    dModel: 576,
    nLayers: 30,
    nHeads: 9,
    nKvHeads: 3,
    ffnHidden: 1536,
    maxSeqLen: 8192,
    ropeTheta: 100000,
    rmsNormEps: 1e-5,
    tieEmbeddings: true,
  }),
  /** A small Qwen3-style shape to try the bench quickly. */
  tiny: modelConfig({
    vocabSize: 4096,
    dModel: 128,
    nLayers: 2,
    nHeads: 4,
    nKvHeads: 2,
    ffnHidden: 256,
    qkNorm: true,
  }),
};

const THREADS = Number(process.env.BENCH_THREADS ?? availableParallelism());
const STEPS = Number(process.env.BENCH_STEPS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1);
const PREPACK = process.env.BENCH_PREPACK === '1';
const MEM_PATTERN = process.env.BENCH_MEM_PATTERN === '1';
/** Session settings of the generation part over the policy's own, e.g. '{"prepack":false}' (BENCH_GEN_SESSION). */
const GEN_SESSION = JSON.parse(process.env.BENCH_GEN_SESSION ?? '{}') as {
  prepack?: boolean;
  memPattern?: boolean;
};
const [B, T, RESP, RANK] = [4, 512, 128, 16];
const APT = 'apt-get install -y python3-torch libopenblas0-pthread';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** The random-weight folder of a shape (written once; reused while its config matches). */
export async function folderFor(name: string): Promise<string> {
  const c = SHAPES[name];
  if (!c) throw new Error(`--shape: expected one of ${Object.keys(SHAPES).join(', ')}, got "${name}"`);
  const dir = join(process.env.BENCH_DIR ?? tmpdir(), `lamer-bench-${name}`);
  const config = join(dir, 'config.json');
  if (
    existsSync(config) &&
    JSON.stringify(JSON.parse(readFileSync(config, 'utf8')).hidden_size) === String(c.dModel)
  )
    return dir;
  const files = builtinTokenizerFiles();
  await writeHfFolder(dir, {
    config: c,
    params: randomHfParams(c, 1, 0.02),
    dtype: 'F32',
    generationConfig: {},
  });
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(files.tokenizer));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(files.config));
  return dir;
}

function writeBatch(dir: string, c: ModelConfig): string {
  const rng = Rng.seeded(7);
  const file = join(dir, 'bench-batch.json');
  const targets = Array.from({ length: B }, (_, b) =>
    Array.from({ length: RESP }, (_, j) => [b, T - RESP + j]),
  ).flat();
  writeFileSync(
    file,
    JSON.stringify({
      input_ids: Array.from({ length: B }, () =>
        Array.from({ length: T }, () => rng.int(0, c.vocabSize - 1)),
      ),
      targets,
      advantages: targets.map(() => (rng.float() < 0.5 ? -1 : 1) * (0.5 + rng.float())),
      old_logprobs: targets.map(() => -Math.log(c.vocabSize) + 0.1 * (rng.float() - 0.5)),
    }),
  );
  return file;
}

type Side = { ms: number; rss: number; extra?: string } | string;

function ours(job: object): Side {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'learner-hf-child.ts'), JSON.stringify(job)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 2 ** 24 },
  );
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as { step_ms: number[]; peak_rss: number };
  return { ms: median(r.step_ms), rss: r.peak_rss };
}

function torch(job: object): Side {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return `PyTorch is not installed for /usr/bin/python3: run \`${APT}\` to compare.`;
  }
  const env = { ...process.env, OMP_NUM_THREADS: String(THREADS), OPENBLAS_NUM_THREADS: String(THREADS) };
  const out = execFileSync(
    '/usr/bin/python3',
    [join(import.meta.dirname, 'learner_torch_hf.py'), JSON.stringify(job)],
    {
      encoding: 'utf8',
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as {
    step_ms: number[];
    peak_rss: number;
    torch: string;
  };
  return { ms: median(r.step_ms), rss: r.peak_rss, extra: `PyTorch ${r.torch}` };
}

/** The generation part in its own process (learner-gen-child.ts), so its peak RSS is its own. */
function generation(dir: string): { tps: [number, number][]; peak_rss: number } {
  const job = { dir, threads: THREADS, rank: RANK, session: GEN_SESSION };
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'learner-gen-child.ts'), JSON.stringify(job)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 2 ** 24 },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

export async function benchHfShape(name: string): Promise<void> {
  const c = SHAPES[name];
  if (!c) throw new Error(`--shape: expected one of ${Object.keys(SHAPES).join(', ')}, got "${name}"`);
  const dir = await folderFor(name);
  const job = {
    dir,
    batchFile: writeBatch(dir, c),
    threads: THREADS,
    steps: STEPS,
    warmup: WARMUP,
    rank: RANK,
    prepack: PREPACK,
    memPattern: MEM_PATTERN,
  };
  console.log(
    `${name}: ${(paramCount(c) / 1e6).toFixed(1)}M parameters (${hfConfig(c).architectures}), random float32 weights in ${dir}; ` +
      `LoRA rank ${RANK} on all 7 projections; batch ${B}×${T}, PPO on the last ${RESP} tokens of each row; ` +
      `${THREADS} thread(s); pre-packing ${PREPACK ? 'on' : 'off'}, memory pattern ${MEM_PATTERN ? 'on' : 'off'}; load average before ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
  );
  const us = ours(job);
  const them = torch(job);
  const table = new Table({ head: ['LoRA train step', 'ms / step (median)', 'peak RSS'] });
  if (typeof us !== 'string') table.push(['lamer-ts (onnxruntime)', us.ms.toFixed(0), mib(us.rss)]);
  if (typeof them !== 'string') table.push([them.extra ?? 'PyTorch', them.ms.toFixed(0), mib(them.rss)]);
  console.log(table.toString());
  if (typeof them === 'string') console.log(them);
  else if (typeof us !== 'string')
    console.log(
      `ratio ours ÷ PyTorch: time ${(us.ms / them.ms).toFixed(2)} (goal ≤ 1.0: ${us.ms <= them.ms ? 'met' : 'NOT met'}), ` +
        `peak memory ${(us.rss / them.rss).toFixed(2)} (goal ≤ 1.0: ${us.rss <= them.rss ? 'met' : 'NOT met'})`,
    );
  const gen = generation(dir);
  console.log(
    `generation (LoRA adapters in the graph, 128-token prompts, 32 new tokens; sessions ${JSON.stringify(GEN_SESSION)} over the policy's): ` +
      `${gen.tps.map(([b, tps]) => `batch ${b}: ${tps.toFixed(1)} tokens/s`).join(', ')}; peak RSS ${mib(gen.peak_rss)}`,
  );
  console.log(
    `load average after ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
}
