/**
 * `npm run bench:generate`: tokens/s of batched KV-cache generation with the
 * ONNX policy for the default built-in model (seeded, untrained weights: speed
 * does not depend on training) at batch 1, 16 and 64, against a large-matmul
 * roofline measured with onnxruntime in the same run, with the policy's session
 * settings, right before each batch size (the load of a shared machine moves).
 * Prints generated tokens/s, the achieved GFLOP/s of generation (prefill and
 * decode matmuls, attention included), its ratio to the roofline's GFLOP/s, and
 * tokens/s at batch 64 ÷ at batch 16.
 *
 * A decode step's attention reads the whole cache for two flops per float: it runs at memory speed,
 * not at the matmul roofline. So each batch size also gets a bound (generate-bounds.ts): the call's
 * matmul flops but the decode attention's at the roofline, plus the decode attention's cache bytes
 * (valid slots, float32) at a memory roofline measured likewise (onnxruntime reading a cache larger
 * than the L3 with the attention's own kernel). `÷ bound` is that bound's time over the call's.
 *
 * Then, for the same runs, where the time goes (the policy's `stats.profile`, profile.ts): the prefill
 * per call, and per decode step onnxruntime's run, building its inputs, reading its outputs, keeping
 * finished rows in the prefix store, sampling, stop checks and the time spent crossing threads. The load average is printed: other jobs share the cores.
 *
 * Env: BENCH_THREADS (default: onnxruntime's, one per core), BENCH_PROMPT
 * (prompt tokens, default 128), BENCH_NEW (tokens per reply, default 64),
 * BENCH_RUNS (timed runs per batch, median; default 3), BENCH_BATCHES ("1,16,64"), BENCH_SPIN (1: let
 * onnxruntime's threads spin, as its default; the policy turns spinning off).
 *
 * Then a LaMer-like batch, 64 rows with prompts of PROMPT/2 to 2.5·PROMPT tokens and 8-token replies:
 * the prefill in length groups (the default, prefill-groups.ts: at most 16 rows, cut by cost) ÷ one run
 * padded to the longest prompt (`prefillGroupRows` 4096, `prefillPassTokens` Infinity), same requests,
 * alternating.
 *
 * BENCH_OPS=1 adds onnxruntime's own per-node profile of one decode step at each batch size, summed
 * per op type (op-profile.ts): the cache at the middle of a reply (PROMPT + NEW/2 slots filled), and
 * the GB/s at which its MatMuls (the cache attention) read the cache.
 */
import { loadavg } from 'node:os';
import Table from 'cli-table3';
import { DEFAULT_MODEL_CONFIG as C, initParams } from '../src/learner/model.js';
import { GROW } from '../src/policy/onnx/kv-cache.js';
import { OnnxPolicy } from '../src/policy/onnx/policy.js';
import { type DecodeProfile, profileSince } from '../src/policy/onnx/profile.js';
import type { GenerationRequest } from '../src/policy/types.js';
import { deriveSeed } from '../src/util/rng.js';
import { bandwidthProbe, rooflineProbe, rowBound, rowFlops } from './generate-bounds.js';
import { decodeOpProfile, type OpProfile } from './op-profile.js';

const THREADS = process.env.BENCH_THREADS === undefined ? undefined : Number(process.env.BENCH_THREADS);
const PROMPT = Number(process.env.BENCH_PROMPT ?? 128);
const NEW = Number(process.env.BENCH_NEW ?? 64);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BATCHES = (process.env.BENCH_BATCHES ?? '1,16,64').split(',').map(Number);
const OPS = process.env.BENCH_OPS === '1';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The policy's session settings (spinning as the policy: off unless BENCH_SPIN=1), for the rooflines too. */
const SETTINGS = {
  ...(THREADS === undefined ? {} : { intraOpNumThreads: THREADS }),
  ...(process.env.BENCH_SPIN === undefined ? {} : { allowSpinning: process.env.BENCH_SPIN === '1' }),
};

/**
 * B prompts of exactly `length(b)` tokens (after the chat template; default PROMPT), different per row,
 * starting with `tag` and the run: a tag used once per block of runs, so that no block repeats a prompt
 * an earlier block ran (the prefix store would reuse it: with BENCH_BATCHES=16,64,16,64 the second
 * blocks reused every prompt and batch 64 reused batch 16's sixteen, until 2026-12-07).
 */
function prompts(
  policy: OnnxPolicy,
  batch: number,
  run: number,
  tag: string,
  length: (b: number) => number = () => PROMPT,
  maxTokens = NEW,
): GenerationRequest[] {
  const { tokenizer } = policy.promptCodec;
  const out: GenerationRequest[] = [];
  for (let b = 0; b < batch; b++) {
    let words = `${tag}.${run + 1} row ${b}:`; // the block and run first: no run repeats an earlier prompt
    const count = () => policy.promptCodec.tokenizer.encode(words).length;
    const overhead = tokenizer.encode(
      '<|im_start|>user\n<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n',
    ).length;
    while (count() + overhead < length(b))
      words += ` ${['reveal', 'flag', 'cell', 'mine', 'board'][(b + words.length) % 5]}`;
    out.push({
      key: `bench/${b}`,
      messages: [{ role: 'user', content: words }],
      sampling: { temperature: 1, maxTokens, seed: deriveSeed(run, b) },
    });
  }
  return out;
}

const loadBefore = loadavg()[0]!;
const roofline = await rooflineProbe(SETTINGS);
const bandwidth = await bandwidthProbe(SETTINGS);
const policy = await OnnxPolicy.fromParams(C, initParams(C, 0), 0, SETTINGS);
const table = new Table({
  head: [
    'batch',
    'tokens',
    'ms',
    'tokens/s',
    'GFLOP/s',
    'roofline GFLOP/s',
    '÷ roofline',
    'memory GB/s',
    'bound ms',
    '÷ bound',
  ],
});
const rates: number[] = [];
const boundRates: number[] = []; // tokens/s if the call ran at its bound
const boundShares: number[] = []; // ÷ roofline if the call ran at its bound
const PHASES = ['runMs', 'feedMs', 'fetchMs', 'keepMs', 'sampleMs', 'stopMs', 'messageMs'] as const;
const profileTable = new Table({
  head: [
    'batch',
    'steps',
    'rows/step',
    'prefill ms',
    'ms/step',
    'onnxruntime run',
    'feeds',
    'fetches',
    'prefix store',
    'sampling',
    'stop checks',
    'messages',
    'other',
  ],
});
/** One row of the profile table: the decode phases in ms per step, the prefill for the whole call. */
function profileRow(batch: number, p: DecodeProfile): (string | number)[] {
  const decodeMs = p.totalMs - p.prefillMs;
  const perStep = (ms: number) => (ms / Math.max(1, p.steps)).toFixed(2);
  const phases = PHASES.map((k) => p[k]);
  const other = decodeMs - phases.reduce((a, b) => a + b, 0);
  return [
    batch,
    p.steps,
    (p.rowSteps / Math.max(1, p.steps)).toFixed(1),
    p.prefillMs.toFixed(0),
    perStep(decodeMs),
    ...phases.map(perStep),
    perStep(other),
  ];
}
for (const [block, batch] of BATCHES.entries()) {
  await policy.generate(prompts(policy, Math.min(batch, 4), -1, `b${block}`)); // warm-up
  const peak = await roofline();
  const gbs = await bandwidth();
  // Each run draws other seeds (an early end token shortens some rows); the row of the median tokens/s is shown.
  const runs: { ms: number; tokens: number; flops: number; boundMs: number; profile: DecodeProfile }[] = [];
  for (let r = 0; r < RUNS; r++) {
    const requests = prompts(policy, batch, r, `b${block}`);
    const before = { ...policy.stats.profile };
    const t0 = performance.now();
    const gens = await policy.generate(requests);
    const ms = performance.now() - t0;
    const tokens = gens.reduce((n, g) => n + g.responseTokens!.length, 0);
    const flops = gens.reduce((f, g) => f + rowFlops(C, g.promptTokens!.length, g.responseTokens!.length), 0);
    const bound = gens
      .map((g) => rowBound(C, g.promptTokens!.length, g.responseTokens!.length))
      .reduce((a, b) => ({ flops: a.flops + b.flops, bytes: a.bytes + b.bytes }));
    const boundMs = bound.flops / (peak * 1e6) + bound.bytes / (gbs * 1e6);
    runs.push({ ms, tokens, flops, boundMs, profile: profileSince(policy.stats.profile, before) });
  }
  runs.sort((a, b) => a.tokens / a.ms - b.tokens / b.ms);
  const { ms, tokens, flops, boundMs, profile } = runs[Math.floor(runs.length / 2)]!;
  profileTable.push(profileRow(batch, profile));
  const gflops = flops / (ms * 1e6);
  rates.push(tokens / (ms / 1000));
  boundRates.push(tokens / (boundMs / 1000));
  boundShares.push((100 * flops) / (boundMs * 1e6) / peak);
  table.push([
    batch,
    tokens,
    ms.toFixed(0),
    (tokens / (ms / 1000)).toFixed(0),
    gflops.toFixed(2),
    peak.toFixed(1),
    `${((100 * gflops) / peak).toFixed(1)}%`,
    gbs.toFixed(1),
    boundMs.toFixed(0),
    `${((100 * boundMs) / ms).toFixed(1)}%`,
  ]);
}
await policy.dispose();

// Mixed prompt lengths: grouped prefill ÷ one padded run.
const mixedLength = (b: number) => Math.round(PROMPT / 2 + ((b * 37) % 64) * ((2 * PROMPT) / 63));
const [grouped, single] = await Promise.all(
  // the default groups; one run (4096 rows, and Infinity: no cut for padding's sake, prefill-groups.ts)
  [{}, { prefillGroupRows: 4096, prefillPassTokens: Infinity }].map((groups) =>
    OnnxPolicy.fromParams(C, initParams(C, 0), 0, { ...SETTINGS, ...groups }),
  ),
);
const mixedMs: number[][] = [[], []];
for (let r = -1; r < RUNS; r++)
  for (const [k, p] of [grouped!, single!].entries()) {
    const requests = prompts(p, 64, r, 'mixed', mixedLength, 8); // the same requests for both (each has its own store)
    const t0 = performance.now();
    await p.generate(requests);
    if (r >= 0) mixedMs[k]!.push(performance.now() - t0); // run -1 warms up
  }
await Promise.all([grouped!.dispose(), single!.dispose()]);

console.log(
  `bench:generate  built-in model d=${C.dModel} layers=${C.nLayers} heads=${C.nHeads} ffn=${C.ffnHidden} vocab=${C.vocabSize}; ` +
    `prompt ${PROMPT} tokens, up to ${NEW} new tokens per row (temperature 1), median of ${RUNS} runs with different seeds`,
);
console.log(
  `load average (1 min, other jobs on the machine count too): ${loadBefore.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end`,
);
console.log(
  `roofline: onnxruntime 1536×1536 @ 1536×1536 float32 MatMul with the policy's session settings, measured before each batch size; ` +
    `memory: a 64 MiB float32 cache read by the decode attention's batched one-row MatMul, likewise`,
);
console.log(table.toString());
const i16 = BATCHES.indexOf(16);
const i64 = BATCHES.indexOf(64);
if (i16 >= 0 && i64 >= 0) {
  console.log(`tokens/s at batch 64 ÷ at batch 16: ${(rates[i64]! / rates[i16]!).toFixed(2)} (goal ≥ 1.5)`);
  // What the goals could read on this model and machine: both calls at their bounds.
  console.log(
    `at the bound (both calls at their bound ms): batch 64 ÷ batch 16 ${(boundRates[i64]! / boundRates[i16]!).toFixed(2)}, ` +
      `batch 64 at ${boundShares[i64]!.toFixed(1)}% of the roofline`,
  );
}
console.log(
  'tokens/s counts generated tokens over the whole call (prefill included); GFLOP/s counts prefill and decode matmuls; ' +
    "bound: those matmuls at the roofline but the decode attention's, which reads the cache (valid slots) at the memory GB/s.",
);
console.log(
  'where the time goes (the same runs): the prefill in ms per call, then each decode step in ms (one token for every live row)',
);
console.log(profileTable.toString());
const [g, one] = mixedMs.map(median) as [number, number];
console.log(
  `mixed prompt lengths (64 rows, ${mixedLength(0)}–${Math.max(...Array.from({ length: 64 }, (_, b) => mixedLength(b)))} tokens, 8-token replies): ` +
    `prefill in length groups ${g.toFixed(0)} ms ÷ one padded run ${one.toFixed(0)} ms = ${(g / one).toFixed(2)} (goal < 1)`,
);

if (OPS) {
  // The cache at the middle of a reply: PROMPT + NEW/2 slots filled, capacity grown in GROW steps.
  const filled = PROMPT + Math.floor(NEW / 2);
  const cap = PROMPT + GROW * Math.ceil((filled - PROMPT + 1) / GROW);
  const profiles: OpProfile[] = [];
  for (const rows of BATCHES)
    profiles.push(await decodeOpProfile(C, { allowSpinning: false, ...SETTINGS }, { rows, cap, filled }));
  const last = profiles[profiles.length - 1]!;
  const types = [...last.ops.keys()].sort((a, b) => last.ops.get(b)! - last.ops.get(a)!);
  const shown = types.slice(0, 10);
  const opsTable = new Table({ head: ['op type', ...BATCHES.map((b) => `batch ${b}`)] });
  for (const op of shown) opsTable.push([op, ...profiles.map((p) => (p.ops.get(op) ?? 0).toFixed(3))]);
  const sum = (p: OpProfile, ops: readonly string[]) => ops.reduce((t, op) => t + (p.ops.get(op) ?? 0), 0);
  opsTable.push(['other ops', ...profiles.map((p) => sum(p, types.slice(10)).toFixed(3))]);
  opsTable.push(['all kernels', ...profiles.map((p) => sum(p, types).toFixed(3))]);
  opsTable.push(['whole run', ...profiles.map((p) => p.runMs.toFixed(3))]);
  opsTable.push(['kernels per step', ...profiles.map((p) => p.nodes)]);
  // The decode graph's MatMuls are its cache attention (the projections are Gemms): each reads the
  // whole capacity of one layer's keys or values.
  opsTable.push([
    'cache read by the MatMuls, GB/s',
    ...BATCHES.map((rows, i) => {
      const ms = sum(profiles[i]!, ['MatMul', 'FusedMatMul']);
      return ((2 * C.nLayers * rows * C.nKvHeads * cap * C.headDim * 4) / (ms * 1e6)).toFixed(1);
    }),
  ]);
  console.log(
    `onnxruntime's per-node profile of one decode step (${cap}-slot cache, ${filled} filled), ms per step by op type (median of 20 runs; load now ${loadavg()[0]!.toFixed(1)}):`,
  );
  console.log(opsTable.toString());
}
