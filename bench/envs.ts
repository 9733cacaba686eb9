/**
 * `npm run bench:envs`: speed of every registered env and preset.
 *
 * Columns (median of RUNS runs, each run timed over at least MIN_MS):
 * - gen/s: levels generated per second (`initial(seed)` on fresh seeds);
 * - reset/s: restarts per second (the trial engine's restart: a structured
 *   clone of the kept initial state plus its first observation);
 * - step/s: turns per second of random play (`randomAction` + `step` +
 *   `observe`, restarting when an attempt ends or hits the turn budget);
 * - step÷json: one step's time over one JSON round trip of the same state,
 *   the reference measured in the same run (a plain-JSON env cannot step
 *   much faster than copying its state; lower is better).
 * Env-specific extras (e.g. WebShop searches/s) come from the env's optional `benchmarks()`.
 */
import Table from 'cli-table3';
import { BUILTIN_ENVS, registerBuiltinEnvs } from '../src/envs/builtin.js';
import type { AnyEnvDefinition, Json } from '../src/envs/core/types.js';
import { Rng } from '../src/util/rng.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 300);

/** Operations per second of `op`, timed until MIN_MS passed; median over RUNS. */
function rate(op: (i: number) => void): number {
  const rates: number[] = [];
  let i = 0;
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    let n = 0;
    let elapsed = 0;
    do {
      op(i++);
      n++;
      elapsed = performance.now() - start;
    } while (elapsed < MIN_MS);
    rates.push((n * 1000) / elapsed);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}

function benchPreset(
  env: AnyEnvDefinition,
  params: Json,
): { gen: number; reset: number; step: number; json: number } {
  const gen = rate((i) => env.initial(1000 + i, params));
  const initial = env.initial(1, params);
  const reset = rate(() => env.observe(structuredClone(initial)));
  const rng = Rng.seeded(1);
  let state = initial;
  let turn = 0;
  const step = rate(() => {
    const result = env.step(state, env.randomAction(state, rng));
    env.observe(result.state);
    turn++;
    if (result.done || turn >= env.maxTurns) {
      state = initial;
      turn = 0;
    } else state = result.state;
  });
  const json = rate(() => JSON.parse(JSON.stringify(initial)));
  return { gen, reset, step, json };
}

const fmt = (x: number): string => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1));

function main(): void {
  registerBuiltinEnvs();
  const only = process.argv[2]?.toLowerCase();
  const table = new Table({
    head: ['env', 'preset', 'gen/s', 'reset/s', 'step/s', 'step÷json'],
    style: { head: [] },
  });
  const extras: string[] = [];
  for (const env of BUILTIN_ENVS) {
    if (only && !env.id.toLowerCase().startsWith(only)) continue;
    for (const [name, params] of Object.entries(env.presets)) {
      const r = benchPreset(env, params as Json);
      table.push([env.id, name, fmt(r.gen), fmt(r.reset), fmt(r.step), (r.json / r.step).toFixed(1)]);
      console.error(`  measured ${env.id} ${name}`);
    }
    for (const [label, op] of Object.entries(env.benchmarks?.() ?? {})) {
      extras.push(`${env.id} ${label}: ${fmt(rate(op))}/s`);
    }
  }
  console.log(table.toString());
  for (const line of extras) console.log(line);
  console.log(`median of ${RUNS} runs of >= ${MIN_MS} ms each; node ${process.version}`);
}

main();
