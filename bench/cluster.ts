/**
 * `npm run bench:cluster`: can one lamer process keep an inference cluster busy?
 * A fake OpenAI-compatible server (cluster-server.ts, a child process, so its
 * CPU is not ours) answers every request after LATENCY_MS (default 50). A
 * MineSweeper evaluation with faithful prompts (LaMer protocol, 3 attempts)
 * runs through the HTTP policy at 64 / 512 / 2048 requests in flight (the trial
 * concurrency and the policy's in-flight limit; BENCH_LEVELS to change), over
 * max(BENCH_TASK_FACTOR (default 2) x in-flight, BENCH_MIN_TASKS (default 512))
 * tasks: with few tasks per slot the run's tail (the last trials, fewer than
 * in-flight left) is a large part of it. One unmeasured run at the first level
 * first, so that no level is timed while V8 still compiles the hot code (the
 * first level's CPU per request was 2x its steady value without it).
 *
 * Prints, per level: requests/s against the ideal (in-flight / latency), over
 * the whole run and until the plan's last trial started (the steady state: after
 * it, fewer trials than slots are left, so the tail of a finite plan, not the
 * client, empties the slots: ~6% of the slot time at 64 in flight), against the
 * plan ideal (the same plan, the trials' request counts of this run, on a client
 * with no overhead of its own: the tail included, cluster-ideal.ts) and the most
 * any order of the trials could reach (max(requests / in-flight, longest trial)
 * / latency), and why it falls short (Little's law: req/s = mean in flight / mean latency): the
 * mean number of requests in flight (below in-flight: the tail, or trials busy
 * in our code) and the mean latency a trial saw per request (from its request
 * to its reply; above LATENCY_MS: time a request or its reply waited for our
 * event loop or the server's). Then our CPU per request (this process's user +
 * system time / requests: engine, env, prompts, HTTP), how busy our CPU was (CPU
 * time / wall time: near or above 1, the run is CPU-bound, and the ideal cannot
 * be reached on one event loop), and the references measured in the same run:
 * the same requests sent through the HTTP policy alone (no engine), with the
 * rollout's own prompts, the same rollout with an in-process policy that answers
 * at once with the server's replies (the engine, env and prompts alone, no
 * HTTP), and the fake server's CPU per request.
 * Goals (issue 24): >= 90% of the plan ideal where not CPU-bound (docs/experiments.md: why the
 * plan ideal, not in-flight / latency); <= 0.3 ms of our CPU per request.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import Table from 'cli-table3';
import { runRollout } from '../src/actors/provide.js';
import { EVAL_SAMPLING } from '../src/cli/eval-run.js';
import { registerBuiltinEnvs } from '../src/envs/builtin.js';
import { validationSeeds } from '../src/envs/core/seeds.js';
import { OpenAiPolicy } from '../src/policy/http/openai.js';
import type { Generation, GenerationRequest, Policy } from '../src/policy/types.js';
import { anyOrderBoundMs, planIdealMs } from './cluster-ideal.js';
import { benchReply } from './cluster-reply.js';

const LATENCY_MS = Number(process.env.LATENCY_MS ?? 50);
const LEVELS = (process.env.BENCH_LEVELS ?? '64,512,2048').split(',').map(Number);
const TASK_FACTOR = Number(process.env.BENCH_TASK_FACTOR ?? 2);
const MIN_TASKS = Number(process.env.BENCH_MIN_TASKS ?? 512);

async function startServer(): Promise<{ child: ChildProcess; baseURL: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./cluster-server.ts', import.meta.url).pathname],
    {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      env: { ...process.env, LATENCY_MS: String(LATENCY_MS) },
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  return { child, baseURL: `http://127.0.0.1:${line.trim()}/v1` };
}

function serverStats(child: ChildProcess): Promise<{ answered: number; cpuMs: number }> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as { answered: number; cpuMs: number }));
    child.send('stats');
  });
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
}

interface Measure {
  requests: number;
  wallMs: number;
  cpuMs: number;
  serverCpuMs: number;
}

async function measure(child: ChildProcess, run: () => Promise<number>): Promise<Measure> {
  const s0 = await serverStats(child);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const requests = await run();
  const wallMs = performance.now() - t0;
  const cpu = cpuMs(c0);
  const s1 = await serverStats(child);
  return { requests, wallMs, cpuMs: cpu, serverCpuMs: s1.cpuMs - s0.cpuMs };
}

/** Requests in flight over time and the latency each request saw, through `policy`. */
interface Timing {
  policy: Policy;
  /**
   * Mean requests in flight since the first request, and mean latency (ms); `steadyRate`: requests
   * answered per second from the first request until the last trial of the plan asked its first
   * (after that fewer trials than slots are left: the run's tail, a property of a finite plan).
   */
  read(): { inFlight: number; latencyMs: number; steadyRate: number };
}

function timed(inner: Policy): Timing {
  let inFlight = 0;
  let area = 0; // integral of requests in flight over time (request-ms)
  let first = -1;
  let last = 0;
  let requests = 0;
  const answered: number[] = []; // when each request was answered
  const trials = new Set<string>();
  let lastTrialStart = 0;
  const advance = (t: number) => {
    area += inFlight * (t - last);
    last = t;
  };
  return {
    policy: {
      name: inner.name,
      maxBatch: inner.maxBatch,
      generate: async (batch, signal) => {
        const t0 = performance.now();
        if (first < 0) first = last = t0;
        for (const r of batch) {
          const trial = r.key.split('/', 2).join('/'); // task/trial
          if (!trials.has(trial)) {
            trials.add(trial);
            lastTrialStart = t0;
          }
        }
        advance(t0);
        inFlight += batch.length;
        try {
          return await inner.generate(batch, signal);
        } finally {
          const t1 = performance.now();
          advance(t1);
          inFlight -= batch.length;
          requests += batch.length;
          for (let i = 0; i < batch.length; i++) answered.push(t1);
        }
      },
    },
    // Little's law over the whole run: mean latency = area / requests
    read: () => ({
      inFlight: area / (last - first),
      latencyMs: area / requests,
      steadyRate: (1000 * answered.filter((t) => t <= lastTrialStart).length) / (lastTrialStart - first),
    }),
  };
}

/** The fake server's replies, in process and at once: the engine's own cost without HTTP. */
function instantPolicy(): Policy {
  let n = 0;
  return {
    name: 'instant',
    maxBatch: 1,
    generate: async (requests) =>
      requests.map((): Generation => ({ text: benchReply(n++), finishReason: 'stop' })),
  };
}

async function main(): Promise<void> {
  registerBuiltinEnvs();
  const { child, baseURL } = await startServer();
  const load0 = loadavg()[0]!;
  const table = new Table({
    head: [
      'in flight',
      'requests',
      'req/s',
      'ideal',
      '÷ ideal',
      'steady ÷ ideal',
      'plan ideal',
      '÷ plan ideal',
      'any order',
      'mean in flight',
      'mean latency ms',
      'our CPU ms/req',
      'CPU busy',
      'HTTP alone: req/s',
      'ms/req',
      'engine alone: ms/req',
      'server ms/req',
    ],
    style: { head: [] },
  });
  try {
    // the first level once unmeasured: V8 compiles the hot code (ours, undici's, the server's)
    for (const [run, inFlight] of [LEVELS[0]!, ...LEVELS].entries()) {
      const warm = run === 0;
      const tasks = warm
        ? Math.min(256, 4 * inFlight)
        : Math.max(Math.ceil(TASK_FACTOR * inFlight), MIN_TASKS);
      const policy = new OpenAiPolicy({ baseURL, model: 'bench', maxInFlight: inFlight });
      const rollout = (p: Policy) =>
        runRollout({
          envId: 'MineSweeper-v0',
          tasks: validationSeeds(tasks, 8192).map((seed) => ({ seed })),
          trial: { attempts: 3, memoryMode: 'reflection_only', style: 'faithful', sampling: EVAL_SAMPLING },
          concurrency: inFlight,
          runId: 'bench',
          policy: p,
        });
      let prompts: GenerationRequest[] = [];
      let chains: number[] = [];
      const timing = timed(policy);
      const engine = await measure(child, async () => {
        const records = await rollout(timing.policy);
        const samples = records.flatMap((r) => r.samples);
        chains = records.map((r) => r.samples.length);
        if (records.some((r) => r.failed !== undefined))
          throw new Error(`failed trials: ${records.find((r) => r.failed)?.failed}`);
        prompts = samples.map((s, i) => ({
          key: `p${i}`,
          messages: [{ role: 'user', content: s.prompt }],
          sampling: EVAL_SAMPLING,
        }));
        return samples.length;
      });
      // the reference: the same requests through the HTTP policy alone, inFlight at a time
      const http = await measure(child, async () => {
        const out = await policy.generate(prompts);
        if (out.some((g) => g.finishReason === 'error')) throw new Error('HTTP reference: a request failed');
        return out.length;
      });
      // the engine alone: the same rollout, replies in process and at once
      const alone = await measure(child, async () => {
        const records = await rollout(instantPolicy());
        return records.reduce((k, r) => k + r.samples.length, 0);
      });
      await policy.close();
      if (warm) continue;
      const { inFlight: meanInFlight, latencyMs, steadyRate } = timing.read();
      const rate = (m: Measure) => (1000 * m.requests) / m.wallMs;
      const ideal = (1000 * inFlight) / LATENCY_MS;
      // the same plan on a zero-overhead client (plan order), and trials reordered at will (a bound)
      const planIdeal = (1000 * engine.requests) / planIdealMs(chains, inFlight, LATENCY_MS);
      const anyOrder = (1000 * engine.requests) / anyOrderBoundMs(chains, inFlight, LATENCY_MS);
      table.push([
        inFlight,
        engine.requests,
        rate(engine).toFixed(0),
        ideal.toFixed(0),
        (rate(engine) / ideal).toFixed(2),
        (steadyRate / ideal).toFixed(2),
        planIdeal.toFixed(0),
        (rate(engine) / planIdeal).toFixed(2),
        anyOrder.toFixed(0),
        meanInFlight.toFixed(1),
        latencyMs.toFixed(1),
        (engine.cpuMs / engine.requests).toFixed(3),
        (engine.cpuMs / engine.wallMs).toFixed(2),
        rate(http).toFixed(0),
        (http.cpuMs / http.requests).toFixed(3),
        (alone.cpuMs / alone.requests).toFixed(3),
        (engine.serverCpuMs / engine.requests).toFixed(3),
      ]);
    }
  } finally {
    child.kill('SIGTERM');
  }
  console.log(
    `bench:cluster  MineSweeper, faithful prompts, 3 attempts, server latency ${LATENCY_MS} ms, max(${TASK_FACTOR} x in-flight, ${MIN_TASKS}) tasks; ` +
      `load average ${load0.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)} (${process.env.BENCH_NOTE ?? 'shared machine'})`,
  );
  console.log(table.toString());
  console.log(
    "ideal = in-flight / latency; steady = requests answered per second until the last trial of the plan started (then fewer trials than slots are left: the tail); plan ideal = the same plan (the trials' request counts of this run, in plan order, in-flight at once) on a client with zero overhead of its own: the tail included (cluster-ideal.ts); any order = max(requests / in-flight, longest trial) / latency, what reordering the trials at will could reach at most (their lengths are only known once played); req/s = mean in flight / mean latency (the latency a trial saw: request to reply); CPU busy = our CPU time / wall time (>= ~0.9: CPU-bound); HTTP alone = the same requests without the engine; " +
      'engine alone = the same rollout with instant in-process replies. Goals: >= 0.90 of the plan ideal where not CPU-bound (÷ ideal, kept for comparison, counts the tail against us), <= 0.3 ms our CPU per request.',
  );
}

await main();
