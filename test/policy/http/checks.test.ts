import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpContext } from '../../../src/policy/http/attempt.js';
import { checkReplica, checkTokens, probeReplica } from '../../../src/policy/http/checks.js';
import {
  HttpNotFoundError,
  HttpPolicyError,
  HttpTokensMissingError,
} from '../../../src/policy/http/errors.js';
import { ReplicaSet } from '../../../src/policy/http/replicas.js';
import { type ScriptedServer, startScriptedServer } from './scripted-server.js';

let server: ScriptedServer;
const dispatcher = new Agent();
beforeAll(async () => {
  server = await startScriptedServer(() => ({ reply: 'OK' }));
});
afterAll(async () => {
  await server.close();
  await dispatcher.close();
});

function context(model = 'tiny', tokens = false): HttpContext {
  return {
    name: `openai:test#${model}`,
    model,
    dispatcher,
    headers: ['content-type', 'application/json'],
    getHeaders: { accept: 'application/json' },
    timeoutMs: 2000,
    maxReplyBytes: 2 ** 20,
    tokens,
    redact: (text) => text,
    statusError: (status, message) => new HttpPolicyError(`status ${status}: ${message}`, status),
  };
}

const replicaOf = (base: string) => new ReplicaSet([base], { probe: async () => true }).replicas[0]!;

/** A base URL nothing listens on. */
async function deadBase(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return `http://127.0.0.1:${port}/v1`;
}

describe('checks before a run', () => {
  it('finds the model in GET /models, with the prompt style the server lists for it', async () => {
    await expect(checkReplica(context(), server.baseURL, undefined, 2000)).resolves.toBeUndefined();
    server.models.splice(0, 1, { id: 'tiny', prompt_style: 'compact' });
    await expect(checkReplica(context(), server.baseURL, undefined, 2000)).resolves.toBe('compact');
    const missing = checkReplica(context('Qwen/Qwen3-4B'), server.baseURL, undefined, 2000);
    await expect(missing).rejects.toThrow(HttpNotFoundError);
    await expect(missing).rejects.toThrow(/does not serve "Qwen\/Qwen3-4B"; it serves: tiny/);
  });

  it('names a server it cannot reach', async () => {
    const base = await deadBase();
    await expect(checkReplica(context(), base, undefined, 2000)).rejects.toThrow(
      new RegExp(`cannot reach ${base.replace(/[./]/g, '\\$&')}/models .*is the server running`),
    );
    await expect(probeReplica(context(), replicaOf(base))).rejects.toThrow();
    await expect(probeReplica(context(), replicaOf(server.baseURL))).resolves.toBe(true);
  });

  it('in token mode refuses a replica whose replies carry no token ids', async () => {
    const body = Buffer.from(
      JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'Say OK.' }] }),
    );
    const check = checkTokens(context('tiny', true), [replicaOf(server.baseURL)], body, 2000);
    await expect(check).rejects.toThrow(HttpTokensMissingError);
    const base = await deadBase();
    await expect(checkTokens(context('tiny', true), [replicaOf(base)], body, 2000)).rejects.toThrow(
      /the token check request to http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions failed: connection .* dropped or refused/,
    );
  });
});
