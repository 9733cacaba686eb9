/**
 * `lamer eval --policy openai:…` against a real local server that fails in the ways servers do:
 * failures are never turned into scores silently. Each failed trial is said on stderr with its
 * cause and kept in the log with the turns it played, the report counts them, and the exit code
 * is 3 (2 when nothing could run at all).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { listEnvs, registerEnv, unregisterEnv } from '../../src/envs/core/registry.js';
import { validationSeeds } from '../../src/envs/core/seeds.js';
import { readJsonl } from '../../src/metrics/sinks/jsonl.js';
import type { TrialRecord } from '../../src/streams/types.js';
import { corridor } from '../fixtures/corridor-env.js';
import { type Answer, type ScriptedServer, startScriptedServer } from '../policy/http/scripted-server.js';

const dir = mkdtempSync(join(tmpdir(), 'lamer-eval-faults-'));
const RIGHT: Answer = { reply: 'I go <action>right</action>' };
let registered = false;
const servers: ScriptedServer[] = [];

beforeAll(() => {
  if (!listEnvs().some((e) => e.id === corridor.id)) {
    registerEnv(corridor);
    registered = true;
  }
});
afterAll(async () => {
  if (registered) unregisterEnv('Corridor-v0');
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(answer: (prompt: string, hit: number) => Answer): Promise<ScriptedServer> {
  const server = await startScriptedServer(answer);
  servers.push(server);
  return server;
}

/** `lamer eval` on the corridor; exit code, stdout and stderr. */
async function evalRun(
  baseURL: string,
  name: string,
  more: string[] = [],
): Promise<{ code: number; out: string; err: string; log: string }> {
  const log = join(dir, `${name}.jsonl`);
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((m: string | Uint8Array) => {
    out.push(String(m));
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((m: string | Uint8Array) => {
    err.push(String(m));
    return true;
  });
  const c = vi.spyOn(console, 'error').mockImplementation((m: string) => void err.push(`${m}\n`));
  try {
    const code = await main([
      'node',
      'lamer',
      'eval',
      '--env',
      'corridor',
      '--policy',
      `openai:${baseURL}#tiny`,
      '--seed',
      '3',
      '--no-live',
      '--out',
      log,
      ...more,
    ]);
    return { code, out: out.join(''), err: err.join(''), log };
  } finally {
    o.mockRestore();
    e.mockRestore();
    c.mockRestore();
  }
}

describe('lamer eval: policy server faults are loud', () => {
  it('a request the server refuses fails only its own trial, which keeps the turns it played', async () => {
    // Validation tasks of seed 3 whose goal is cell 4 ask "Now: _P__G" at their 2nd turn: refused.
    const goals = validationSeeds(8, 3).map((s) => 1 + (s % 4));
    expect(goals).toContain(4);
    expect(goals.some((g) => g !== 4)).toBe(true);
    const server = await serve((prompt) =>
      prompt.endsWith('Now: _P__G')
        ? {
            status: 400,
            body: { error: { message: 'prompt has 1048 tokens; the model takes at most 1024' } },
          }
        : RIGHT,
    );
    const r = await evalRun(server.baseURL, 'refused', ['--tasks', '8', '--attempts', '1']);
    expect(r.code).toBe(3);
    const records = readJsonl<TrialRecord>(r.log);
    expect(records).toHaveLength(8);
    records.forEach((t, i) => {
      if (goals[i] === 4) {
        expect(t.failed).toMatch(/HttpBadRequestError: .*prompt has 1048 tokens/);
        expect(t.samples).toHaveLength(1); // the first turn stands
        expect(t.samples[0]?.response).toBe(RIGHT.reply);
      } else {
        expect(t.failed).toBeUndefined();
        expect(t.wonAt).toBe(0);
      }
    });
    const failed = goals.filter((g) => g === 4).length;
    // said once per trial, with its cause; counted in the report; the exit line names the cause
    expect(
      r.err.match(/trial \S+ failed after 1 turn \(kept in the log\): HttpBadRequestError/g),
    ).toHaveLength(failed);
    expect(r.out).toContain(`failed trials: ${failed} of 8`);
    expect(r.err).toMatch(
      new RegExp(
        `lamer: ${failed} of 8 trials failed \\(above --max-failed 0\\).*most common cause \\(${failed}×, numbers shown as N\\)`,
      ),
    );
    // a 400 is final: no retries on top of it
    expect(server.requests()).toBe(records.reduce((n, t) => n + t.samples.length, 0) + failed);
    // --max-failed allows that share
    expect(
      (
        await evalRun(server.baseURL, 'refused-ok', [
          '--tasks',
          '8',
          '--attempts',
          '1',
          '--max-failed',
          '0.5',
        ])
      ).code,
    ).toBe(0);
  });

  it('no server listening: one line and exit 2 before any trial', async () => {
    const server = await serve(() => RIGHT);
    const url = server.baseURL;
    await server.close();
    const r = await evalRun(url, 'down', ['--tasks', '2']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^lamer: openai:.*cannot reach .*\/v1\/models .*is the server running/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('a server that does not serve the model: exit 2, naming what it serves', async () => {
    const server = await serve(() => RIGHT);
    server.models.splice(0, 1, { id: 'other' });
    const r = await evalRun(server.baseURL, 'model', ['--tasks', '2']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/does not serve "tiny"; it serves: other/);
    expect(server.requests()).toBe(0);
  });

  it('500s: a line while requests are retried, then the trials fail and the exit code is 3', async () => {
    const server = await serve(() => ({ status: 503, body: { error: { message: 'warming up' } } }));
    const r = await evalRun(server.baseURL, 'e503', ['--tasks', '2', '--retries', '1']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(
      /lamer eval: retrying \S+ in \d+\.\d s: try 1 of 2 failed: server answered 503: warming up/,
    );
    expect(r.err).toMatch(/HttpRetriesExhaustedError: .*failed 2 times/);
    expect(server.requests()).toBe(4); // 2 tries per request; the trial engine adds none
    expect(readJsonl<TrialRecord>(r.log).every((t) => t.failed !== undefined)).toBe(true);
  });

  it('garbage replies: the first 16 trials all fail, so the run stops there with exit 3', async () => {
    const server = await serve(() => ({ status: 200, body: '<html>proxy error</html>' }));
    const r = await evalRun(server.baseURL, 'garbage', ['--tasks', '40']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(
      /the first 16 trials all failed, so the policy is not working; stopped before the other 24/,
    );
    expect(r.err).toMatch(/HttpReplyFormatError: .*reply is not JSON/);
    expect(readJsonl(r.log).length).toBeGreaterThanOrEqual(16);
    expect(readJsonl(r.log).length).toBeLessThan(40);
    expect(r.out).toMatch(/failed trials: \d+ of \d+/);
  });

  it('a reply far over its token budget is cut and marked; the log stays writable', async () => {
    const huge = `<action>right</action>${'x'.repeat(200_000)}`;
    const server = await serve(() => ({ reply: huge }));
    const r = await evalRun(server.baseURL, 'huge', ['--tasks', '2', '--attempts', '1', '--max-tokens', '8']);
    expect(r.code).toBe(0);
    const samples = readJsonl<TrialRecord>(r.log).flatMap((t) => t.samples);
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) {
      expect(s.response).toHaveLength(512); // 64 characters per token of --max-tokens
      expect(s.responseCut).toBe(huge.length);
    }
    expect(r.err).toMatch(/had 200022 characters; cut to 512/);
  });

  it('--timeout bounds a server that never answers', async () => {
    const server = await serve(() => ({ hang: true }));
    const r = await evalRun(server.baseURL, 'hang', [
      '--tasks',
      '1',
      '--attempts',
      '1',
      '--timeout',
      '1',
      '--retries',
      '0',
    ]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/no complete reply within 1000 ms/);
  });
});
