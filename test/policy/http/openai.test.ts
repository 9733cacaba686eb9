import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HttpAuthError,
  HttpBadRequestError,
  HttpNotFoundError,
  HttpReplyFormatError,
  HttpRetriesExhaustedError,
} from '../../../src/policy/http/errors.js';
import { OpenAiPolicy, type OpenAiPolicyOptions, type RetryNotice } from '../../../src/policy/http/openai.js';
import type { Generation, GenerationRequest } from '../../../src/policy/types.js';
import { type FaultServer, startFaultServer } from './fault-server.js';

const KEY = 'sk-test-7f3a9c-secret';
const FAST_RETRY = { maxRetries: 4, baseDelayMs: 10, maxDelayMs: 40, maxRetryAfterMs: 50 };

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(async () => {
  await server.close();
});

function policy(options: Partial<OpenAiPolicyOptions> = {}): OpenAiPolicy {
  return new OpenAiPolicy({
    baseURL: server.baseURL,
    model: 'tiny',
    apiKeyEnv: 'TEST_LLM_KEY',
    env: { TEST_LLM_KEY: KEY },
    timeoutMs: 2500,
    retry: FAST_RETRY,
    ...options,
  });
}

function request(content: string, sampling: GenerationRequest['sampling'] = {}): GenerationRequest {
  return { key: `k/${content}`, messages: [{ role: 'user', content }], sampling };
}

/**
 * Run and return the failure: the rejection, or the error of a request answered with
 * `finishReason: 'error'` (a request fails alone; fails the test when nothing failed).
 */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    return error as Error;
  }
  const failed = Array.isArray(value)
    ? (value as Generation[]).find((g) => g.finishReason === 'error')
    : undefined;
  if (failed !== undefined) return failed.error as Error;
  throw new Error('expected a failure');
}

describe('OpenAiPolicy against a real local server with faults', () => {
  it('answers every request exactly once, in order, through 500s, 429, timeouts and dropped connections', async () => {
    const contents = ['ok:a', 'flaky500:b', 'r429:c', 'slow:d', 'drop:e', 'reset:f', 'ok:g', 'long:h'];
    const out = await policy({ concurrency: 3 }).generate(contents.map((c) => request(c)));
    expect(out.map((g) => g.text)).toEqual(contents.map((c) => `reply to ${c}`));
    expect(out.map((g) => g.finishReason)).toEqual([
      'stop',
      'stop',
      'stop',
      'stop',
      'stop',
      'stop',
      'stop',
      'length',
    ]);
    expect(out[0]?.logprobs).toEqual([-0.5]);
    // Server hits: one per request plus exactly one per injected fault.
    expect(Object.fromEntries(contents.map((c) => [c, server.hits.get(c)]))).toEqual({
      'ok:a': 1,
      'flaky500:b': 3,
      'r429:c': 2,
      'slow:d': 2,
      'drop:e': 2,
      'reset:f': 2,
      'ok:g': 1,
      'long:h': 1,
    });
    expect(server.maxInFlight()).toBeLessThanOrEqual(3);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    const before = server.bodies.length;
    server.resetMaxInFlight();
    const out = await policy({ concurrency: 2 }).generate(
      Array.from({ length: 8 }, (_, i) => request(`ok:conc${i}`)),
    );
    expect(out).toHaveLength(8);
    expect(server.bodies.length - before).toBe(8);
    expect(server.maxInFlight()).toBeLessThanOrEqual(2);
  });

  it('maps sampling settings to the OpenAI fields, top_k as an extra field, and sends the key', async () => {
    await policy({ enableThinking: false }).generate([
      request('ok:sampling', {
        temperature: 0.7,
        topP: 0.8,
        topK: 20,
        maxTokens: 64,
        stop: ['</action>'],
        seed: 7,
      }),
    ]);
    const body = server.bodies.at(-1)!;
    expect(body).toMatchObject({
      model: 'tiny',
      messages: [{ role: 'user', content: 'ok:sampling' }],
      temperature: 0.7,
      top_p: 0.8,
      top_k: 20,
      max_tokens: 64,
      stop: ['</action>'],
      seed: 7,
      logprobs: true,
      chat_template_kwargs: { enable_thinking: false },
    });
    expect(server.auth.at(-1)).toBe(`Bearer ${KEY}`);
    await policy({ sendTopK: false, logprobs: false, env: {} }).generate([request('ok:plain', { topK: 5 })]);
    expect(server.bodies.at(-1)).not.toHaveProperty('top_k');
    expect(server.bodies.at(-1)).not.toHaveProperty('logprobs');
    expect(server.auth.at(-1)).toBeUndefined();
  });

  it('gives up after the retry budget with a named error', async () => {
    const error = await rejection(
      policy({ retry: { ...FAST_RETRY, maxRetries: 2 } }).generate([request('always500:x')]),
    );
    expect(error).toBeInstanceOf(HttpRetriesExhaustedError);
    expect(error.message).toMatch(/failed 3 times; last: server answered 503: warming up/);
    expect(server.hits.get('always500:x')).toBe(3);
  });

  it('names 400, 401 and 404 without retrying, and never shows the API key', async () => {
    const e400 = await rejection(policy().generate([request('e400:x')]));
    expect(e400).toBeInstanceOf(HttpBadRequestError);
    expect(e400.message).toMatch(/max_tokens is too large/);

    const e401 = await rejection(policy().generate([request('e401:x')]));
    expect(e401).toBeInstanceOf(HttpAuthError);
    expect(e401.message).toMatch(/TEST_LLM_KEY/);
    expect(e401.message).not.toContain(KEY);
    expect(JSON.stringify(e401, Object.getOwnPropertyNames(e401))).not.toContain(KEY);

    const unset = await rejection(policy({ env: {} }).generate([request('e401:y')]));
    expect(unset.message).toMatch(/set the environment variable TEST_LLM_KEY/);

    const e404 = await rejection(policy().generate([request('e404:x')]));
    expect(e404).toBeInstanceOf(HttpNotFoundError);
    expect(e404.message).toMatch(/model `nope` does not exist.*Check the model name "tiny"/);
    for (const c of ['e400:x', 'e401:x', 'e401:y', 'e404:x']) expect(server.hits.get(c)).toBe(1);
  });

  it('reports malformed replies as HttpReplyFormatError', async () => {
    const bad = await rejection(policy().generate([request('badjson:x')]));
    expect(bad).toBeInstanceOf(HttpReplyFormatError);
    expect(bad.message).toMatch(/not JSON/);
    const empty = await rejection(policy().generate([request('nochoices:x')]));
    expect(empty).toBeInstanceOf(HttpReplyFormatError);
    expect(empty.message).toMatch(/not a chat completion \(choices/);
  });

  it('fails only the request that failed; the others of the batch are answered', async () => {
    const out = await policy({ concurrency: 1 }).generate([request('e404:batch'), request('ok:still-sent')]);
    expect(out[0]?.finishReason).toBe('error');
    expect(out[0]?.error).toBeInstanceOf(HttpNotFoundError);
    expect(out[1]?.text).toBe('reply to ok:still-sent');
    expect(server.hits.get('ok:still-sent')).toBe(1);
  });

  it('says each retry before its backoff', async () => {
    const notices: RetryNotice[] = [];
    await policy({ onRetry: (n) => notices.push(n) }).generate([request('flaky500:notice')]);
    expect(notices.map((n) => [n.key, n.try, n.tries, n.reason])).toEqual([
      ['k/flaky500:notice', 1, 5, 'server answered 500: engine overloaded'],
      ['k/flaky500:notice', 2, 5, 'server answered 500: engine overloaded'],
    ]);
    expect(notices.every((n) => n.delayMs > 0 && n.delayMs <= FAST_RETRY.maxDelayMs)).toBe(true);
  });

  it('refuses a reply body over the byte bound without reading it all', async () => {
    const [g] = await policy({ maxReplyBytes: 64 }).generate([
      request('ok:a-reply-longer-than-64-bytes-of-json'),
    ]);
    expect(g?.finishReason).toBe('error');
    expect(g?.error).toBeInstanceOf(HttpReplyFormatError);
    expect(String(g?.error)).toMatch(/reply body is over 64 bytes/);
  });

  it('names a base URL that cannot be sent to before any request', () => {
    expect(() => new OpenAiPolicy({ baseURL: 'http://127.0.0.1:99999/v1', model: 'tiny', env: {} })).toThrow(
      /baseURL "http:\/\/127.0.0.1:99999\/v1" is not a valid URL/,
    );
  });

  it('stops promptly when the caller aborts, without retrying', async () => {
    const controller = new AbortController();
    const pending = policy({ timeoutMs: 60_000 }).generate([request('hang:x')], controller.signal);
    // abort once the request is in flight at the server (a fixed delay raced the connection under load)
    await server.arrived('hang:x');
    controller.abort(new Error('episode cancelled'));
    const error = await rejection(pending);
    expect(error.message).toBe('episode cancelled');
    expect(server.hits.get('hang:x')).toBe(1);
  });

  it('checks that the server serves the model before a run', async () => {
    await expect(policy().checkModel()).resolves.toBeUndefined();
    const error = await rejection(policy({ model: 'Qwen/Qwen3-4B' }).checkModel());
    expect(error).toBeInstanceOf(HttpNotFoundError);
    expect(error.message).toMatch(/does not serve "Qwen\/Qwen3-4B"; it serves: tiny/);
  });

  it('retries a refused connection, then names the URL', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const dead = new OpenAiPolicy({
      baseURL: `http://127.0.0.1:${port}/v1`,
      model: 'tiny',
      env: {},
      retry: { ...FAST_RETRY, maxRetries: 1 },
    });
    const error = await rejection(dead.generate([request('ok:dead')]));
    expect(error).toBeInstanceOf(HttpRetriesExhaustedError);
    expect(error.message).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
  });
});
