/**
 * `npm run bench:engine [env]`: what the actor engine itself costs per turn,
 * as a share of one turn of the built-in model's rollout, both measured in
 * this run. Goal: <= 1%.
 *
 * - Engine µs per turn: the rollouts of one `RolloutRunner`, as training plays its steps and
 *   validations (one kept rollout actor -> lanes -> trial machines, batching client, a turn
 *   listener attached to each rollout) with an instant
 *   scripted policy (random admissible actions, rule reflections), minus a
 *   plain loop over the same env functions and policy playing the same trials
 *   (same keys, so the same seeded replies; both keep their samples), with as
 *   many in flight and their requests batched lock-step as the engine does
 *   (bench/engine-plain.ts). What is left is the engine's own work: actors,
 *   events, snapshots, the replay cache, turn events.
 * - Model µs per turn: the main job's rollouts with the built-in model
 *   (MineSweeper, quick preset: a training step's rollout, and the fixed
 *   validation set at concurrency 64, the most batched and so cheapest per
 *   turn), at the main job's warm start (runs/ or the one shipped with the package), else untrained with
 *   replies cut short (a lower bound of a model turn; see `modelCost`).
 * - Both also in CPU time (`process.cpuUsage`, every thread of the process): on the shared machine
 *   wall time holds the time other jobs had the cores (the engine, one JS thread, waited ~3-4x its
 *   CPU time under load ~15), so the CPU share says what the engine's work costs against the
 *   model's work whatever else runs; the goal is read on the wall-time share.
 *
 * Each engine/plain pair alternates which goes first over BENCH_RUNS timed runs
 * (default 10) of BENCH_TASKS tasks (default 128) x 3 attempts after
 * BENCH_WARMUP warm-up runs (default 3), and the rate is total turns / total
 * time (single short runs swing with the garbage collector's cycle). The own
 * time's ± is the standard error over the pairs (each pair's engine − plain):
 * on a shared machine one invocation's reading swings by tens of percent, and
 * the ± says how far this one can be trusted (the model turn's own swing is
 * not in it).
 * Why this goal and not engine / plain (>= 0.5, the old goal): with any
 * language model a turn costs milliseconds to seconds against tens of
 * microseconds of engine work (docs/architecture.md, Benchmarks).
 */
import Table from 'cli-table3';
import { RolloutRunner } from '../src/actors/rollout-runner.js';
import { BUILTIN_ENVS, registerBuiltinEnvs } from '../src/envs/builtin.js';
import { validationSeeds } from '../src/envs/core/seeds.js';
import type { AnyEnvDefinition, Json } from '../src/envs/core/types.js';
import { initParams } from '../src/learner/model.js';
import { OnnxPolicy } from '../src/policy/onnx/policy.js';
import { randomPolicy } from '../src/policy/scripted.js';
import { loadTrainConfig, trainingPlan, validationOptions } from '../src/train/config.js';
import { validate } from '../src/train/evaluate.js';
import { meanSe } from '../src/train/final-eval.js';
import { findShippedWarmStart } from '../src/train/shipped.js';
import { stepRolloutInput } from '../src/train/train-tasks.js';
import { envOf, loadWarmStart, modelOf } from '../src/train/warmstart.js';
import { applyEngineV8Flags } from '../src/util/v8-flags.js';
import { ATTEMPTS, CONCURRENCY, plainRun, STYLE } from './engine-plain.js';

// as `lamer` runs (src/util/v8-flags.ts): the engine's share is read on the product's settings
applyEngineV8Flags();

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const TASKS = Number(process.env.BENCH_TASKS ?? 128);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const GOAL = 0.01;

async function engineRun(
  env: AnyEnvDefinition,
  params: Json,
  seeds: number[],
  runner: RolloutRunner,
): Promise<number> {
  let turns = 0;
  await runner.run({
    envId: env.id,
    params,
    tasks: seeds.map((seed) => ({ seed })),
    concurrency: CONCURRENCY,
    trial: { attempts: ATTEMPTS, memoryMode: 'reflection_only', style: STYLE },
    attach: (actor) => {
      actor.on('turn', () => {
        turns++;
      });
    },
  });
  return turns;
}

/**
 * Wall time of `run` (ms) with the turns it played, and the CPU time the process spent meanwhile
 * (`cpuMs`: every thread, so the model's worker and onnxruntime threads count; on a shared machine
 * wall time also holds the time other jobs had the cores, CPU time does not).
 */
async function timed(run: () => Promise<number>): Promise<{ turns: number; ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const turns = await run();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { turns, ms, cpuMs: (used.user + used.system) / 1000 };
}

/** The engine's and the plain loop's µs per turn on one env. */
async function engineCost(env: AnyEnvDefinition): Promise<EngineCost> {
  const params = env.presets[env.defaultPreset] as Json;
  const seeds = validationSeeds(TASKS);
  const policy = randomPolicy();
  const runner = new RolloutRunner({ policy });
  // Warm-up (JIT) of both paths: the first runs of the engine are several times slower than later ones.
  for (let w = 0; w < WARMUP; w++) {
    await plainRun(env, params, seeds, policy);
    await engineRun(env, params, seeds, runner);
  }
  const total = { plain: 0, engine: 0, plainCpu: 0, engineCpu: 0, turns: 0 };
  const ownRuns: number[] = []; // each pair's own µs per turn (engine − plain), for the standard error
  for (let r = 0; r < RUNS; r++) {
    // alternate the order: a collection left due by one run lands on the other side as often
    const engineFirst = r % 2 === 1;
    const e0 = engineFirst ? await timed(() => engineRun(env, params, seeds, runner)) : null;
    const p = await timed(() => plainRun(env, params, seeds, policy));
    const e = e0 ?? (await timed(() => engineRun(env, params, seeds, runner)));
    if (p.turns !== e.turns)
      throw new Error(`${env.id}: plain loop took ${p.turns} turns, engine ${e.turns}`);
    total.plain += p.ms;
    total.engine += e.ms;
    total.plainCpu += p.cpuMs;
    total.engineCpu += e.cpuMs;
    total.turns += e.turns;
    ownRuns.push(((e.ms - p.ms) * 1000) / e.turns);
  }
  runner.stop();
  const perTurn = (ms: number) => (ms * 1000) / total.turns;
  return {
    turns: total.turns / RUNS,
    engine: perTurn(total.engine),
    plain: perTurn(total.plain),
    ownCpu: perTurn(total.engineCpu - total.plainCpu),
    ownSe: meanSe(ownRuns).se,
  };
}

/** µs per turn: wall time of the engine and of the plain loop, and the engine's own CPU time. */
interface EngineCost {
  turns: number;
  engine: number;
  plain: number;
  ownCpu: number;
  /** Standard error of the engine's own µs per turn over the runs (engine − plain of each pair). */
  ownSe: number;
}

/** µs per turn of a model rollout: wall time and the process's CPU time (all threads). */
interface ModelCost {
  label: string;
  turns: number;
  us: number;
  cpuUs: number;
}

/**
 * µs per turn of the built-in model in a training step's rollout and in validation: the main job's warm
 * start (runs/, else the one shipped with the package); else the same model untrained with every reply cut at SHORT tokens, shorter than
 * the warm start's replies (a play reply is ~4 tokens, a reflection tens), so a turn costs less than a real
 * one and the share printed is an upper bound.
 */
const SHORT = 8;
async function modelCost(): Promise<{
  weights: string;
  rows: ModelCost[];
}> {
  // the rollout this bench has always timed (the main job's size until it moved to 16 tasks a step)
  const size = { env: 'minesweeper', tasksPerStep: 2, attemptBudget: 12 };
  let c = loadTrainConfig({ preset: 'quick', overrides: size });
  const warm = process.env.BENCH_UNTRAINED
    ? null
    : ((await loadWarmStart(c)) ?? (await findShippedWarmStart(c)));
  if (!warm) {
    const short = { maxTokens: SHORT };
    c = loadTrainConfig({
      preset: 'quick',
      overrides: { ...size, sampling: { train: short, validation: short } },
    });
  }
  const weights = warm
    ? `the main job's warm start (${warm.dir})`
    : `untrained weights, replies cut at ${SHORT} tokens (no warm start in runs/: a lower bound of a model turn)`;
  const { envId, params } = envOf(c);
  const plan = trainingPlan(c);
  const policy = await OnnxPolicy.fromParams(modelOf(c), warm?.params ?? initParams(modelOf(c), c.seed), 0, {
    seed: c.seed,
  });
  const rows: ModelCost[] = [];
  // the steps' rollouts on one runner, as training plays them (src/train/loop.ts)
  const rollouts = new RolloutRunner({ policy });
  try {
    const train = async (step: number) => {
      const records = await rollouts.run(stepRolloutInput(c, plan, { envId, params }, step));
      return records.reduce((n, r) => n + r.samples.length, 0);
    };
    await train(1); // warm-up: the worker's first generations
    let turns = 0;
    let ms = 0;
    let cpuMs = 0;
    for (let step = 2; step <= 4; step++) {
      const t = await timed(() => train(step));
      turns += t.turns;
      ms += t.ms;
      cpuMs += t.cpuMs;
    }
    rows.push({
      label: 'training step rollout (2 tasks x 4 trials x 3 attempts)',
      turns: turns / 3,
      us: (ms * 1000) / turns,
      cpuUs: (cpuMs * 1000) / turns,
    });
    const v = await timed(async () => {
      const { records } = await validate(policy, validationOptions(c, envId, params));
      return records.reduce((n, r) => n + r.samples.length, 0);
    });
    rows.push({
      label: `validation (${c.validation.tasks} tasks x ${c.validation.trialsPerTask} trials, concurrency ${c.concurrency})`,
      turns: v.turns,
      us: (v.ms * 1000) / v.turns,
      cpuUs: (v.cpuMs * 1000) / v.turns,
    });
  } finally {
    rollouts.stop();
    await policy.dispose();
  }
  return { weights, rows };
}

const us = (x: number): string => x.toFixed(1);
const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

async function main(): Promise<void> {
  registerBuiltinEnvs();
  const only = process.argv[2]?.toLowerCase();
  const engines: ({ env: string } & EngineCost)[] = [];
  for (const env of BUILTIN_ENVS) {
    if (only && !env.id.toLowerCase().startsWith(only) && !env.aliases.includes(only)) continue;
    engines.push({ env: env.id, ...(await engineCost(env)) });
    console.error(`  measured ${env.id}`);
  }
  const { weights, rows: models } = await modelCost();
  const cheapest = models.reduce((a, b) => (b.us < a.us ? b : a));
  const cheapestCpu = Math.min(...models.map((m) => m.cpuUs));
  const model = new Table({
    head: ['built-in model rollout (MineSweeper, warm start)', 'turns/run', 'µs per turn', 'CPU µs per turn'],
    style: { head: [] },
  });
  for (const m of models) model.push([m.label, String(Math.round(m.turns)), us(m.us), us(m.cpuUs)]);
  const table = new Table({
    head: [
      'env',
      'turns/run',
      'engine µs/turn',
      'plain loop µs/turn',
      "engine's own µs/turn",
      'share of a model turn',
      "engine's own CPU µs/turn",
      'CPU share',
    ],
    style: { head: [] },
  });
  for (const e of engines) {
    const own = e.engine - e.plain;
    const share = own / cheapest.us;
    table.push([
      e.env,
      String(Math.round(e.turns)),
      us(e.engine),
      us(e.plain),
      `${us(own)} ± ${us(e.ownSe)}`,
      `${pct(share)} ± ${pct(e.ownSe / cheapest.us)}${share <= GOAL ? '' : `  (above goal ${pct(GOAL)})`}`,
      us(e.ownCpu),
      pct(e.ownCpu / cheapestCpu),
    ]);
  }
  console.log(`built-in model (main job's architecture): ${weights}`);
  console.log(model.toString());
  console.log(
    `engine with an instant policy (random admissible actions), ${TASKS} tasks x ${ATTEMPTS} attempts, ${STYLE} prompts, totals over ${RUNS} alternating runs after ${WARMUP} warm-up runs; share = engine's own µs per turn / the cheapest model turn above (wall time; goal ${pct(GOAL)}; ± the standard error over the ${RUNS} engine/plain pairs, the model turn's own noise not included); CPU share = the engine's own CPU µs per turn / the cheapest model turn in CPU time (the process's, all threads: the work itself, whatever else runs on the machine)`,
  );
  console.log(table.toString());
}

await main();
