import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attempt, type HttpContext } from '../../../src/policy/http/attempt.js';
import {
  HttpBadRequestError,
  HttpPolicyError,
  HttpReplyFormatError,
  HttpTokensMissingError,
  RetryableHttpError,
} from '../../../src/policy/http/errors.js';
import { ReplicaSet } from '../../../src/policy/http/replicas.js';
import { type FaultServer, startFaultServer } from './fault-server.js';

let server: FaultServer;
const dispatcher = new Agent();
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(async () => {
  await server.close();
  await dispatcher.close();
});

function context(options: Partial<HttpContext> = {}): HttpContext {
  return {
    name: 'openai:test#tiny',
    model: 'tiny',
    dispatcher,
    headers: ['content-type', 'application/json'],
    getHeaders: {},
    timeoutMs: 2000,
    maxReplyBytes: 2 ** 20,
    tokens: false,
    redact: (text) => text,
    statusError: (status, message) => new HttpBadRequestError(`status ${status}: ${message}`, status),
    ...options,
  };
}

/** One try of a request whose content selects the fault server's behaviour. */
function once(content: string, ctx = context(), logprobs = false): Promise<unknown> {
  const [replica] = new ReplicaSet([server.baseURL], { probe: async () => true }).replicas;
  const body = Buffer.from(
    JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content }], logprobs }),
  );
  return attempt(ctx, replica!, body, undefined);
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the try to fail');
}

describe('one try of a chat completion', () => {
  it('reads the reply into a generation', async () => {
    await expect(once('ok:a', context(), true)).resolves.toEqual({
      text: 'reply to ok:a',
      finishReason: 'stop',
      logprobs: [-0.5],
    });
    await expect(once('long:a')).resolves.toMatchObject({ finishReason: 'length' });
  });

  it('makes 429, 5xx and a dropped connection retryable, with the Retry-After and the status', async () => {
    const limited = await failure(once('r429:a'));
    expect(limited).toBeInstanceOf(RetryableHttpError);
    expect(limited).toMatchObject({ status: 429, retryAfterMs: 0 });
    const down = await failure(once('always500:a'));
    expect(down).toBeInstanceOf(RetryableHttpError);
    expect(down.message).toBe('server answered 503: warming up');
    const dropped = await failure(once('drop:a'));
    expect(dropped).toBeInstanceOf(RetryableHttpError);
    expect(dropped.message).toMatch(/connection to http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions dropped/);
  });

  it('names what no retry fixes: a 4xx (through the policy), a reply that is no chat completion, one too long', async () => {
    const bad = await failure(once('e400:a'));
    expect(bad).toBeInstanceOf(HttpBadRequestError);
    expect(bad.message).toMatch(/^status 400: max_tokens is too large/);
    expect(bad).not.toBeInstanceOf(RetryableHttpError);
    const json = await failure(once('badjson:a'));
    expect(json).toBeInstanceOf(HttpReplyFormatError);
    expect(json.message).toMatch(
      /^openai:test#tiny: reply is not JSON .*is http:.* an OpenAI-compatible chat endpoint\?/,
    );
    const long = await failure(once('ok:b', context({ maxReplyBytes: 32 })));
    expect(long).toBeInstanceOf(HttpReplyFormatError);
    expect(long.message).toMatch(/reply body is over 32 bytes/);
  });

  it('in token mode refuses a reply without token ids, saying how to get them', async () => {
    const error = await failure(once('ok:c', context({ tokens: true }), true));
    expect(error).toBeInstanceOf(HttpTokensMissingError);
    expect(error.message).toMatch(
      /not "token_id:N".*serve with vLLM \(logprobs \+ return_tokens_as_token_ids\)/,
    );
  });

  it('redacts the error text and keeps the cause of a failed exchange', async () => {
    const error = await failure(
      once(
        'e401:a',
        context({
          redact: (t) => t.replace('invalid', '***'),
          statusError: (s, m) => new HttpPolicyError(m, s),
        }),
      ),
    );
    expect(error.message).toMatch(/^\*\*\* key/);
  });
});
