import { describe, expect, it } from 'vitest';
import { createPolicy, parsePolicySpec, policyKinds, registerPolicyKind } from '../../src/cli/policy-spec.js';
import { scriptedTextPolicy } from '../../src/policy/scripted.js';
import { ConfigError, UnknownIdError } from '../../src/util/errors.js';

const ctx = { envId: 'Corridor-v0', seed: 1 };

describe('policy specs', () => {
  it('splits kind and argument at the first colon', () => {
    expect(parsePolicySpec('random')).toEqual({ kind: 'random', argument: undefined });
    expect(parsePolicySpec('openai:http://host:8000/v1#qwen')).toEqual({
      kind: 'openai',
      argument: 'http://host:8000/v1#qwen',
    });
  });

  it('builds the scripted policies', async () => {
    expect((await createPolicy('random', ctx)).name).toBe('random');
    expect((await createPolicy('expert', ctx)).name).toBe('expert');
    expect((await createPolicy('expert:0.25', ctx)).name).toBe('expert(eps=0.25)');
  });

  it('builds an OpenAI-compatible policy from openai:URL#MODEL (no request is sent)', async () => {
    const p = await createPolicy('openai:http://127.0.0.1:9/v1/#Qwen/Qwen3-4B', ctx);
    expect(p.name).toBe('openai:http://127.0.0.1:9/v1#Qwen/Qwen3-4B');
    await expect(createPolicy('openai:http://127.0.0.1:9/v1', ctx)).rejects.toThrow(/names no model/);
    await expect(createPolicy('openai', ctx)).rejects.toThrow(/needs an argument/);
  });

  it('rejects unknown kinds (listing the accepted ones) and bad arguments', async () => {
    await expect(createPolicy('gpt', ctx)).rejects.toThrow(UnknownIdError);
    await expect(createPolicy('gpt', ctx)).rejects.toThrow(/Accepted: random .*; expert/);
    await expect(createPolicy('random:3', ctx)).rejects.toThrow(ConfigError);
    await expect(createPolicy('expert:x', ctx)).rejects.toThrow(/EPS in \[0, 1\]/);
  });

  it('lets new kinds slot in by prefix', async () => {
    registerPolicyKind('echo-test', {
      usage: 'echo-test:TEXT (test kind)',
      argument: 'required',
      create: (text) => scriptedTextPolicy([text!], { name: `echo:${text}` }),
    });
    expect(policyKinds()).toContain('echo-test:TEXT (test kind)');
    expect((await createPolicy('echo-test:hi', ctx)).name).toBe('echo:hi');
    await expect(createPolicy('echo-test', ctx)).rejects.toThrow(/needs an argument/);
    expect(() =>
      registerPolicyKind('echo-test', { usage: '', argument: 'none', create: () => scriptedTextPolicy([]) }),
    ).toThrow(ConfigError);
  });
});
