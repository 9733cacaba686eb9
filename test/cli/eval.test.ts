import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type EvalOptions, runEval } from '../../src/cli/eval-run.js';
import { FailedTrialsError } from '../../src/cli/eval-watch.js';
import { main } from '../../src/cli/main.js';
import { registerPolicyKind } from '../../src/cli/policy-spec.js';
import { listEnvs, registerEnv, unregisterEnv } from '../../src/envs/core/registry.js';
import { validationSeeds } from '../../src/envs/core/seeds.js';
import { readJsonl } from '../../src/metrics/sinks/jsonl.js';
import { PolicyError } from '../../src/policy/errors.js';
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
    expect(text.join('')).toMatch(/^pass@1\s+1\s+6$/m);
    expect(text.join('')).toContain(`trial log: ${out} (6 trials)`);
    expect(text.join('')).not.toMatch(/^entropy\s/m);
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
    expect(r.report).toMatch(/^entropy\s/m);
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
        // final: the trial engine does not retry it (real 1 s + 2 s backoffs otherwise)
        generate: () => Promise.reject(new PolicyError('server down', { final: true })),
      }),
    });
    const out = join(dir, 'broken.jsonl');
    const { text, io } = quiet();
    const lines: string[] = [];
    const err = { write: (t: string) => lines.push(t) };
    // any failed trial fails the run (exit 3), after the report
    await expect(runEval({ ...base, tasks: 2, policy: 'broken-test', out }, { ...io, err })).rejects.toThrow(
      FailedTrialsError,
    );
    expect(text.join('')).toContain('failed trials: 2 of 2 (100.0%)');
    expect(
      lines.filter((l) => /^lamer eval: trial \S+ failed after 0 turns .*server down/.test(l)),
    ).toHaveLength(2);
    // a share allowed by maxFailed returns the result
    const r = await runEval({ ...base, tasks: 2, policy: 'broken-test', out, maxFailed: 1 }, quiet().io);
    expect(r.failed).toBe(2);
    expect(value(r, 'failed_trials')).toBe(2);
    expect(value(r, 'pass@1')).toBe(0);
    const logged = readJsonl<TrialRecord>(out);
    expect(logged).toHaveLength(2);
    expect(logged.every((t) => typeof t.failed === 'string' && t.failed.includes('server down'))).toBe(true);
  });

  it('explains bad options', async () => {
    const { io } = quiet();
    await expect(runEval({ ...base, env: 'nope' }, io)).rejects.toThrow(
      /unknown env "nope". Registered envs: .*Corridor-v0/,
    );
    await expect(runEval({ ...base, policy: 'gpt' }, io)).rejects.toThrow(UnknownIdError);
    await expect(runEval({ ...base, policy: 'gpt' }, io)).rejects.toThrow(/random.*expert/);
    await expect(runEval({ ...base, policy: 'expert:2' }, io)).rejects.toThrow(ConfigError);
    await expect(runEval({ ...base, tasks: 0 }, io)).rejects.toThrow(
      /--tasks must be an integer in 1\.\.100000, got 0/,
    );
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

describe('lamer eval: bad input is one line and exit 2, before any work', () => {
  let calls = 0;
  beforeAll(() => {
    registerPolicyKind('counting-test', {
      usage: 'counting-test (counts its calls)',
      argument: 'none',
      create: () => ({
        name: 'counting',
        generate: async (requests) => {
          calls += requests.length;
          return requests.map(() => ({ text: '<action>right</action>' }));
        },
      }),
    });
  });

  /** Run `lamer ...args`; the exit code and everything written to stderr. */
  async function run(args: string[]): Promise<{ code: number; stderr: string }> {
    const lines: string[] = [];
    const err = vi.spyOn(console, 'error').mockImplementation((m: string) => void lines.push(m));
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((m: string | Uint8Array) => {
      lines.push(String(m));
      return true;
    });
    try {
      const code = await main(['node', 'lamer', ...args]);
      return { code, stderr: lines.join('') };
    } finally {
      err.mockRestore();
      write.mockRestore();
    }
  }

  const evalArgs = (...more: string[]) => [
    'eval',
    '--policy',
    'counting-test',
    '--no-live',
    '--tasks',
    '2',
    ...more,
  ];
  it.each([
    ['--out a folder', evalArgs('--env', 'corridor', '--out', dir), /--out .* is a folder/],
    [
      '--out under a file',
      evalArgs('--env', 'corridor', '--out', 'README.md/x.jsonl'),
      /a file is in the way/,
    ],
    [
      '--tasks 1e9',
      evalArgs('--env', 'corridor', '--tasks', '1e9'),
      /--tasks must be an integer in 1\.\.100000/,
    ],
    [
      '--attempts 1e9',
      evalArgs('--env', 'corridor', '--attempts', '1e9'),
      /--attempts must be an integer in 1\.\.100/,
    ],
    [
      'too many trials',
      evalArgs('--env', 'corridor', '--tasks', '1000', '--trials-per-task', '1000'),
      /1000000 trials; at most 100000/,
    ],
    ['an unknown param', evalArgs('--env', 'minesweeper', '--set', 'mine=30'), /unknown param "mine"/],
    [
      'Sokoban params the generator cannot do',
      evalArgs('--env', 'sokoban', '--set', 'width=16', '--set', 'height=16', '--set', 'numBoxes=8'),
      /at most 3 boxes/,
    ],
    [
      'a WebShop catalog too large',
      evalArgs('--env', 'webshop', '--set', 'catalog=synthetic-99999999'),
      /synthetic catalog size must be 3\.\.200000/,
    ],
    [
      'a missing WebShop products file',
      evalArgs(
        '--env',
        'webshop',
        '--set',
        'productsFile=/nope/p.json',
        '--set',
        'attributesFile=/nope/a.json',
      ),
      /cannot read WebShop data file \/nope\/p\.json/,
    ],
    [
      'a bad option value (commander)',
      evalArgs('--env', 'corridor', '--tasks', 'abc'),
      /expected an integer/,
    ],
    ['an unknown option (commander)', evalArgs('--env', 'corridor', '--frobnicate'), /unknown option/],
    ['an unknown command (commander)', ['evaluate'], /unknown command/],
  ])('%s', async (_what, args, message) => {
    const before = calls;
    const { code, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(calls).toBe(before);
  });

  it.runIf(existsSync('/proc/self'))('--out under /proc fails at once instead of hanging', async () => {
    const { code, stderr } = await run(evalArgs('--env', 'corridor', '--out', '/proc/lamer-x/y.jsonl'));
    expect(code).toBe(2);
    expect(stderr).toMatch(/cannot write there/);
  });
});
