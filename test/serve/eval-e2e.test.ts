/**
 * The "done when": `lamer serve` (in-process, port 0) with the
 * built-in model, and a MineSweeper evaluation through the OpenAI-compatible
 * HTTP policy against it, end to end; plus faults injected around the real
 * server (500s, dropped connections, slow replies) losing or duplicating no trial.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRollout } from '../../src/actors/provide.js';
import { runEval } from '../../src/cli/eval-run.js';
import { registerBuiltinEnvs } from '../../src/envs/builtin.js';
import { OpenAiPolicy } from '../../src/policy/http/openai.js';
import { OnnxPolicy } from '../../src/policy/onnx/policy.js';
import { type RunningServer, startServer } from '../../src/serve/server.js';
import type { TrialRecord } from '../../src/streams/types.js';
import { exportTiny } from '../policy/onnx/tiny-model.js';

let dir: string;
let work: string;
let policy: OnnxPolicy;
let server: RunningServer;

const sink = () => {
  let text = '';
  const write = (s: string) => {
    text += s;
    return true;
  };
  return { write, isTTY: false, text: () => text };
};

beforeAll(async () => {
  ({ dir } = await exportTiny(4));
  work = await mkdtemp(join(tmpdir(), 'lamer-e2e-'));
  policy = await OnnxPolicy.load(dir);
  server = await startServer({ policy, model: 'tiny-builtin', port: 0 });
  registerBuiltinEnvs();
});
afterAll(async () => {
  await server.close();
  await policy.dispose();
  await rm(dir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

describe('lamer serve + lamer eval --policy openai:URL#MODEL', () => {
  it('runs a MineSweeper evaluation end to end with the LaMer protocol', async () => {
    const out = sink();
    const served = server.batcher.batchSizes.length;
    const result = await runEval(
      {
        env: 'minesweeper',
        policy: `openai:${server.baseURL}#tiny-builtin`,
        tasks: 4,
        attempts: 3,
        memory: 'reflection_only',
        seed: 0,
        // no style: the served model card says the built-in model plays compact prompts (`--style auto`)
        maxTokens: 12,
        out: join(work, 'eval.jsonl'),
        live: false,
      },
      { out, live: sink() },
    );
    expect(result.records).toHaveLength(4);
    expect(result.style).toBe('compact');
    expect(result.records.every((r) => r.failed === undefined)).toBe(true);
    const samples = result.records.flatMap((r) => r.samples);
    // The untrained model never wins: every trial plays 3 attempts with 2 reflection turns between them.
    for (const r of result.records.filter((t) => t.wonAt === null)) {
      expect(new Set(r.samples.map((s) => s.attempt))).toEqual(new Set([0, 1, 2]));
      expect(r.samples.filter((s) => s.phase === 'reflect')).toHaveLength(2);
    }
    // Every turn went through the server, which sent its sampling log-probs back.
    const calls = server.batcher.batchSizes.slice(served).reduce((a, b) => a + b, 0);
    expect(calls).toBe(samples.length);
    expect(samples.every((s) => s.logprobs !== undefined && s.logprobs.length > 0)).toBe(true);
    expect(result.metrics.map((m) => m.name)).toEqual(expect.arrayContaining(['pass@1', 'pass@3']));
    expect(out.text()).toMatch(/mode=lamer/);
    expect((await readFile(join(work, 'eval.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(4);
  });

  it('zero-shot and retry modes change the schedule (1 attempt; no reflections)', async () => {
    const base = {
      env: 'minesweeper',
      policy: `openai:${server.baseURL}#tiny-builtin`,
      tasks: 2,
      attempts: 3,
      memory: 'reflection_only' as const,
      seed: 0,
      style: 'compact' as const,
      maxTokens: 8,
      live: false,
    };
    const zero = await runEval(
      { ...base, mode: 'zero-shot', out: join(work, 'z.jsonl') },
      { out: sink(), live: sink() },
    );
    expect(zero.records.every((r) => r.samples.every((s) => s.attempt === 0))).toBe(true);
    const retry = await runEval(
      { ...base, mode: 'retry', out: join(work, 'r.jsonl') },
      { out: sink(), live: sink() },
    );
    expect(retry.records.flatMap((r) => r.samples).some((s) => s.phase === 'reflect')).toBe(false);
    expect(retry.records.flatMap((r) => r.samples).some((s) => s.attempt === 2)).toBe(true);
  });
});

describe('fault injection around the real server', () => {
  async function rollout(baseURL: string): Promise<TrialRecord[]> {
    return runRollout({
      envId: 'MineSweeper-v0',
      tasks: [{ seed: 11 }, { seed: 12 }, { seed: 13 }],
      trialsPerTask: 2,
      trial: { attempts: 2, maxTurns: 3, style: 'compact', sampling: { temperature: 1, maxTokens: 10 } },
      runId: 'faults',
      policy: new OpenAiPolicy({
        baseURL,
        model: 'tiny-builtin',
        retry: { baseDelayMs: 5, maxDelayMs: 20, maxRetries: 6 },
        timeoutMs: 30_000,
      }),
    });
  }

  it('500s, dropped connections and slow replies lose or duplicate no trial, and change no reply', async () => {
    const clean = await rollout(server.baseURL);
    const injected = { errors: 0, drops: 0, slow: 0 };
    const faulty = await startServer({
      policy,
      model: 'tiny-builtin',
      port: 0,
      intercept: async (_req, res, index) => {
        if (index % 7 === 1) {
          injected.errors++;
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: 'injected failure' } }));
          return true;
        }
        if (index % 7 === 3) {
          injected.drops++;
          res.socket?.destroy();
          return true;
        }
        if (index % 7 === 5) {
          injected.slow++;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        return false;
      },
    });
    const records = await rollout(faulty.baseURL);
    await faulty.close();
    expect(injected.errors).toBeGreaterThan(0);
    expect(injected.drops).toBeGreaterThan(0);
    expect(injected.slow).toBeGreaterThan(0);
    expect(records).toHaveLength(6);
    expect(new Set(records.map((r) => r.trialId)).size).toBe(6);
    expect(records.every((r) => r.failed === undefined)).toBe(true);
    for (const r of records) {
      const keys = r.samples.map((s) => `${s.attempt}/${s.turn}/${s.phase}`);
      expect(new Set(keys).size).toBe(keys.length);
    }
    // Retries resend the same seed, so the faulty run equals the clean one reply for reply.
    const view = (rs: TrialRecord[]) =>
      rs
        .map((r) => ({
          id: r.trialId,
          turns: r.samples.map((s) => [s.phase, s.attempt, s.turn, s.response]),
        }))
        .sort((a, b) => a.id.localeCompare(b.id));
    expect(view(records)).toEqual(view(clean));
  });
});
