/**
 * `npm run bench:paper`: the paper's claim at our scale (issue 6 item 5).
 * MineSweeper 6×6/3 and Sokoban 6×6/2, the built-in model, LaMer vs GiGPO at
 * an equal sample budget (LaMer 8 trials × 3 attempts, GiGPO 24 single-attempt
 * trials per task), several seeds; the `paper` train preset. Each seed's warm
 * start is shared by both algos. Reports pass@1..3, trajectory entropy and
 * wall time (mean ± sample std over seeds), and the trained models evaluated
 * zero-shot on the harder presets (more mines / more boxes). Finished runs are
 * reused (their report.json), so the bench can be run env by env and resumed.
 *
 *   npm run bench:paper -- [--env minesweeper|sokoban|all] [--seeds N] [--steps N] [--out DIR]
 *
 * Writes DIR/results.json and DIR/results.md (default runs/bench-paper); with one --env,
 * results-<env>.json and .md, so two envs benched side by side keep both tables.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadTrainerCheckpoint } from '../src/learner/trainer/index.js';
import { OnnxPolicy } from '../src/policy/onnx/policy.js';
import { type Algo, loadTrainConfig, type TrainConfig, validationOptions } from '../src/train/config.js';
import { type RolloutSummary, validate, validationFloor } from '../src/train/evaluate.js';
import { runTraining } from '../src/train/loop.js';
import type { TrainReport } from '../src/train/report.js';
import { envOf, modelOf } from '../src/train/warmstart.js';

const { values } = parseArgs({
  options: {
    env: { type: 'string', default: 'all' },
    seeds: { type: 'string', default: '3' },
    steps: { type: 'string' },
    out: { type: 'string', default: join('runs', 'bench-paper') },
  },
});
const ENVS: Record<string, { harder: string }> = {
  minesweeper: { harder: '6x6-5' },
  sokoban: { harder: '6x6-3' },
};
const ALGOS: Algo[] = ['lamer', 'gigpo'];
const envs = values.env === 'all' ? Object.keys(ENVS) : [values.env!];
for (const e of envs)
  if (!ENVS[e]) throw new Error(`--env: expected minesweeper, sokoban or all, got "${e}"`);
const seeds = Number(values.seeds);
if (!(Number.isInteger(seeds) && seeds >= 1))
  throw new Error(`--seeds: expected an integer >= 1, got "${values.seeds}"`);
const root = values.out!;

interface RunResult {
  env: string;
  algo: Algo;
  seed: number;
  final: RolloutSummary;
  /** pass etc. of the same weights on the harder preset, zero-shot. */
  harder: RolloutSummary;
  /** Training wall time (rollouts, updates, validations), warm start excluded. */
  trainSeconds: number;
  warmStart: RolloutSummary;
  /** The first validation (step 0, before any RL update) under this algo's protocol. */
  beforeRl: RolloutSummary;
}

const io = { out: process.stdout, bars: false };

async function harderEval(c: TrainConfig, out: string, preset: string): Promise<RolloutSummary> {
  const model = modelOf(c);
  const found = await loadTrainerCheckpoint(model, { dir: join(out, 'checkpoints'), every: 1 }, (m) =>
    console.log(m),
  );
  if (!found) throw new Error(`${out} has no checkpoint to evaluate`);
  const policy = await OnnxPolicy.fromParams(model, found.snapshot.state.params, 0, { seed: c.seed });
  try {
    const hard = { ...c, envPreset: preset };
    const { envId, params } = envOf(hard);
    const { summary } = await validate(policy, validationOptions(hard, envId, params));
    return summary;
  } finally {
    await policy.dispose();
  }
}

async function runOne(env: string, algo: Algo, seed: number): Promise<RunResult> {
  const out = join(root, env, `${algo}-s${seed}`);
  const overrides = {
    env,
    algo,
    seed,
    out,
    warmStart: { dir: join(root, env, `warmstart-s${seed}`) },
    ...(values.steps ? { steps: Number(values.steps) } : {}),
  };
  const c = loadTrainConfig({ preset: 'paper', overrides });
  const reportPath = join(out, 'report.json');
  let report: TrainReport;
  if (existsSync(reportPath)) {
    report = JSON.parse(readFileSync(reportPath, 'utf8')) as TrainReport;
    if (JSON.stringify(report.config) !== JSON.stringify(c))
      throw new Error(
        `${reportPath} is a finished run of another config (a preset or the code changed since): ` +
          `move ${root} away or pass --out DIR to run the bench afresh`,
      );
    console.log(`reusing ${reportPath}`);
  } else {
    console.log(`\n=== ${env} ${algo} seed ${seed} ===`);
    const resume = existsSync(join(out, 'checkpoints'));
    report = (await runTraining(c, { io, resume })).report;
  }
  const final = [...report.history].reverse().find((h) => h.validation)!.validation!;
  const beforeRl = report.history.find((h) => h.validation)!.validation!;
  const trainSeconds = report.history.reduce((s, h) => s + h.seconds, 0);
  const harder = await harderEval(c, out, ENVS[env]!.harder);
  return { env, algo, seed, final, harder, trainSeconds, warmStart: report.warmStart.validation, beforeRl };
}

/** Uniformly random admissible actions on the same validation tasks (default and harder preset): the floor. */
interface Floor {
  final: RolloutSummary;
  harder: RolloutSummary;
}

async function floorOf(env: string): Promise<Floor> {
  const c = loadTrainConfig({ preset: 'paper', overrides: { env } });
  const play = async (preset?: string) => {
    const { envId, params } = envOf(preset ? { ...c, envPreset: preset } : c);
    return validationFloor(validationOptions(c, envId, params));
  };
  return { final: await play(), harder: await play(ENVS[env]!.harder) };
}

function stats(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std };
}

const pm = (xs: number[], digits = 3) => {
  const s = stats(xs);
  return `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`;
};

function table(results: RunResult[], floors: Record<string, Floor>): string {
  const rows = [
    '| env | algo | seeds | pass@1 | pass@2 | pass@3 | pass@3 − pass@1 | before RL pass@1 / pass@3 | entropy (nats) | attempt-1 entropy (nats) | harder preset pass@1 / pass@3 | train wall time (s) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const env of envs)
    for (const algo of ALGOS) {
      const rs = results.filter((r) => r.env === env && r.algo === algo);
      if (rs.length === 0) continue;
      const p = (k: number) => rs.map((r) => r.final.pass[k]!);
      rows.push(
        `| ${env} | ${algo} | ${rs.length} | ${pm(p(0))} | ${pm(p(1))} | ${pm(p(2))} | ${pm(rs.map((r) => r.final.pass[2]! - r.final.pass[0]!))} | ` +
          `${pm(rs.map((r) => r.beforeRl.pass[0]!))} / ${pm(rs.map((r) => r.beforeRl.pass[2]!))} | ` +
          `${pm(rs.map((r) => r.final.entropy))} | ${pm(rs.map((r) => r.final.entropyByAttempt[0]!))} | ${pm(rs.map((r) => r.harder.pass[0]!))} / ${pm(rs.map((r) => r.harder.pass[2]!))} (${ENVS[env]!.harder}) | ${pm(
            rs.map((r) => r.trainSeconds),
            0,
          )} |`,
      );
      if (algo === ALGOS[ALGOS.length - 1] && floors[env]) {
        const f = floors[env]!;
        const x = (v: number) => v.toFixed(3);
        rows.push(
          `| ${env} | random actions (floor) | - | ${x(f.final.pass[0]!)} | ${x(f.final.pass[1]!)} | ${x(f.final.pass[2]!)} | ${x(f.final.pass[2]! - f.final.pass[0]!)} | - | ` +
            `${x(f.final.entropy)} | ${x(f.final.entropyByAttempt[0]!)} | ${x(f.harder.pass[0]!)} / ${x(f.harder.pass[2]!)} (${ENVS[env]!.harder}) | - |`,
        );
      }
    }
  return rows.join('\n');
}

/** The issue's targets per env: Δ(LaMer) ≥ 2 Δ(GiGPO), pass@3 and entropy of LaMer above GiGPO's. */
function targets(results: RunResult[], floors: Record<string, Floor>): string[] {
  const out: string[] = [];
  for (const env of envs) {
    const mean = (algo: Algo, f: (r: RunResult) => number) =>
      stats(results.filter((r) => r.env === env && r.algo === algo).map(f)).mean;
    const delta = (a: Algo) => mean(a, (r) => r.final.pass[2]! - r.final.pass[0]!);
    const checks: Array<[string, boolean]> = [
      [
        `pass@3 − pass@1: LaMer ${delta('lamer').toFixed(3)} ≥ 2 × GiGPO ${delta('gigpo').toFixed(3)}`,
        delta('lamer') >= 2 * delta('gigpo') && delta('lamer') > 0,
      ],
      [
        `pass@3: LaMer ${mean('lamer', (r) => r.final.pass[2]!).toFixed(3)} > GiGPO ${mean('gigpo', (r) => r.final.pass[2]!).toFixed(3)}`,
        mean('lamer', (r) => r.final.pass[2]!) > mean('gigpo', (r) => r.final.pass[2]!),
      ],
      [
        `entropy: LaMer ${mean('lamer', (r) => r.final.entropy).toFixed(3)} > GiGPO ${mean('gigpo', (r) => r.final.entropy).toFixed(3)}`,
        mean('lamer', (r) => r.final.entropy) > mean('gigpo', (r) => r.final.entropy),
      ],
    ];
    for (const [text, ok] of checks) out.push(`- ${env}: ${ok ? 'met' : 'NOT met'}: ${text}`);
    const first = (a: Algo) => mean(a, (r) => r.final.entropyByAttempt[0]!).toFixed(3);
    out.push(`- ${env}: (not a target) attempt-1 entropy: LaMer ${first('lamer')}, GiGPO ${first('gigpo')}`);
    const floor = floors[env]?.final.pass[2];
    if (floor !== undefined) {
      const p3 = (a: Algo) => mean(a, (r) => r.final.pass[2]!).toFixed(3);
      out.push(
        `- ${env}: (not a target) pass@3 vs random actions on the same tasks: LaMer ${p3('lamer')}, GiGPO ${p3('gigpo')}, random ${floor.toFixed(3)}`,
      );
    }
  }
  return out;
}

const results: RunResult[] = [];
for (const env of envs)
  for (let seed = 1; seed <= seeds; seed++)
    for (const algo of ALGOS) results.push(await runOne(env, algo, seed));
const floors: Record<string, Floor> = {};
for (const env of envs) floors[env] = await floorOf(env);

const command = `npm run bench:paper -- ${process.argv.slice(2).join(' ')}`.trim();
const md = [
  `Command: \`${command}\` (preset paper${values.steps ? `, ${values.steps} steps` : ''}; validation: fixed set, temperature 0.7, top-p 0.8, top-k 20)`,
  '',
  table(results, floors),
  '',
  ...targets(results, floors),
  '',
].join('\n');
await mkdir(root, { recursive: true });
const base = values.env === 'all' ? 'results' : `results-${values.env}`;
await writeFile(join(root, `${base}.json`), `${JSON.stringify({ runs: results, floors }, null, 2)}\n`);
await writeFile(join(root, `${base}.md`), md);
console.log(`\n${md}`);
console.log(`written: ${join(root, `${base}.md`)} and ${base}.json`);
