/**
 * `npm run bench:engine [env]`: turns per second (LLM calls: play and
 * reflect) through the full actor engine (`runRollout`: rollout machine →
 * trial machines, which play attempts and reflections in their own states
 * through one policy child each, batching policy client, emitted turn events
 * with a listener attached) against a plain loop over the same pure env
 * functions (initial, play/reflect prompt building, project, step, observe,
 * anchor, parseReflection) and the same instant scripted policy, in the same
 * run. Both play the same trials (same keys, so the same seeded replies) and
 * both keep every trial's samples until the run ends (the engine's output); the
 * bench checks that they took the same number of turns.
 *
 * Prints, per env, the turns/s of each over BENCH_RUNS timed runs (default
 * 20) of BENCH_TASKS tasks (default 128) × 3 attempts with reflection, after
 * BENCH_WARMUP untimed runs of each (default 5), and the ratio engine ÷ plain.
 * Goal: ≥ 0.5. Robust against this Node's garbage-collector cycles, which
 * made single short runs swing 2× (measured: docs/architecture.md,
 * Benchmarks): each timed run is long (hundreds of turns to thousands), the
 * two alternate which goes first (a collection the previous run left due lands
 * on each side alike), and the rate is total turns ÷ total time over all timed
 * runs (every collection counted once, where it fell) rather than the median
 * of short runs. The range of the per-run ratios is printed too, and the ratio
 * in CPU time of this process (a check: far from the wall-clock ratio, other
 * jobs took the CPU during the run).
 * Measurements and where the time goes: docs/architecture.md, Benchmarks.
 */
import Table from 'cli-table3';
import { runRollout } from '../src/actors/provide.js';
import { makeRequest, requestKey } from '../src/actors/shared.js';
import { BUILTIN_ENVS, registerBuiltinEnvs } from '../src/envs/builtin.js';
import { validationSeeds } from '../src/envs/core/seeds.js';
import type { AnyEnvDefinition, AttemptMemory, HistoryRecord, Json } from '../src/envs/core/types.js';
import { randomPolicy } from '../src/policy/scripted.js';
import type { Policy } from '../src/policy/types.js';
import type { TurnSample } from '../src/streams/types.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const TASKS = Number(process.env.BENCH_TASKS ?? 128);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5);
const ATTEMPTS = 3;
const STYLE = 'faithful' as const;

/** One trial played by hand: the work the machines do, without them. Returns its turn samples. */
async function plainTrial(env: AnyEnvDefinition, params: Json, seed: number, index: number, policy: Policy) {
  const taskId = `t${index}-s${seed}`;
  const owner = { taskId, groupId: taskId, trialId: `${taskId}#0` };
  const initial = env.initial(seed, params);
  const taskType = env.taskType ? env.taskType(initial) : env.id;
  const base = { ...owner, policyVersion: 0, envId: env.id, taskType };
  const memory: AttemptMemory[] = [];
  const samples: TurnSample[] = [];
  let final = initial;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) {
      const last = memory[memory.length - 1]!;
      const ctx = { initial, current: final, attempt: last.attempt, history: last.history };
      const prompt = env.prompts[STYLE].reflect(ctx);
      const key = requestKey(owner, last.attempt, last.history.length, 'reflect');
      const oracle = {
        envId: env.id,
        phase: 'reflect' as const,
        state: final,
        reflect: { initial, attempt: last.attempt, history: last.history },
      };
      const [gen] = await policy.generate([makeRequest(key, prompt, {}, seed, oracle)]);
      const parsed = env.parseReflection(gen!.text);
      last.reflection = parsed.kind === 'reflection' ? parsed.text : '';
      samples.push({
        ...base,
        attempt: attempt - 1,
        turn: last.history.length,
        phase: 'reflect',
        prompt,
        response: gen!.text,
        reward: 0,
        valid: parsed.kind === 'reflection',
        done: false,
        won: false,
        anchor: 'reflection',
      });
    }
    let state = initial;
    const history: HistoryRecord[] = [];
    let won = false;
    let done = false;
    while (!done && history.length < env.maxTurns) {
      const prompt = env.prompts[STYLE].play({
        initial,
        current: state,
        attempt,
        history,
        memory,
        memoryMode: 'reflection_only',
      });
      const key = requestKey(owner, attempt, history.length, 'play');
      const [gen] = await policy.generate([
        makeRequest(key, prompt, {}, seed, { envId: env.id, phase: 'play', state }),
      ]);
      const p = env.project(gen!.text);
      const r = p.kind === 'action' ? env.step(state, p.action) : env.stepInvalid(state);
      const action = env.describeAction(p.kind === 'action' ? p.action : null);
      history.push({ action, observation: env.observe(r.state), reward: r.reward, done: r.done, won: r.won });
      samples.push({
        ...base,
        attempt,
        turn: history.length - 1,
        phase: 'play',
        prompt,
        response: gen!.text,
        reward: r.reward,
        valid: p.kind === 'action',
        done: r.done,
        won: r.won,
        anchor: env.anchor(state),
        action,
      });
      state = r.state;
      done = r.done;
      won = r.won;
    }
    final = state;
    memory.push({ attempt, history, reflection: '' });
    if (won) break;
  }
  return samples;
}

async function plainRun(
  env: AnyEnvDefinition,
  params: Json,
  seeds: number[],
  policy: Policy,
): Promise<number> {
  let turns = 0;
  // Keep every trial's samples until the run ends, as runRollout must (they are its output).
  const kept: TurnSample[][] = [];
  for (let i = 0; i < seeds.length; i++) kept.push(await plainTrial(env, params, seeds[i]!, i, policy));
  for (const samples of kept) turns += samples.length;
  return turns;
}

async function engineRun(
  env: AnyEnvDefinition,
  params: Json,
  seeds: number[],
  policy: Policy,
): Promise<number> {
  let turns = 0;
  await runRollout({
    envId: env.id,
    params,
    tasks: seeds.map((seed) => ({ seed })),
    trial: { attempts: ATTEMPTS, memoryMode: 'reflection_only', style: STYLE },
    policy,
    attach: (actor) => {
      actor.on('turn', () => {
        turns++;
      });
    },
  });
  return turns;
}

/** Wall time and this process's CPU time (all its threads; other processes' load does not count). */
async function timed(run: () => Promise<number>): Promise<{ turns: number; ms: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const turns = await run();
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  return { turns, ms, cpu: (cpu.user + cpu.system) / 1000 };
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

async function main(): Promise<void> {
  registerBuiltinEnvs();
  const only = process.argv[2]?.toLowerCase();
  const table = new Table({
    head: ['env', 'turns/run', 'plain turns/s', 'engine turns/s', 'engine ÷ plain', 'per run', 'CPU time'],
    style: { head: [] },
  });
  const policy = randomPolicy();
  for (const env of BUILTIN_ENVS) {
    if (only && !env.id.toLowerCase().startsWith(only) && !env.aliases.includes(only)) continue;
    const params = env.presets[env.defaultPreset] as Json;
    const seeds = validationSeeds(TASKS);
    // Warm-up (JIT) of both paths: the first runs of the engine are several times slower than later ones.
    for (let w = 0; w < WARMUP; w++) {
      await plainRun(env, params, seeds, policy);
      await engineRun(env, params, seeds, policy);
    }
    const total = { plain: 0, engine: 0, plainCpu: 0, engineCpu: 0, turns: 0 };
    const ratios: number[] = [];
    let turns = 0;
    for (let r = 0; r < RUNS; r++) {
      // alternate the order: a collection left due by one run lands on the other side as often
      const engineFirst = r % 2 === 1;
      const e0 = engineFirst ? await timed(() => engineRun(env, params, seeds, policy)) : null;
      const p = await timed(() => plainRun(env, params, seeds, policy));
      const e = e0 ?? (await timed(() => engineRun(env, params, seeds, policy)));
      if (p.turns !== e.turns)
        console.error(`  warning: ${env.id} plain loop took ${p.turns} turns, engine ${e.turns}`);
      turns = e.turns;
      total.plain += p.ms;
      total.engine += e.ms;
      total.plainCpu += p.cpu;
      total.engineCpu += e.cpu;
      total.turns += e.turns;
      ratios.push(p.ms / e.ms);
    }
    const plainRate = (total.turns * 1000) / total.plain;
    const engineRate = (total.turns * 1000) / total.engine;
    const ratio = engineRate / plainRate;
    table.push([
      env.id,
      String(turns),
      fmt(plainRate),
      fmt(engineRate),
      `${ratio.toFixed(2)}${ratio >= 0.5 ? '' : '  (below goal 0.5)'}`,
      `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`,
      (total.plainCpu / total.engineCpu).toFixed(2),
    ]);
    console.error(`  measured ${env.id}`);
  }
  console.log(
    `engine vs plain loop, random policy, ${TASKS} tasks × ${ATTEMPTS} attempts, total over ${RUNS} alternating runs after ${WARMUP} warm-up runs`,
  );
  console.log(table.toString());
}

await main();
