/**
 * bench:paper's paired table (issue 19), for a config with `finalEval`: every run's final evaluation
 * (`lamer train`'s own, final-eval.ts) plays the floor, the warm start and the trained weights on the
 * same validation tasks under the same sampling seeds, which depend on the training seed only, so at
 * one training seed LaMer's and GiGPO's evaluations pair task by task with each other and with the
 * warm start and floor. Each task's rate is averaged over its trials, the sampling seeds and the
 * training seeds; ± is the standard error over the tasks of that average (the dice and the boards);
 * "over seeds" is the standard error over the training seeds of each seed's mean (training's spread).
 */
import { type FinalEvaluation, type ModelEvaluation, meanSe } from '../src/train/final-eval.js';

/** One training seed's two final evaluations (the same tasks and sampling seeds). */
export interface PairedSeed {
  seed: number;
  lamer: FinalEvaluation;
  gigpo: FinalEvaluation;
}

type Rates = (m: PairedSeed) => Record<string, number[]>;
type Stat = (p: number[]) => number;

const f3 = (x: number) => x.toFixed(3);
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`;

/**
 * `a − b` (or `a` alone) of statistic `stat`: the mean over tasks of each task's value averaged over
 * the seeds, its s.e. over the tasks, and the s.e. over the seeds of each seed's task mean.
 */
function measure(seeds: PairedSeed[], stat: Stat, a: Rates, b?: Rates) {
  const ids = Object.keys(a(seeds[0]!));
  const value = (s: PairedSeed, id: string) => stat(a(s)[id]!) - (b ? stat(b(s)[id]!) : 0);
  const byTask = meanSe(ids.map((id) => seeds.reduce((t, s) => t + value(s, id), 0) / seeds.length));
  const bySeed = meanSe(seeds.map((s) => ids.reduce((t, id) => t + value(s, id), 0) / ids.length));
  return { mean: byTask.mean, se: byTask.se, seSeeds: bySeed.se };
}

const models: Record<string, (m: PairedSeed) => ModelEvaluation> = {
  floor: (m) => m.lamer.floor,
  warmLamer: (m) => m.lamer.warmStart,
  warmGigpo: (m) => m.gigpo.warmStart,
  lamer: (m) => m.lamer.trained,
  gigpo: (m) => m.gigpo.trained,
};
const rates =
  (name: string): Rates =>
  (m) =>
    models[name]!(m).byTask;

/** The paired table, the per-seed paired differences, and the issue's goal lines. */
export function pairedReport(seeds: PairedSeed[]): string[] {
  if (seeds.length === 0) return [];
  const n = seeds[0]!.lamer.trained.pass.length;
  const stats: Array<[string, Stat]> = [
    ...Array.from({ length: n }, (_, k): [string, Stat] => [`pass@${k + 1}`, (p) => p[k]!]),
    [`pass@${n} − pass@1`, (p) => p[n - 1]! - p[0]!],
  ];
  const mean = (name: string, f: (m: ModelEvaluation) => number) =>
    seeds.reduce((t, s) => t + f(models[name]!(s)), 0) / seeds.length;
  const cell = (x: { mean: number; se: number; seSeeds: number }, sign: boolean) =>
    `${sign ? signed(x.mean) : f3(x.mean)} ± ${f3(x.se)}${seeds.length > 1 ? ` (${f3(x.seSeeds)})` : ''}`;
  const fe = seeds[0]!.lamer;
  const rows = [
    `Paired final evaluation (each run's \`final-eval.json\`): ${fe.tasks} validation tasks × ${fe.trialsPerTask} trials × ${fe.seeds} sampling seeds per training seed, training seeds ${seeds.map((s) => s.seed).join(', ')}; every row on the same tasks and sampling seeds. ± s.e. over the tasks (each task averaged over the seeds)${seeds.length > 1 ? ', in brackets the s.e. over the training seeds' : ''}.`,
    '',
    `| model | ${stats.map(([h]) => h).join(' | ')} | entropy | fatal repeats |`,
    `|---|${'---|'.repeat(stats.length + 2)}`,
  ];
  const labels: Array<[string, string]> = [
    ['floor', 'random actions (floor)'],
    ['warmLamer', `warm start, LaMer's protocol (${fe.memoryMode})`],
    ['warmGigpo', `warm start, GiGPO's protocol (${seeds[0]!.gigpo.memoryMode})`],
    ['lamer', 'LaMer'],
    ['gigpo', 'GiGPO'],
  ];
  for (const [name, label] of labels)
    rows.push(
      `| ${label} | ${stats.map(([, f]) => cell(measure(seeds, f, rates(name)), false)).join(' | ')} | ` +
        `${f3(mean(name, (m) => m.summary.entropy))} | ${f3(mean(name, (m) => m.summary.fatalRepeat ?? 0))} |`,
    );
  const pairs: Array<[string, string, string]> = [
    ['LaMer − its warm start', 'lamer', 'warmLamer'],
    ['GiGPO − its warm start', 'gigpo', 'warmGigpo'],
    ['LaMer − GiGPO', 'lamer', 'gigpo'],
  ];
  for (const [label, a, b] of pairs)
    rows.push(
      `| ${label} (paired) | ${stats.map(([, f]) => cell(measure(seeds, f, rates(a), rates(b)), true)).join(' | ')} | | |`,
    );
  rows.push('', `| training seed | ${pairs.map(([l]) => `${l}: pass@1 / pass@${n} / gap`).join(' | ')} |`);
  rows.push(`|---|${'---|'.repeat(pairs.length)}`);
  for (const s of seeds)
    rows.push(
      `| ${s.seed} | ${pairs
        .map(([, a, b]) =>
          [stats[0]!, stats[n - 1]!, stats[n]!]
            .map(([, f]) => {
              const d = measure([s], f, rates(a), rates(b));
              return `${signed(d.mean)} ± ${f3(d.se)}`;
            })
            .join(' / '),
        )
        .join(' | ')} |`,
    );
  const gap = (name: string) => measure(seeds, stats[n]![1], rates(name));
  const last = stats[n - 1]![1];
  const vsWarm = measure(seeds, last, rates('lamer'), rates('warmLamer'));
  const vsGigpo = measure(seeds, last, rates('lamer'), rates('gigpo'));
  const [gl, gg] = [gap('lamer').mean, gap('gigpo').mean];
  const z = (d: { mean: number; se: number }) => (d.se > 0 ? d.mean / d.se : 0).toFixed(1);
  const goal: Array<[boolean, string]> = [
    [gl > 0 && gl >= 2 * gg, `pass@${n} − pass@1: LaMer ${f3(gl)} ≥ 2 × GiGPO ${f3(gg)}`],
    [
      vsGigpo.mean > 0,
      `pass@${n}: LaMer above GiGPO (paired ${signed(vsGigpo.mean)} ± ${f3(vsGigpo.se)}, ${z(vsGigpo)} s.e. over tasks)`,
    ],
    [
      vsWarm.mean > 2 * vsWarm.se && vsWarm.mean > 2 * vsWarm.seSeeds,
      `pass@${n}: LaMer above its warm start by > 2 s.e. (paired ${signed(vsWarm.mean)} ± ${f3(vsWarm.se)} over tasks, ± ${f3(vsWarm.seSeeds)} over seeds)`,
    ],
    [
      mean('lamer', (m) => m.summary.entropy) > mean('gigpo', (m) => m.summary.entropy),
      `entropy: LaMer ${f3(mean('lamer', (m) => m.summary.entropy))} > GiGPO ${f3(mean('gigpo', (m) => m.summary.entropy))}`,
    ],
  ];
  rows.push('', ...goal.map(([ok, text]) => `- goal ${ok ? 'met' : 'NOT met'}: ${text}`));
  return rows;
}
