import { describe, expect, it } from 'vitest';
import { boundReply, PolicyClient, replyCharBound } from '../../src/actors/client.js';
import { PolicyError } from '../../src/policy/errors.js';
import { scriptedTextPolicy } from '../../src/policy/scripted.js';
import type { GenerationRequest } from '../../src/policy/types.js';
import { ManualPolicy, settle } from './helpers.js';

const req = (key: string): GenerationRequest => ({
  key,
  messages: [{ role: 'user', content: key }],
  sampling: {},
});

describe('PolicyClient', () => {
  it('with no trial count, sends what was submitted together at the end of the synchronous step', async () => {
    const client = new PolicyClient(scriptedTextPolicy((r) => r.key));
    const out = await Promise.all([client.submit(req('a')), client.submit(req('b'))]);
    expect(out.map((g) => g.text)).toEqual(['a', 'b']);
    expect((await client.submit(req('c'))).text).toBe('c');
    expect(client.stats.batchSizes).toEqual([2, 1]);
  });

  it('waits until every in-flight trial has a request, then sends one batch', async () => {
    const policy = new ManualPolicy();
    const client = new PolicyClient(policy);
    client.setExpected(3);
    const a = client.submit(req('a'));
    const b = client.submit(req('b'));
    await settle();
    expect(policy.batches).toHaveLength(0);
    const c = client.submit(req('c'));
    await settle();
    expect(policy.batches.map((x) => x.requests.map((r) => r.key))).toEqual([['a', 'b', 'c']]);
    policy.reply('ok');
    expect((await Promise.all([a, b, c])).map((g) => g.text)).toEqual(['ok', 'ok', 'ok']);
  });

  it('flushes at maxBatch, and when the expected count drops', async () => {
    const policy = new ManualPolicy();
    const client = new PolicyClient(policy, { maxBatch: 2 });
    client.setExpected(5);
    for (const k of ['a', 'b', 'c']) void client.submit(req(k));
    await settle();
    expect(policy.batches.map((x) => x.requests.length)).toEqual([2]);
    client.setExpected(1);
    await settle();
    expect(policy.batches.map((x) => x.requests.length)).toEqual([2, 1]);
  });

  it('replays answered keys and joins keys in flight (the policy sees each key once)', async () => {
    const policy = new ManualPolicy();
    const client = new PolicyClient(policy);
    const first = client.submit(req('k'));
    const joined = client.submit(req('k'));
    await settle();
    policy.reply('once');
    expect((await first).text).toBe('once');
    expect((await joined).text).toBe('once');
    expect((await client.submit(req('k'))).text).toBe('once');
    expect(policy.seen).toEqual(['k']);
    expect(client.stats.replayed).toBe(2);
  });

  it('withdraws an aborted request that was not sent yet', async () => {
    const policy = new ManualPolicy();
    const client = new PolicyClient(policy);
    client.setExpected(2);
    const ctrl = new AbortController();
    const a = client.submit(req('a'), ctrl.signal);
    ctrl.abort(new PolicyError('stopped'));
    await expect(a).rejects.toThrow('stopped');
    expect(client.pendingCount).toBe(0);
    void client.submit(req('b'));
    void client.submit(req('c'));
    await settle();
    expect(policy.seen).toEqual(['b', 'c']);
  });

  it("ask / cancel (the policy actor's path): answers later by callback, replays, withdraws like an abort", async () => {
    const policy = new ManualPolicy();
    const client = new PolicyClient(policy);
    client.setExpected(2);
    const got: string[] = [];
    const a = client.ask(
      req('a'),
      (g) => got.push(`a:${g.text}`),
      (e) => got.push(`a!${String(e)}`),
    );
    client.ask(
      req('b'),
      (g) => got.push(`b:${g.text}`),
      (e) => got.push(`b!${String(e)}`),
    );
    client.cancel(a, 'stopped'); // not sent yet: withdrawn, rejected, and the batch no longer waits for it
    client.setExpected(1);
    await settle();
    expect(policy.seen).toEqual(['b']);
    policy.reply('B');
    await settle();
    client.cancel(a, 'again'); // answered or withdrawn already: nothing
    const replay = client.ask(
      req('b'),
      (g) => got.push(`b again:${g.text}`),
      () => {},
    );
    expect(got).toEqual(['a!stopped', 'b:B']); // a replay is answered later too, never during ask
    await settle();
    expect(got).toEqual(['a!stopped', 'b:B', 'b again:B']);
    client.cancel(replay, 'late');
    expect(policy.seen).toEqual(['b']);
    expect(client.stats.replayed).toBe(1);
  });

  it('rejects every waiter of a failed batch and does not cache the failure', async () => {
    const policy = new ManualPolicy();
    const client = new PolicyClient(policy);
    const a = client.submit(req('a'));
    await settle();
    policy.fail();
    await expect(a).rejects.toBeInstanceOf(PolicyError);
    const again = client.submit(req('a'));
    await settle();
    policy.reply('second');
    expect((await again).text).toBe('second');
    expect(policy.seen).toEqual(['a', 'a']);
  });

  it('rejects a batch answered with the wrong number of generations', async () => {
    const client = new PolicyClient({ name: 'short', generate: async () => [] });
    await expect(client.submit(req('a'))).rejects.toThrow(/returned 0 generations for 1 requests/);
  });

  it('drops the oldest cached generations beyond cacheSize', async () => {
    const policy = scriptedTextPolicy((r, i) => `${r.key}${i}`);
    const client = new PolicyClient(policy, { cacheSize: 2 });
    for (const k of ['a', 'b', 'c']) await client.submit(req(k));
    expect((await client.submit(req('c'))).text).toBe('c2');
    expect((await client.submit(req('a'))).text).toBe('a3');
  });
});

describe('replies over the length bound', () => {
  it('are cut at 64 characters per token of the budget, marked, and lose their token data', async () => {
    const long = 'x'.repeat(5000);
    const policy = {
      name: 'long',
      generate: async (requests: GenerationRequest[]) =>
        requests.map(() => ({ text: long, logprobs: [-1], responseTokens: [1] })),
    };
    const client = new PolicyClient(policy);
    const g = await client.submit({ key: 'k', messages: [], sampling: { maxTokens: 10 } });
    expect(g.text).toBe(long.slice(0, 640));
    expect(g).toMatchObject({ cutFrom: 5000, finishReason: 'length' });
    expect(g.logprobs).toBeUndefined();
    expect(g.responseTokens).toBeUndefined();
    expect(replyCharBound(undefined)).toBe(64 * 4096);
    const short = { text: 'ok' };
    expect(boundReply(short, 1)).toBe(short);
  });
});
