import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY,
  droppedConnectionCode,
  parseRetryAfter,
  retryDelayMs,
} from '../../../src/policy/http/retry.js';
import { parseOpenAiSpec } from '../../../src/policy/http/spec.js';
import { chatCompletionBody, parseChatCompletion, serverMessage } from '../../../src/policy/http/wire.js';
import { ConfigError } from '../../../src/util/errors.js';
import { Rng } from '../../../src/util/rng.js';

describe('backoff', () => {
  test.prop([fc.nat(10), fc.integer()])(
    'stays within [base·2^n / 2, base·2^n) capped, and is seeded',
    (retry, seed) => {
      const settings = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 5000 };
      const cap = Math.min(5000, 100 * 2 ** retry);
      const delay = retryDelayMs(retry, undefined, settings, Rng.seeded(seed));
      expect(delay).toBeGreaterThanOrEqual(cap / 2);
      expect(delay).toBeLessThan(cap);
      expect(retryDelayMs(retry, undefined, settings, Rng.seeded(seed))).toBe(delay);
    },
  );

  it('waits at least the server Retry-After, capped', () => {
    const settings = { ...DEFAULT_RETRY, baseDelayMs: 100, maxRetryAfterMs: 10_000 };
    expect(retryDelayMs(0, 3000, settings, Rng.seeded(1))).toBe(3000);
    expect(retryDelayMs(0, 120_000, settings, Rng.seeded(1))).toBe(10_000);
    expect(retryDelayMs(0, 0, settings, Rng.seeded(1))).toBeGreaterThanOrEqual(50);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('recognises dropped connections through the error cause chain', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(droppedConnectionCode(new TypeError('fetch failed', { cause: reset }))).toBe('ECONNRESET');
    expect(droppedConnectionCode(new Error('socket hang up'))).toBe('socket hang up');
    expect(
      droppedConnectionCode(new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND') })),
    ).toBe(null);
  });
});

describe('openai:URL#MODEL specs', () => {
  it('parses the base URL and the model', () => {
    expect(parseOpenAiSpec('openai:http://127.0.0.1:8000/v1#Qwen/Qwen3-4B')).toEqual({
      baseURL: 'http://127.0.0.1:8000/v1',
      baseURLs: ['http://127.0.0.1:8000/v1'],
      model: 'Qwen/Qwen3-4B',
    });
    expect(parseOpenAiSpec('https://api.example.com/v1/#gpt-4o-mini')).toEqual({
      baseURL: 'https://api.example.com/v1',
      baseURLs: ['https://api.example.com/v1'],
      model: 'gpt-4o-mini',
    });
    // replicas of one model
    expect(parseOpenAiSpec('openai:http://10.0.0.1:8000/v1, http://10.0.0.2:8000/v1/#m').baseURLs).toEqual([
      'http://10.0.0.1:8000/v1',
      'http://10.0.0.2:8000/v1',
    ]);
    expect(parseOpenAiSpec('openai:http://localhost:11434/v1#qwen3:4b#q4').model).toBe('qwen3:4b#q4');
  });

  it.each([
    ['openai:http://127.0.0.1:8000/v1', /names no model/],
    ['openai:http://127.0.0.1:8000/v1#', /empty model/],
    ['openai:127.0.0.1:8000#m', /not a URL|http:\/\//],
    ['openai:ftp://host/v1#m', /http:\/\/ or https:\/\//],
    ['openai:http://user:pw@host/v1#m', /without query or credentials/],
  ])('rejects %s with an example', (spec, pattern) => {
    expect(() => parseOpenAiSpec(spec)).toThrow(ConfigError);
    expect(() => parseOpenAiSpec(spec)).toThrow(pattern);
  });
});

describe('wire format', () => {
  it('omits unset fields and merges extra body fields last', () => {
    const body = chatCompletionBody(
      { key: 'k', messages: [{ role: 'user', content: 'x' }], sampling: { stop: [] } },
      { model: 'm', logprobs: false, sendTopK: true, extraBody: { repetition_penalty: 1.05 } },
    );
    expect(body).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      n: 1,
      repetition_penalty: 1.05,
    });
  });

  it('parses content, null content, finish reasons and logprobs', () => {
    const reply = (choice: object) => JSON.stringify({ choices: [choice] });
    expect(parseChatCompletion(reply({ message: { content: null }, finish_reason: 'stop' }))).toEqual({
      generation: { text: '', finishReason: 'stop' },
    });
    expect(
      parseChatCompletion(
        reply({
          message: { content: 'hi' },
          finish_reason: 'length',
          logprobs: { content: [{ token: 'h', logprob: -1 }, { logprob: -2 }] },
        }),
      ),
    ).toEqual({ generation: { text: 'hi', finishReason: 'length', logprobs: [-1, -2] } });
    expect(parseChatCompletion('{"choices":[{"message":{"content":3}}]}')).toHaveProperty('error');
  });

  it('finds the message in the usual error body shapes', () => {
    expect(serverMessage('{"error":{"message":"bad"}}')).toBe('bad');
    expect(serverMessage('{"error":"bad"}')).toBe('bad');
    expect(serverMessage('{"detail":"bad"}')).toBe('bad');
    expect(serverMessage('<html>502 Bad Gateway</html>')).toBe('<html>502 Bad Gateway</html>');
    expect(serverMessage('')).toBe('(empty body)');
  });
});
