import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type EvalOptions, runEval } from '../../src/cli/eval-run.js';
import { main } from '../../src/cli/main.js';
import { registerPolicyKind } from '../../src/cli/policy-spec.js';
import { listEnvs, registerEnv, unregisterEnv } from '../../src/envs/core/registry.js';
import { validationSeeds } from '../../src/envs/core/seeds.js';
import { readJsonl } from '../../src/metrics/sinks/jsonl.js';
import type { TrialRecord } from '../../src/streams/types.js';
import { ConfigError, UnknownIdError } from '../../src/util/errors.js';
import { corridor } from '../fixtures/corridor-env.js';

const dir = mkdtempSync(join(tmpdir(), 'lamer-eval-'));
const quiet = () => {
  const text: string[] = [];
  return {
    text,
    io: { out: { write: (t: string) => text.push(t) }, live: { write: () => true, isTTY: false } },
  };
};
const base: EvalOptions = {
  env: 'corridor',
  policy: 'random',
  tasks: 6,
  attempts: 3,
  memory: 'reflection_only',
  seed: 5,
};
const value = (r: Awaited<ReturnType<typeof runEval>>, key: string) =>
  r.metrics.find((e) => e.name === key && Object.keys(e.tags).length === 0)?.value;

let registered = false;
beforeAll(() => {
  if (!listEnvs().some((e) => e.id === corridor.id)) {
    registerEnv(corridor);
    registered = true;
  }
});
afterAll(() => {
  if (registered) unregisterEnv('Corridor-v0');
});

describe('runEval', () => {
  it('solves every corridor task on the first attempt with the expert and reports pass@1..K', async () => {
    const { text, io } = quiet();
    const out = join(dir, 'expert.jsonl');
    const r = await runEval({ ...base, policy: 'expert', out }, io);
    expect(r.records).toHaveLength(6);
    expect(value(r, 'pass@1')).toBe(1);
    expect(value(r, 'pass@3')).toBe(1);
    expect(value(r, 'invalid_action_rate')).toBe(0);
    expect(text.join('')).toMatch(/pass@1\s+│\s+│\s+1\s/);
    expect(text.join('')).toContain(`trial log: ${out} (6 trials)`);
    expect(text.join('')).not.toMatch(/│ entropy/);
    expect(text.join('')).toContain('entropy: needs --trials-per-task >= 2');
  });

  it('runs over the fixed seeded validation task set and logs trials in plan order', async () => {
    const out = join(dir, 'plan.jsonl');
    const r = await runEval({ ...base, trialsPerTask: 2, out }, quiet().io);
    const logged = readJsonl<TrialRecord>(out);
    const seeds = validationSeeds(6, 5);
    expect(logged.map((t) => t.seed)).toEqual(seeds.flatMap((s) => [s, s]));
    expect(logged.map((t) => t.trialId)).toEqual(r.records.map((t) => t.trialId));
    expect(logged).toEqual(JSON.parse(JSON.stringify(r.records)));
    const p1 = value(r, 'pass@1')!;
    const p3 = value(r, 'pass@3')!;
    expect(p1).toBeLessThanOrEqual(p3);
    expect(value(r, 'entropy')).toBeGreaterThan(0);
    expect(r.report).toMatch(/│ entropy /);
  });

  it('writes a byte-identical JSONL log for the same seed, and another one for another seed', async () => {
    const paths = ['a', 'b', 'c'].map((n) => join(dir, `${n}.jsonl`));
    await runEval({ ...base, trialsPerTask: 3, out: paths[0]! }, quiet().io);
    await runEval({ ...base, trialsPerTask: 3, out: paths[1]!, concurrency: 2 }, quiet().io);
    await runEval({ ...base, trialsPerTask: 3, out: paths[2]!, seed: 6 }, quiet().io);
    const [a, b, c] = paths.map((p) => readFileSync(p));
    expect(a!.length).toBeGreaterThan(0);
    expect(b!.equals(a!)).toBe(true);
    expect(c!.equals(a!)).toBe(false);
  });

  it('is byte-identical per seed on a built-in env too (MineSweeper, random policy)', async () => {
    const [a, b] = ['ms-a', 'ms-b'].map((n) => join(dir, `${n}.jsonl`));
    const opts = { ...base, env: 'minesweeper', tasks: 4, trialsPerTask: 2 };
    await runEval({ ...opts, out: a! }, quiet().io);
    await runEval({ ...opts, out: b! }, quiet().io);
    expect(readFileSync(a!).equals(readFileSync(b!))).toBe(true);
    expect(readJsonl(a!)).toHaveLength(8);
  });

  it('counts and logs trials whose policy failed, never dropping them', async () => {
    registerPolicyKind('broken-test', {
      usage: 'broken-test (always fails)',
      argument: 'none',
      create: () => ({
        name: 'broken',
        generate: () => Promise.reject(new Error('server down')),
      }),
    });
    const out = join(dir, 'broken.jsonl');
    const r = await runEval({ ...base, tasks: 2, policy: 'broken-test', out }, quiet().io);
    expect(value(r, 'failed_trials')).toBe(2);
    expect(value(r, 'pass@1')).toBe(0);
    const logged = readJsonl<TrialRecord>(out);
    expect(logged).toHaveLength(2);
    expect(logged.every((t) => typeof t.failed === 'string' && t.failed.includes('broken'))).toBe(true);
  });

  it('explains bad options', async () => {
    const { io } = quiet();
    await expect(runEval({ ...base, env: 'nope' }, io)).rejects.toThrow(
      /unknown env "nope". Registered envs: .*Corridor-v0/,
    );
    await expect(runEval({ ...base, policy: 'gpt' }, io)).rejects.toThrow(UnknownIdError);
    await expect(runEval({ ...base, policy: 'gpt' }, io)).rejects.toThrow(/random.*expert/);
    await expect(runEval({ ...base, policy: 'expert:2' }, io)).rejects.toThrow(ConfigError);
    await expect(runEval({ ...base, tasks: 0 }, io)).rejects.toThrow(/--tasks must be an integer >= 1/);
    await expect(runEval({ ...base, preset: 'huge' }, io)).rejects.toThrow(/Presets: default, long/);
  });
});

describe('lamer eval (CLI)', () => {
  it('is registered and exits 2 with the registered envs listed for an unknown env', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
    try {
      expect(await main(['node', 'lamer', 'eval', '--env', 'nope', '--policy', 'random', '--no-live'])).toBe(
        2,
      );
    } finally {
      spy.mockRestore();
    }
    expect(errors.join('\n')).toMatch(/Registered envs: .*Corridor-v0/);
  });

  it('rejects an unknown memory mode through commander', async () => {
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(
        await main(['node', 'lamer', 'eval', '--env', 'corridor', '--policy', 'random', '--memory', 'foo']),
      ).not.toBe(0);
    } finally {
      spy.mockRestore();
    }
  });
});
