/**
 * The HTTP policy keeping a cluster busy (issue 24): many requests in flight by default, pooled
 * keep-alive connections, replicas with a dead one skipped, no abort-listener warning.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { OpenAiPolicy } from '../../../src/policy/http/openai.js';
import type { GenerationRequest } from '../../../src/policy/types.js';
import { type ScriptedServer, startScriptedServer } from './scripted-server.js';
import { turnsOf } from './turns.js';

const servers: ScriptedServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function slowServer(): Promise<ScriptedServer> {
  // answers each request 20 ms later (a timer in the answer: the server holds the request)
  const s = await startScriptedServer(() => ({ reply: '<action>right</action>', delayMs: 20 }));
  servers.push(s);
  return s;
}

const requests = (n: number, tag: string): GenerationRequest[] =>
  Array.from({ length: n }, (_, i) => ({
    key: `${tag}/${i}`,
    messages: [{ role: 'user', content: `${tag} ${i}` }],
    sampling: {},
  }));

async function deadURL(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return `http://127.0.0.1:${port}/v1`;
}

describe('OpenAiPolicy on a cluster', () => {
  it('keeps up to 64 requests in flight by default (was 8) over reused keep-alive connections', async () => {
    const server = await slowServer();
    const policy = new OpenAiPolicy({ baseURL: server.baseURL, model: 'tiny', env: {} });
    expect(policy.maxBatch).toBe(1);
    const out = await policy.generate(requests(200, 'a'));
    expect(out.every((g) => g.finishReason !== 'error')).toBe(true);
    expect(server.maxInFlight()).toBeGreaterThan(8);
    expect(server.maxInFlight()).toBeLessThanOrEqual(64);
    expect(server.connections()).toBeLessThanOrEqual(64);
    await policy.generate(requests(64, 'b'));
    expect(server.connections()).toBeLessThanOrEqual(64); // the second batch reused them
  });

  it('adds no abort listener warning however many requests share one call', async () => {
    const server = await slowServer();
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      await new OpenAiPolicy({ baseURL: server.baseURL, model: 'tiny', env: {}, maxInFlight: 100 }).generate(
        requests(100, 'w'),
        controller.signal,
      );
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  it('spreads requests over replicas and skips a dead one without failing a request', async () => {
    const a = await slowServer();
    const b = await slowServer();
    const dead = await deadURL();
    const policy = new OpenAiPolicy({
      baseURL: [a.baseURL, dead, b.baseURL],
      model: 'tiny',
      env: {},
      retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 10 },
    });
    expect(policy.name).toBe(`openai:${a.baseURL},${dead},${b.baseURL}#tiny`);
    const out = await policy.generate(requests(60, 'r'));
    expect(out.every((g) => g.finishReason !== 'error')).toBe(true);
    expect(a.requests() + b.requests()).toBe(60);
    expect(a.requests()).toBeGreaterThan(10);
    expect(b.requests()).toBeGreaterThan(10);
    // the preflight names a replica that is down
    await expect(policy.checkModel()).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:\d+\/v1\/models/);
  });

  it('hands a burst of replies to their callers one per event-loop turn, so their next requests leave at once', async () => {
    const server = await slowServer();
    const policy = new OpenAiPolicy({ baseURL: server.baseURL, model: 'tiny', env: {} });
    await policy.generate(requests(16, 'warm')); // 16 keep-alive connections, then reused
    // 16 trials asking at once: the server answers them together, 20 ms later
    const turns = await turnsOf((turn) =>
      requests(16, 't').map((r) => policy.generate([r]).then(() => turn())),
    );
    expect(new Set(turns).size).toBe(16);
    await policy.close();
  });
});
