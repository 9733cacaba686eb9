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
 * the prefill in length groups of 16 rows (the default, prefill-groups.ts) ÷ one run padded to the
 * longest prompt (`prefillGroupRows` 4096), same requests, alternating.
 *
 * BENCH_OPS=1 adds onnxruntime's own per-node profile of one decode step at each batch size, summed
 * per op type (op-profile.ts): the cache at the middle of a reply (PROMPT + NEW/2 slots filled).
 */
import { loadavg } from 'node:os';
import Table from 'cli-table3';
import * as ort from 'onnxruntime-node';
import * as G from '../src/learner/graph/index.js';
import { DEFAULT_MODEL_CONFIG as C, initParams } from '../src/learner/model.js';
import { createOrtSession } from '../src/learner/session-core.js';
import { GROW } from '../src/policy/onnx/kv-cache.js';
import { OnnxPolicy } from '../src/policy/onnx/policy.js';
import { type DecodeProfile, profileSince } from '../src/policy/onnx/profile.js';
import type { GenerationRequest } from '../src/policy/types.js';
import { deriveSeed, Rng } from '../src/util/rng.js';
import { decodeOpProfile, type OpProfile } from './op-profile.js';

const THREADS = process.env.BENCH_THREADS === undefined ? undefined : Number(process.env.BENCH_THREADS);
const PROMPT = Number(process.env.BENCH_PROMPT ?? 128);
const NEW = Number(process.env.BENCH_NEW ?? 64);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BATCHES = (process.env.BENCH_BATCHES ?? '1,16,64').split(',').map(Number);
const OPS = process.env.BENCH_OPS === '1';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The policy's session settings (spinning as the policy: off unless BENCH_SPIN=1), for the roofline too. */
const SETTINGS = {
  ...(THREADS === undefined ? {} : { intraOpNumThreads: THREADS }),
  ...(process.env.BENCH_SPIN === undefined ? {} : { allowSpinning: process.env.BENCH_SPIN === '1' }),
};

/**
 * Large-matmul roofline: GFLOP/s of a square N×N @ N×N float32 MatMul in onnxruntime, with the
 * policy's session settings. Measured again before each batch size (median of 5), so a ratio
 * compares runs made under the same load.
 */
async function rooflineSession(n = 1536): Promise<() => Promise<number>> {
  const a = G.input('a', 'float32', [n, n]);
  const b = G.input('b', 'float32', [n, n]);
  const { session } = await createOrtSession(
    G.compileGraph({ inputs: [a, b], outputs: { c: G.matmul(a, b) } }),
    {
      allowSpinning: false,
      ...SETTINGS,
    },
  );
  const rng = Rng.seeded(1);
  const data = () => Float32Array.from({ length: n * n }, () => rng.float());
  const feeds = {
    a: new ort.Tensor('float32', data(), [n, n]),
    b: new ort.Tensor('float32', data(), [n, n]),
  };
  await session.run(feeds);
  return async () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t0);
    }
    return (2 * n ** 3) / (median(times) * 1e6);
  };
}

/** Matmul FLOPs of running one token at context length `ctx` (tokens before it + itself); `head`: its logits too. */
function tokenFlops(ctx: number, head = true): number {
  const { dModel: d, ffnHidden: F, nLayers: L, vocabSize: V } = C;
  const weights = L * (4 * d * d + 3 * d * F) + (head ? V * d : 0); // projections, SwiGLU, LM head
  return 2 * weights + L * 4 * d * ctx; // + attention scores and mixing
}

/**
 * FLOPs of a row: prefill of `prompt` tokens (the policy's prefill takes the last position's logits
 * only), then `generated - 1` decode steps (the last token is not fed).
 */
function rowFlops(prompt: number, generated: number): number {
  let f = 0;
  for (let t = 1; t <= prompt; t++) f += tokenFlops(t, t === prompt);
  for (let k = 1; k < generated; k++) f += tokenFlops(prompt + k);
  return f;
}

/** B prompts of exactly `length(b)` tokens (after the chat template; default PROMPT), different per row. */
function prompts(
  policy: OnnxPolicy,
  batch: number,
  run: number,
  length: (b: number) => number = () => PROMPT,
  maxTokens = NEW,
): GenerationRequest[] {
  const { tokenizer } = policy.promptCodec;
  const out: GenerationRequest[] = [];
  for (let b = 0; b < batch; b++) {
    let words = `${run + 1} row ${b}:`; // the run first: no run repeats an earlier prompt (prefix-store.ts would reuse it)
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
const roofline = await rooflineSession();
const policy = await OnnxPolicy.fromParams(C, initParams(C, 0), 0, SETTINGS);
const table = new Table({
  head: ['batch', 'tokens', 'ms', 'tokens/s', 'GFLOP/s', 'roofline GFLOP/s', '÷ roofline'],
});
const rates: number[] = [];
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
for (const batch of BATCHES) {
  await policy.generate(prompts(policy, Math.min(batch, 4), -1)); // warm-up
  const peak = await roofline();
  // Each run draws other seeds (an early end token shortens some rows); the row of the median tokens/s is shown.
  const runs: { ms: number; tokens: number; flops: number; profile: DecodeProfile }[] = [];
  for (let r = 0; r < RUNS; r++) {
    const requests = prompts(policy, batch, r);
    const before = { ...policy.stats.profile };
    const t0 = performance.now();
    const gens = await policy.generate(requests);
    const ms = performance.now() - t0;
    const tokens = gens.reduce((n, g) => n + g.responseTokens!.length, 0);
    const flops = gens.reduce((f, g) => f + rowFlops(g.promptTokens!.length, g.responseTokens!.length), 0);
    runs.push({ ms, tokens, flops, profile: profileSince(policy.stats.profile, before) });
  }
  runs.sort((a, b) => a.tokens / a.ms - b.tokens / b.ms);
  const { ms, tokens, flops, profile } = runs[Math.floor(runs.length / 2)]!;
  profileTable.push(profileRow(batch, profile));
  const gflops = flops / (ms * 1e6);
  rates.push(tokens / (ms / 1000));
  table.push([
    batch,
    tokens,
    ms.toFixed(0),
    (tokens / (ms / 1000)).toFixed(0),
    gflops.toFixed(2),
    peak.toFixed(1),
    `${((100 * gflops) / peak).toFixed(1)}%`,
  ]);
}
await policy.dispose();

// Mixed prompt lengths: grouped prefill ÷ one padded run.
const mixedLength = (b: number) => Math.round(PROMPT / 2 + ((b * 37) % 64) * ((2 * PROMPT) / 63));
const [grouped, single] = await Promise.all(
  [16, 4096].map((prefillGroupRows) =>
    OnnxPolicy.fromParams(C, initParams(C, 0), 0, { ...SETTINGS, prefillGroupRows }),
  ),
);
const mixedMs: number[][] = [[], []];
for (let r = -1; r < RUNS; r++)
  for (const [k, p] of [grouped!, single!].entries()) {
    const requests = prompts(p, 64, r, mixedLength, 8);
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
  `roofline: onnxruntime 1536×1536 @ 1536×1536 float32 MatMul with the policy's session settings, measured before each batch size`,
);
console.log(table.toString());
const at = (b: number) => rates[BATCHES.indexOf(b)];
if (at(16) !== undefined && at(64) !== undefined)
  console.log(`tokens/s at batch 64 ÷ at batch 16: ${(at(64)! / at(16)!).toFixed(2)} (goal ≥ 1.5)`);
console.log(
  'tokens/s counts generated tokens over the whole call (prefill included); GFLOP/s counts prefill and decode matmuls.',
);
console.log(
  'where the time goes (the same runs): the prefill in ms per call, then each decode step in ms (one token for every live row)',
);
console.log(profileTable.toString());
const [g, one] = mixedMs.map(median) as [number, number];
console.log(
  `mixed prompt lengths (64 rows, ${mixedLength(0)}–${Math.max(...Array.from({ length: 64 }, (_, b) => mixedLength(b)))} tokens, 8-token replies): ` +
    `prefill in length groups of 16 ${g.toFixed(0)} ms ÷ one padded run ${one.toFixed(0)} ms = ${(g / one).toFixed(2)} (goal < 1)`,
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
  console.log(
    `onnxruntime's per-node profile of one decode step (${cap}-slot cache, ${filled} filled), ms per step by op type (median of 20 runs; load now ${loadavg()[0]!.toFixed(1)}):`,
  );
  console.log(opsTable.toString());
}
