/**
 * The rollout policy of `lamer train --rollout openai:…` (issue 24.2) against a vLLM stand-in: each
 * published version is written as a folder, loaded on every replica under its own name and sampled
 * from by later requests, which record that version; old adapters are unloaded; version 0 of a fresh
 * adapter is the base model.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiPolicy } from '../../src/policy/http/openai.js';
import type { GenerationRequest } from '../../src/policy/types.js';
import { ClusterRollout } from '../../src/train/cluster-rollout.js';
import { startVllmServer, type VllmServer } from '../policy/http/vllm-server.js';

let dir: string;
let servers: VllmServer[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lamer-cluster-'));
  servers = [await startVllmServer(), await startVllmServer()];
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

const ask = (key: string): GenerationRequest => ({
  key,
  messages: [{ role: 'user', content: key }],
  sampling: {},
});

describe('ClusterRollout', () => {
  it('publishes each version as an adapter and every reply records the version that sampled it', async () => {
    const http = new OpenAiPolicy({
      baseURL: servers.map((s) => s.baseURL),
      model: 'base',
      env: {},
      tokens: true,
    });
    const published: number[] = [];
    const rollout = new ClusterRollout({
      http,
      dir: join(dir, 'adapters'),
      prefix: 'run',
      writeAdapter: async (folder, adapters) => {
        await import('node:fs/promises').then((fs) => fs.mkdir(folder, { recursive: true }));
        await writeFile(join(folder, 'w.json'), JSON.stringify(Object.keys(adapters)));
      },
      onPublish: (n) => published.push(n.version),
    });
    await rollout.preflight();
    await rollout.setWeights({ a: new Float32Array(1) }, 0, true);
    const v0 = await rollout.generate([ask('x')]);
    expect(v0[0]!.text).toBe('<action>base</action>');
    expect(v0[0]!.policyVersion).toBe(0);
    expect(v0[0]!.responseTokens?.length).toBeGreaterThan(0);
    for (const version of [1, 2, 3]) {
      await rollout.setWeights({ [`w${version}`]: new Float32Array(1) }, version);
      const out = await rollout.generate([ask('p'), ask('q'), ask('r'), ask('s')]);
      for (const g of out) {
        expect(g.text).toBe(`<action>run-v${version}</action>`);
        expect(g.policyVersion).toBe(version);
      }
    }
    expect(published).toEqual([1, 2, 3]);
    // the folder the servers were told to read holds what was published
    const path = servers[0]!.adapters.get('run-v3')!;
    expect(path).toBe(join(dir, 'adapters', 'v3'));
    expect(JSON.parse(await readFile(join(path, 'w.json'), 'utf8'))).toEqual(['w3']);
    // the last two stay loaded on every replica, older ones are gone
    for (const s of servers) expect([...s.adapters.keys()]).toEqual(['run-v2', 'run-v3']);
    await rollout.dispose();
    for (const s of servers) expect(s.adapters.size).toBe(0);
  });

  it('a call made before a publish keeps the adapter it was made with', async () => {
    const http = new OpenAiPolicy({
      baseURL: servers[0]!.baseURL,
      model: 'base',
      env: {},
      tokens: true,
      maxInFlight: 1,
    });
    const rollout = new ClusterRollout({
      http,
      dir: join(dir, 'b'),
      prefix: 'late',
      writeAdapter: async (folder) => {
        await import('node:fs/promises').then((fs) => fs.mkdir(folder, { recursive: true }));
      },
    });
    await rollout.setWeights({}, 1);
    const early = rollout.generate([ask('1'), ask('2'), ask('3')]); // one in flight, two queued
    await rollout.setWeights({}, 2);
    const late = await rollout.generate([ask('4')]);
    expect((await early).map((g) => g.policyVersion)).toEqual([1, 1, 1]);
    expect(late[0]!.policyVersion).toBe(2);
    await rollout.dispose();
  });
});
