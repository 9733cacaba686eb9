/**
 * vLLM's dynamic LoRA API from the HTTP policy (issue 24.2): adapters loaded and unloaded on every
 * replica, requests naming the adapter in use, each reply recording the version that sampled it,
 * and token mode refusing a server that does not return token ids.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { HttpAdapterError, HttpTokensMissingError } from '../../../src/policy/http/errors.js';
import { OpenAiPolicy } from '../../../src/policy/http/openai.js';
import type { GenerationRequest } from '../../../src/policy/types.js';
import { replyIds, startVllmServer, type VllmServer } from './vllm-server.js';

const servers: VllmServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});
async function vllm(options?: Parameters<typeof startVllmServer>[0]): Promise<VllmServer> {
  const s = await startVllmServer(options);
  servers.push(s);
  return s;
}

const FAST = { maxRetries: 1, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 10 };
const ask = (key: string): GenerationRequest => ({
  key,
  messages: [{ role: 'user', content: key }],
  sampling: {},
});

describe('dynamic LoRA adapters through the HTTP policy', () => {
  it('loads an adapter on every replica, samples from it with its version, and unloads it', async () => {
    const [a, b] = [await vllm(), await vllm()];
    const policy = new OpenAiPolicy({
      baseURL: [a.baseURL, b.baseURL],
      model: 'base',
      env: {},
      tokens: true,
    });
    await policy.preflight();
    await policy.loadAdapter('run-v1', '/shared/run/adapters/v1');
    expect([...a.adapters]).toEqual([['run-v1', '/shared/run/adapters/v1']]);
    expect([...b.adapters]).toEqual([['run-v1', '/shared/run/adapters/v1']]);
    const before = await policy.generate([ask('x')]);
    expect(before[0]?.policyVersion).toBeUndefined(); // the base model: no adapter version
    policy.useAdapter('run-v1', 1);
    const out = await policy.generate([ask('p'), ask('q'), ask('r')]);
    for (const g of out) {
      expect(g.text).toBe('<action>run-v1</action>');
      expect(g.policyVersion).toBe(1);
      expect(g.responseTokens).toEqual(replyIds(g.text));
      expect(g.logprobs).toHaveLength(g.responseTokens!.length);
      expect(g.promptTokens).toEqual([1, 2, 3]);
    }
    await policy.unloadAdapter('run-v1');
    expect(a.adapters.size + b.adapters.size).toBe(0);
  });

  it('a request keeps the adapter it was sent with when the policy moves on', async () => {
    const s = await vllm();
    const policy = new OpenAiPolicy({ baseURL: s.baseURL, model: 'base', env: {}, tokens: true });
    await policy.loadAdapter('v1', '/a/1');
    await policy.loadAdapter('v2', '/a/2');
    policy.useAdapter('v1', 1);
    const first = policy.generate([ask('early')]);
    policy.useAdapter('v2', 2); // the early request is already on its way
    const [early] = await first;
    const [late] = await policy.generate([ask('late')]);
    expect([early?.text, early?.policyVersion]).toEqual(['<action>v1</action>', 1]);
    expect([late?.text, late?.policyVersion]).toEqual(['<action>v2</action>', 2]);
  });

  it('says how to enable the API when the server has no LoRA routes, and names a refused load', async () => {
    const off = await vllm({ lora: false });
    const policy = new OpenAiPolicy({ baseURL: off.baseURL, model: 'base', env: {}, retry: FAST });
    const error = await policy.loadAdapter('v1', '/a/1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpAdapterError);
    expect((error as Error).message).toMatch(/VLLM_ALLOW_RUNTIME_LORA_UPDATING=True/);
    const on = await vllm();
    const p2 = new OpenAiPolicy({ baseURL: on.baseURL, model: 'base', env: {}, retry: FAST });
    await p2.loadAdapter('v1', '/a/1');
    await expect(p2.loadAdapter('v1', '/a/1')).rejects.toThrow(/already been loaded/);
    await expect(p2.unloadAdapter('nope')).rejects.toThrow(/unloading LoRA adapter "nope".*cannot be found/);
  });

  it('token mode refuses a server that returns text tokens or no log-probs, before the run and per request', async () => {
    for (const tokens of ['text', 'none'] as const) {
      const s = await vllm({ tokens });
      const policy = new OpenAiPolicy({ baseURL: s.baseURL, model: 'base', env: {}, tokens: true });
      await expect(policy.preflight()).rejects.toBeInstanceOf(HttpTokensMissingError);
      const [g] = await policy.generate([ask('t')]);
      expect(g?.finishReason).toBe('error');
      expect(g?.error).toBeInstanceOf(HttpTokensMissingError);
      expect((g!.error as Error).message).toMatch(/Training needs the sampled token ids/);
      // the same server is fine for evaluation (no token mode)
      const [e] = await new OpenAiPolicy({ baseURL: s.baseURL, model: 'base', env: {} }).generate([ask('e')]);
      expect(e?.text).toBe('<action>base</action>');
    }
  });
});
