/**
 * `lamer serve --enable-lora` speaks vLLM's dynamic LoRA protocol (issue 24.3): adapters loaded and
 * unloaded while serving, named in `model`, one adapter per batch, token ids in log-probs; driven
 * by our own HTTP policy, the client `lamer train --rollout` uses against vLLM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpNotFoundError } from '../../src/policy/http/errors.js';
import { OpenAiPolicy } from '../../src/policy/http/openai.js';
import type { Generation, GenerationRequest, Policy } from '../../src/policy/types.js';
import type { AdapterHost } from '../../src/serve/adapters.js';
import { type RunningServer, startServer } from '../../src/serve/server.js';
import { ConfigError } from '../../src/util/errors.js';
import { send } from './http.js';

/** A model whose reply names the adapter it ran with, and a host that keeps adapters by name. */
function adapterModel() {
  const loaded = new Map<string, string>();
  let active: string | null = null;
  const batches: { adapter: string | null; size: number }[] = [];
  const host: AdapterHost = {
    async load(name, path) {
      if (!path.startsWith('/adapters/')) throw new ConfigError(`${path} holds no adapter_config.json`);
      loaded.set(name, path);
    },
    async unload(name) {
      loaded.delete(name);
    },
    async activate(name) {
      if (name !== null && !loaded.has(name)) throw new ConfigError(`adapter ${name} is not loaded`);
      active = name;
    },
  };
  const policy: Policy = {
    name: 'adapter-echo',
    async generate(requests: GenerationRequest[]): Promise<Generation[]> {
      batches.push({ adapter: active, size: requests.length });
      await new Promise((r) => setTimeout(r, 5)); // a batch takes a while: others queue behind it
      const text = `<action>${active ?? 'base'}</action>`;
      return requests.map(() => ({
        text,
        finishReason: 'stop',
        promptTokens: [7, 8],
        responseTokens: [...text].map((c) => c.charCodeAt(0)),
        logprobs: [...text].map(() => -0.25),
      }));
    },
  };
  return { host, policy, loaded, batches };
}

let server: RunningServer;
let model: ReturnType<typeof adapterModel>;
beforeAll(async () => {
  model = adapterModel();
  server = await startServer({ policy: model.policy, model: 'base', port: 0, adapters: model.host });
});
afterAll(async () => {
  await server.close();
});

const ask = (key: string): GenerationRequest => ({
  key,
  messages: [{ role: 'user', content: key }],
  sampling: {},
});

describe('lamer serve --enable-lora', () => {
  it('loads adapters, serves each request with the adapter it names, token ids exact, one adapter per batch', async () => {
    const client = new OpenAiPolicy({ baseURL: server.baseURL, model: 'base', env: {}, tokens: true });
    await client.preflight();
    await client.loadAdapter('step-1', '/adapters/1');
    await client.loadAdapter('step-2', '/adapters/2');
    const models = await send(server.url, { path: '/v1/models' });
    expect(models.json.data.map((m: { id: string }) => m.id)).toEqual(['base', 'step-1', 'step-2']);
    expect(models.json.data[1]).toMatchObject({ root: '/adapters/1', parent: 'base' });

    model.batches.length = 0;
    const calls: Promise<Generation[]>[] = [];
    for (const [adapter, version] of [
      ['step-1', 1],
      ['step-2', 2],
      ['base', 0],
      ['step-1', 1],
    ] as const) {
      client.useAdapter(adapter, version);
      calls.push(client.generate([ask(`${adapter}/a`), ask(`${adapter}/b`)]));
    }
    const out = (await Promise.all(calls)).flat();
    expect(out.map((g) => [g.text, g.policyVersion])).toEqual([
      ['<action>step-1</action>', 1],
      ['<action>step-1</action>', 1],
      ['<action>step-2</action>', 2],
      ['<action>step-2</action>', 2],
      ['<action>base</action>', 0],
      ['<action>base</action>', 0],
      ['<action>step-1</action>', 1],
      ['<action>step-1</action>', 1],
    ]);
    for (const g of out) {
      expect(g.responseTokens).toEqual([...g.text].map((c) => c.charCodeAt(0)));
      expect(g.logprobs).toEqual(g.responseTokens!.map(() => -0.25));
      expect(g.promptTokens).toEqual([7, 8]);
    }
    // every batch held one adapter's requests
    const sizes = new Map<string | null, number>();
    for (const b of model.batches) sizes.set(b.adapter, (sizes.get(b.adapter) ?? 0) + b.size);
    expect(Object.fromEntries(sizes)).toEqual({ 'step-1': 4, 'step-2': 2, null: 2 });
  });

  it('answers like vLLM: a loaded name refused unless load_inplace, unknown names 404, bad folders 400', async () => {
    const post = (path: string, body: unknown) => send(server.url, { path, body });
    const ok = await post('/v1/load_lora_adapter', { lora_name: 'x', lora_path: '/adapters/x' });
    expect([ok.status, ok.text]).toEqual([200, "Success: LoRA adapter 'x' added successfully."]);
    const again = await post('/v1/load_lora_adapter', { lora_name: 'x', lora_path: '/adapters/x2' });
    expect(again.status).toBe(400);
    expect(again.json.error.message).toMatch(/already been loaded.*load_inplace/);
    const inplace = { lora_name: 'x', lora_path: '/adapters/x2', load_inplace: true };
    expect((await post('/v1/load_lora_adapter', inplace)).status).toBe(200);
    expect(model.loaded.get('x')).toBe('/adapters/x2');
    const bad = await post('/v1/load_lora_adapter', { lora_name: 'y', lora_path: '/tmp/nothing' });
    expect([bad.status, bad.json.error.message]).toEqual([400, '/tmp/nothing holds no adapter_config.json']);
    expect(
      (await post('/v1/load_lora_adapter', { lora_name: 'base', lora_path: '/adapters/b' })).status,
    ).toBe(400);
    expect((await post('/v1/load_lora_adapter', { lora_name: 'z' })).json.error.message).toMatch(/lora_path/);
    expect((await post('/v1/unload_lora_adapter', { lora_name: 'x' })).status).toBe(200);
    expect((await post('/v1/unload_lora_adapter', { lora_name: 'x' })).status).toBe(404);
    // a request for an adapter that is gone is refused by name
    const client = new OpenAiPolicy({ baseURL: server.baseURL, model: 'base', env: {} });
    client.useAdapter('x', 3);
    const [g] = await client.generate([ask('gone')]);
    expect(g?.error).toBeInstanceOf(HttpNotFoundError);
    expect((g!.error as Error).message).toMatch(/"x" does not exist; this server serves "base"/);
  });

  it('has no LoRA routes without --enable-lora, and token ids only when asked', async () => {
    const plain = await startServer({ policy: adapterModel().policy, model: 'base', port: 0 });
    try {
      const r = await send(plain.url, {
        path: '/v1/load_lora_adapter',
        body: { lora_name: 'a', lora_path: '/adapters/a' },
      });
      expect(r.status).toBe(404);
      const body = { model: 'base', messages: [{ role: 'user', content: 'hi' }], logprobs: true };
      const text = await send(plain.url, { body });
      expect(text.json.choices[0].logprobs.content[0].token).toBe('token_id:60'); // the default decodeToken
      expect(text.json.prompt_token_ids).toBeUndefined();
      const ids = await send(plain.url, {
        body: { ...body, return_token_ids: true, return_tokens_as_token_ids: true },
      });
      expect(ids.json.prompt_token_ids).toEqual([7, 8]);
      expect(ids.json.choices[0].token_ids[0]).toBe(60);
    } finally {
      await plain.close();
    }
  });
});
