/**
 * bench:paper's tables (paper.ts runs the benches): per env and algo the final evaluation's pass@k,
 * entropy and wall time as mean ± sample std over seeds, ALFWorld's per-task-type table, and the
 * issue's goal lines. Pure functions of the runs' results.
 */
import type { Algo } from '../src/train/config.js';
import type { RolloutSummary } from '../src/train/evaluate.js';
import type { FinalEvaluation } from '../src/train/final-eval.js';

/** What one bench run left: its evaluations and times. */
export interface RunResult {
  env: string;
  algo: Algo;
  seed: number;
  /** The trained weights in the final evaluation (validation tasks × evalTrials, own sampling seed). */
  final: RolloutSummary;
  /** The same weights on the harder preset, zero-shot, same evaluation. */
  harder: RolloutSummary;
  /** ALFWorld: the warm start on the unseen-task split, paired with `harder`. */
  harderBeforeRl?: RolloutSummary;
  /** Training wall time (rollouts, updates, validations), warm start excluded. */
  trainSeconds: number;
  warmStart: RolloutSummary;
  /** The warm-start weights in the final evaluation under this algo's protocol (before any RL update). */
  beforeRl: RolloutSummary;
  /** The training run's own first and last validation (4 trials per task, one fixed sampling seed). */
  trainingValidation: { first: RolloutSummary; last: RolloutSummary };
  /** A config with `finalEval`: the run's paired final evaluation (`final` and `beforeRl` come from it). */
  finalEval?: FinalEvaluation;
}

/** Uniformly random admissible actions on the same validation tasks (default and harder preset): the floor. */
export interface Floor {
  final: RolloutSummary;
  harder: RolloutSummary;
}

/** What the tables show: the envs and algos benched and each env's harder preset and split flag. */
export interface TableContext {
  envs: readonly string[];
  algos: readonly Algo[];
  settings: Readonly<Record<string, { harder: string; split?: boolean }>>;
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

/** The main table: per env and algo, mean ± sample std over seeds, and the floor row. */
export function table(results: RunResult[], floors: Record<string, Floor>, t: TableContext): string {
  const rows = [
    '| env | algo | seeds | pass@1 | pass@2 | pass@3 | pass@3 − pass@1 | before RL pass@1 / pass@3 | pass@3 ÷ before RL | entropy (nats) | attempt-1 entropy (nats) | harder preset pass@1 / pass@3 | train wall time (s) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const env of t.envs)
    for (const algo of t.algos) {
      const rs = results.filter((r) => r.env === env && r.algo === algo);
      if (rs.length === 0) continue;
      const p = (k: number) => rs.map((r) => r.final.pass[k]!);
      rows.push(
        `| ${env} | ${algo} | ${rs.length} | ${pm(p(0))} | ${pm(p(1))} | ${pm(p(2))} | ${pm(rs.map((r) => r.final.pass[2]! - r.final.pass[0]!))} | ` +
          `${pm(rs.map((r) => r.beforeRl.pass[0]!))} / ${pm(rs.map((r) => r.beforeRl.pass[2]!))} | ` +
          `${pm(
            rs.map((r) => r.final.pass[2]! / r.beforeRl.pass[2]!),
            2,
          )} | ` +
          `${pm(rs.map((r) => r.final.entropy))} | ${pm(rs.map((r) => r.final.entropyByAttempt[0]!))} | ${pm(rs.map((r) => r.harder.pass[0]!))} / ${pm(rs.map((r) => r.harder.pass[2]!))} (${t.settings[env]!.harder}) | ${pm(
            rs.map((r) => r.trainSeconds),
            0,
          )} |`,
      );
      if (algo === t.algos[t.algos.length - 1] && floors[env]) {
        const f = floors[env]!;
        const x = (v: number) => v.toFixed(3);
        rows.push(
          `| ${env} | random actions (floor) | - | ${x(f.final.pass[0]!)} | ${x(f.final.pass[1]!)} | ${x(f.final.pass[2]!)} | ${x(f.final.pass[2]! - f.final.pass[0]!)} | - | - | ` +
            `${x(f.final.entropy)} | ${x(f.final.entropyByAttempt[0]!)} | ${x(f.harder.pass[0]!)} / ${x(f.harder.pass[2]!)} (${t.settings[env]!.harder}) | - |`,
        );
      }
    }
  return rows.join('\n');
}

/**
 * ALFWorld's Table 2 at our scale: pass@1..3 per task type on the trained types (`id`, the validation
 * tasks of the training preset) and the unseen ones (`ood`), each next to the same warm start (paired:
 * same tasks, same sampling seed) and the random floor.
 */
export function typeTable(results: RunResult[], floors: Record<string, Floor>, t: TableContext): string {
  const rows = [
    '| env | algo | split | task type | pass@1 | pass@2 | pass@3 | before RL pass@1 / pass@3 | pass@3 ÷ before RL |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const x = (v: number) => v.toFixed(3);
  for (const env of t.envs.filter((e) => t.settings[e]!.split))
    for (const [split, after, before] of [
      ['id', (r: RunResult) => r.final, (r: RunResult) => r.beforeRl],
      ['ood', (r: RunResult) => r.harder, (r: RunResult) => r.harderBeforeRl ?? r.harder],
    ] as const) {
      const floor = split === 'id' ? floors[env]?.final : floors[env]?.harder;
      for (const algo of t.algos) {
        const rs = results.filter((r) => r.env === env && r.algo === algo);
        if (rs.length === 0) continue;
        const types = Object.keys(after(rs[0]!).passByType ?? {});
        for (const t of [...types, 'all']) {
          const pass = (f: (r: RunResult) => RolloutSummary, k: number) =>
            rs.map((r) => (t === 'all' ? f(r).pass[k]! : (f(r).passByType?.[t]?.[k] ?? 0)));
          rows.push(
            `| ${env} | ${algo} | ${split} | ${t} | ${pm(pass(after, 0))} | ${pm(pass(after, 1))} | ${pm(pass(after, 2))} | ` +
              `${pm(pass(before, 0))} / ${pm(pass(before, 2))} | ${pm(
                rs.map((_, i) => pass(after, 2)[i]! / Math.max(pass(before, 2)[i]!, 1e-9)),
                2,
              )} |`,
          );
        }
      }
      if (floor)
        for (const t of [...Object.keys(floor.passByType ?? {}), 'all']) {
          const p = t === 'all' ? floor.pass : (floor.passByType?.[t] ?? []);
          rows.push(
            `| ${env} | random actions (floor) | ${split} | ${t} | ${x(p[0] ?? 0)} | ${x(p[1] ?? 0)} | ${x(p[2] ?? 0)} | - | - |`,
          );
        }
    }
  return rows.join('\n');
}

/** The targets per env: Δ(LaMer) ≥ 2 Δ(GiGPO), pass@3 and entropy of LaMer above GiGPO's. */
export function targets(results: RunResult[], floors: Record<string, Floor>, t: TableContext): string[] {
  const out: string[] = [];
  for (const env of t.envs) {
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
