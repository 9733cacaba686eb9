import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OnnxPolicy } from '../../src/policy/onnx/policy.js';
import { type RunningServer, startServer } from '../../src/serve/server.js';
import { exportTiny } from '../policy/onnx/tiny-model.js';
import { chat, gated } from './http.js';

let dir: string;
let policy: OnnxPolicy;
let server: RunningServer;

// biome-ignore lint/suspicious/noExplicitAny: reply bodies are checked field by field in the tests
async function post(base: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  ({ dir } = await exportTiny(2));
  policy = await OnnxPolicy.load(dir);
  server = await startServer({
    policy,
    model: 'tiny',
    port: 0,
    // As lamer serve: requests are tokenized in the prepare worker with the model's own tokenizer files.
    prompt: { tokenizer: { dir }, maxPositions: policy.maxPositions },
    decodeToken: (id) => policy.promptCodec.tokenizer.decode([id]),
  });
});
afterAll(async () => {
  await server.close();
  await policy.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('lamer serve (OpenAI-compatible)', () => {
  it('binds 127.0.0.1 by default and lists its model', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.baseURL}/models`);
    expect(await res.json()).toMatchObject({ object: 'list', data: [{ id: 'tiny', object: 'model' }] });
  });

  it('answers chat completions with text, usage and per-token log-probs; a seed reproduces the reply', async () => {
    const body = chat('hello', { seed: 11, temperature: 0.8, top_p: 0.9, top_k: 30, logprobs: true });
    const a = await post(server.baseURL, body);
    expect(a.status).toBe(200);
    const choice = a.json.choices[0];
    expect(choice.message.role).toBe('assistant');
    expect(choice.finish_reason).toBe('length');
    expect(choice.logprobs.content).toHaveLength(8);
    expect(a.json.usage.completion_tokens).toBe(8);
    expect(choice.logprobs.content.map((t: { token: string }) => t.token).join('')).toContain(
      choice.message.content,
    );
    const b = await post(server.baseURL, body);
    expect(b.json.choices[0].message.content).toBe(choice.message.content);
    // The same request straight to the policy gives the same tokens (the server adds nothing).
    const [direct] = await policy.generate([
      {
        key: 'direct',
        messages: [{ role: 'user', content: 'hello' }],
        sampling: { seed: 11, temperature: 0.8, topP: 0.9, topK: 30, maxTokens: 8 },
      },
    ]);
    expect(direct!.text).toBe(choice.message.content);
  });

  it('supports n choices (each with its own seed) and stop strings', async () => {
    const r = await post(server.baseURL, chat('n test', { n: 3, seed: 1, temperature: 1 }));
    expect(r.json.choices.map((c: { index: number }) => c.index)).toEqual([0, 1, 2]);
    const texts = new Set(r.json.choices.map((c: { message: { content: string } }) => c.message.content));
    expect(texts.size).toBeGreaterThan(1);
    const greedy = await post(server.baseURL, chat('stop test', { temperature: 0, max_tokens: 20 }));
    const text: string = greedy.json.choices[0].message.content;
    const stop = text.slice(4, 6);
    const cut = await post(server.baseURL, chat('stop test', { temperature: 0, max_tokens: 20, stop }));
    expect(cut.json.choices[0]).toMatchObject({
      finish_reason: 'stop',
      message: { content: text.slice(0, text.indexOf(stop)) },
    });
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['no messages', { model: 'tiny' }, /messages/],
    ['bad temperature', chat('x', { temperature: -1 }), /temperature/],
    ['bad top_p', chat('x', { top_p: 0 }), /top_p/],
    ['streaming', chat('x', { stream: true }), /stream/],
    ['unknown field', chat('x', { tools: [] }), /unsupported field.*"tools"/],
    ['bad role', { model: 'tiny', messages: [{ role: 'tool', content: 'x' }] }, /messages\.0\.role/],
  ])('rejects a malformed request (%s) with 400 and a message', async (_name, body, message) => {
    const r = await post(server.baseURL, body);
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(message);
  });

  it('answers 404 for an unknown model or route and 405 for a wrong method', async () => {
    const r = await post(server.baseURL, { ...chat('x'), model: 'gpt-9' });
    expect(r.status).toBe(404);
    expect(r.json.error.message).toMatch(/gpt-9/);
    expect((await fetch(`${server.url}/v2/nothing`)).status).toBe(404);
    expect((await fetch(`${server.baseURL}/chat/completions`)).status).toBe(405);
  });

  it('micro-batches concurrent requests into one batched generation', async () => {
    const gate = gated(policy);
    const s = await startServer({ policy: gate, model: 'tiny', port: 0 });
    const first = post(s.baseURL, chat('first'));
    await vi.waitFor(() => expect(gate.calls).toBe(1)); // the first batch is running (held at the gate)
    const rest = ['a', 'b', 'c', 'd'].map((c) => post(s.baseURL, chat(c, { seed: 3 })));
    await vi.waitFor(() => expect(s.batcher.pendingCount).toBe(4));
    gate.release();
    const replies = await Promise.all([first, ...rest]);
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(s.batcher.batchSizes).toEqual([1, 4]);
    await s.close();
  });
});
