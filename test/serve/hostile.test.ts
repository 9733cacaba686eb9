/**
 * `lamer serve` under hostile requests (issue 25 part 2), against the real server object on
 * 127.0.0.1 in front of the tiny ONNX model: oversize and slow bodies, clients that go away,
 * one bad row in a batch, cross-site requests (wrong Content-Type, foreign Host), API keys.
 * Every loop is bounded; no test asserts on wall-clock time.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OnnxPolicy } from '../../src/policy/onnx/policy.js';
import { type RunningServer, type ServeOptions, startServer } from '../../src/serve/server.js';
import { exportTiny } from '../policy/onnx/tiny-model.js';
import { chat, gated, rawUpload, send } from './http.js';

let dir: string;
let policy: OnnxPolicy;
/** The server most tests share: the defaults (127.0.0.1, 1 MiB bodies, no API key). */
let shared: RunningServer;
const open: RunningServer[] = [];

beforeAll(async () => {
  ({ dir } = await exportTiny(2));
  policy = await OnnxPolicy.load(dir);
  shared = await serve();
});
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
  await policy.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** A server for the tiny model that tokenizes like it (its files, its context), plus `extra`. */
async function serve(extra: Partial<ServeOptions> = {}): Promise<RunningServer> {
  const s = await startServer({
    policy,
    model: 'tiny',
    port: 0,
    prompt: { tokenizer: { dir }, maxPositions: policy.maxPositions },
    ...extra,
  });
  open.push(s);
  return s;
}

describe('lamer serve: bodies', () => {
  it('answers 413 in JSON to a declared oversize body before a byte of it is sent', async () => {
    const s = shared;
    const head = { 'content-type': 'application/json', 'content-length': String(2 ** 30) };
    const { reply, sent } = await rawUpload(s.port, head, null, 0);
    expect(sent).toBe(0);
    expect(reply).toMatchObject({
      status: 413,
      json: {
        error: { code: 413, type: 'invalid_request_error', message: expect.stringMatching(/1048576 bytes/) },
      },
    });
    expect((await send(s.url, { path: '/v1/models' })).status).toBe(200);
  });

  it('answers 413 (not a reset) to a chunked body once it passes the limit, long before the client stops', async () => {
    const s = shared;
    const head = { 'content-type': 'application/json', 'transfer-encoding': 'chunked' };
    const { reply, sent } = await rawUpload(s.port, head, Buffer.alloc(16 * 1024, 'a'), 256 * 2 ** 20);
    expect(reply.status).toBe(413);
    expect(reply.json).toMatchObject({ error: { code: 413 } });
    expect(sent).toBeLessThan(64 * 2 ** 20); // answered while the client was still sending (it would send 256 MiB)
  });

  it('keeps answering GET /v1/models while a long prompt is tokenized', async () => {
    // No context length given: the whole prompt is tokenized (the path of a long-context model, where the
    // byte bound cannot refuse it first). Before, that ran on the event loop and every request waited.
    const s = await serve({ prompt: { tokenizer: { dir }, maxPositions: null } });
    const order: string[] = [];
    s.server.once('request', (req) => {
      // The body is in: from here on, the old server tokenized on the event loop until it answered 400.
      req.once('end', () => {
        void send(s.url, { path: '/v1/models' }).then((r) => order.push(`models ${r.status}`));
      });
    });
    const big = chat('many words '.repeat(30_000)); // 330 kB, ~60k tokens: more than the model takes
    const r = await send(s.url, { body: big });
    order.push(`big ${r.status}`);
    await vi.waitFor(() => expect(order).toHaveLength(2));
    expect(order).toEqual(['models 200', 'big 400']);
    expect(r.json.error.message).toMatch(/the prompt has \d+ tokens; the model takes at most 4096/);
  });

  it('refuses a prompt far over the context from its byte size alone, naming the token count', async () => {
    const s = shared;
    const r = await send(s.url, { body: chat('x'.repeat(200_000)) });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/the prompt has at least \d+ tokens; the model takes at most 4096/);
  });
});

describe('lamer serve: clients that go away', () => {
  it('a client that disconnects mid-generation frees its rows; the next request does not wait for them', async () => {
    const s = shared;
    const a = chat('run long', { n: 8, max_tokens: 1000, seed: 3 });
    const before = { ...policy.stats, batches: policy.stats.batchSizes.length };
    const controller = new AbortController();
    const gone = fetch(`${s.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(a),
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(policy.stats.batchSizes.length).toBe(before.batches + 1), { interval: 2 });
    controller.abort();
    expect(await gone).toBeInstanceOf(Error);
    const b = await send(s.url, { body: chat('next', { seed: 1 }) });
    expect(b.status).toBe(200);
    const aborted = policy.stats.abortedRows - before.abortedRows;
    const tokensOfA = policy.stats.generatedTokens - before.generatedTokens - b.json.usage.completion_tokens;
    // What A costs when nobody leaves: the same request answered in full.
    const full = await send(s.url, { body: a });
    expect(full.status).toBe(200);
    expect(aborted).toBeGreaterThan(0);
    expect(tokensOfA).toBeLessThan(full.json.usage.completion_tokens / 2);
  });

  it('a request withdrawn while queued never takes a place in a batch', async () => {
    const gate = gated(policy);
    const s = await serve({ policy: gate });
    const first = send(s.url, { body: chat('first') });
    await vi.waitFor(() => expect(gate.calls).toBe(1));
    const controller = new AbortController();
    const gone = fetch(`${s.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chat('queued', { n: 4 })),
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(s.batcher.pendingCount).toBe(4));
    controller.abort();
    await gone;
    await vi.waitFor(() => expect(s.batcher.pendingCount).toBe(0));
    const next = send(s.url, { body: chat('next') });
    await vi.waitFor(() => expect(s.batcher.pendingCount).toBe(1));
    gate.release();
    expect((await first).status).toBe(200);
    expect((await next).status).toBe(200);
    expect(s.batcher.batchSizes).toEqual([1, 1]);
    expect(s.batcher.withdrawn).toEqual({ queued: 4, running: 0 });
  });
});

describe('lamer serve: one bad row', () => {
  it('fails alone with 400; the rest of its batch runs once, together', async () => {
    const gate = gated(policy);
    const s = await serve({ policy: gate });
    const first = send(s.url, { body: chat('first') });
    await vi.waitFor(() => expect(gate.calls).toBe(1));
    const good = ['a', 'b', 'c'].map((c) => send(s.url, { body: chat(c, { seed: 2 }) }));
    const bad = send(s.url, { body: chat('tok '.repeat(6000)) }); // > 4096 tokens, under the byte bound
    const refused = await bad; // answered at once: it never waits for the batch it would have joined
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toMatch(/the prompt has \d+ tokens; the model takes at most 4096/);
    await vi.waitFor(() => expect(s.batcher.pendingCount).toBe(3));
    gate.release();
    const replies = await Promise.all([first, ...good]);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(s.batcher.batchSizes).toEqual([1, 3]);
    expect(gate.calls).toBe(2); // never rerun row by row
  });
});

describe('lamer serve: cross-site and unauthenticated requests', () => {
  it('requires Content-Type application/json (415 otherwise): a web page can send the others cross-site', async () => {
    const cases: [string, number][] = [
      ['text/plain', 415],
      ['application/x-www-form-urlencoded', 415],
      ['multipart/form-data; boundary=x', 415],
      ['application/json; charset=iso-8859-1', 415],
      ['application/json; charset=utf-8', 200],
      ['Application/JSON', 200],
    ];
    for (const [type, status] of cases) {
      const r = await send(shared.url, { body: chat('hi'), headers: { 'content-type': type } });
      expect(r.status, type).toBe(status);
      if (status === 415) expect(r.json.error.message).toMatch(/application\/json/);
    }
  });

  it('refuses a request without a Content-Type with 415', async () => {
    const s = shared;
    const r = await send(s.url, { body: JSON.stringify(chat('hi')), headers: { 'content-type': '' } });
    expect(r.status).toBe(415);
  });

  it('bound to 127.0.0.1, answers only requests addressed to a loopback name (DNS rebinding); --host opens it', async () => {
    const s = shared;
    const at = (host: string) => send(s.url, { path: '/v1/models', headers: { host } });
    for (const host of [`localhost:${s.port}`, `127.0.0.1:${s.port}`, `[::1]:${s.port}`, 'app.localhost'])
      expect((await at(host)).status, host).toBe(200);
    for (const host of [`evil.example:${s.port}`, '192.168.1.10', 'localhost.evil.example']) {
      const r = await at(host);
      expect(r.status, host).toBe(403);
      expect(r.json.error.message).toMatch(/--host/);
    }
    const post = await send(s.url, { body: chat('hi'), headers: { host: `rebound.example:${s.port}` } });
    expect(post.status).toBe(403);
    // --host with another address opens the server: any name then (a LAN name, say) is answered.
    const lan = await serve({ host: '0.0.0.0' });
    const r = await send(`http://127.0.0.1:${lan.port}`, {
      path: '/v1/models',
      headers: { host: 'box.lan' },
    });
    expect(r.status).toBe(200);
  });

  it('with an API key, refuses requests without the right Bearer token with 401', async () => {
    const s = await serve({ apiKey: 'sk-local-123' });
    for (const path of ['/v1/models', '/v1/chat/completions']) {
      const body = path === '/v1/models' ? undefined : chat('hi');
      const none = await send(s.url, { path, body });
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer');
      expect(none.json.error).toMatchObject({
        type: 'authentication_error',
        message: /Authorization: Bearer/,
      });
      const wrong = await send(s.url, { path, body, headers: { authorization: 'Bearer sk-local-124' } });
      expect(wrong.status).toBe(401);
      const right = await send(s.url, { path, body, headers: { authorization: 'Bearer sk-local-123' } });
      expect(right.status).toBe(200);
    }
  });
});
