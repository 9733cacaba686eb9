/**
 * Training against a server end to end (issue 24.2/24.3): `lamer train --model hf:DIR --rollout
 * openai:URL#MODEL` against a `lamer serve --model hf:DIR --enable-lora` started here. Every batch the
 * server runs uses the adapter of the version the trainer had published when the trial asked (base
 * model first, then v1, v2, in order, each loaded once), the trainer trains on the server's token
 * ids without stale samples, and the run equals an in-process run with the same seed.
 */
import { mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPeftAdapter } from '../../src/learner/hf/peft.js';
import type { Policy } from '../../src/policy/types.js';
import type { AdapterHost } from '../../src/serve/adapters.js';
import { loadServeModel } from '../../src/serve/model.js';
import { type RunningServer, startServer } from '../../src/serve/server.js';
import { loadTrainConfig, type TrainConfigInput } from '../../src/train/config.js';
import { runTraining } from '../../src/train/loop.js';
import { ConfigError } from '../../src/util/errors.js';
import { TINY_HF_MODEL as MODEL, tinyHfTrainConfig, writeTinyHfBase } from './hf-helpers.js';

let root: string;
let base: string;
let server: RunningServer;
let served: { dispose(): Promise<void> };
/** The adapter each batch of the server ran with (null: the base model), and every load. */
const batches: (string | null)[] = [];
const loads: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lamer-cluster-train-'));
  base = await writeTinyHfBase(root);
  const sm = await loadServeModel({ model: `hf:${base}`, enableLora: 2, intraOpNumThreads: 1 });
  served = sm.policy;
  const host = sm.adapters!;
  let active: string | null = null;
  const adapters: AdapterHost = {
    load: (name, path) => {
      loads.push(name);
      return host.load(name, path);
    },
    unload: (name) => host.unload(name),
    activate: async (name) => {
      await host.activate(name);
      active = name;
    },
  };
  const policy: Policy = {
    name: sm.policy.name,
    promptStyle: sm.policy.promptStyle,
    generate: (requests, signal) => {
      batches.push(active);
      return sm.policy.generate(requests, signal);
    },
  };
  server = await startServer({ policy, model: 'tiny', port: 0, prompt: sm.prompt, adapters, maxBatch: 64 });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await served?.dispose();
  await rm(root, { recursive: true, force: true });
});

const config = (out: string, over: TrainConfigInput = {}) => tinyHfTrainConfig(base, out, over);

const quiet = { out: { write: () => true }, bars: false };

describe('lamer train --rollout against lamer serve --enable-lora', () => {
  it('refuses a rollout server for a model whose adapters it cannot push', () => {
    const spec = { policy: 'openai:http://127.0.0.1:1/v1#m' };
    expect(() => loadTrainConfig({ overrides: { env: 'minesweeper', rollout: spec } })).toThrow(
      /rollout: .*give --model hf:DIR \(LoRA/,
    );
    expect(() =>
      config(join(root, 'x'), {
        rollout: spec,
        hf: { dir: base, finetune: 'full' } as TrainConfigInput['hf'],
      }),
    ).toThrow(ConfigError);
  });

  it('samples each step from that step adapter and trains as an in-process run does', async () => {
    const remoteOut = join(root, 'remote');
    const remote = await runTraining(
      config(remoteOut, { rollout: { policy: `openai:${server.baseURL}#tiny` } }),
      {
        io: quiet,
      },
    );
    const prefix = 'lamer-remote';
    // published versions 1 and 2 were loaded once each; batches ran base, then v1, then v2, in order
    expect(loads).toEqual([`${prefix}-v1`, `${prefix}-v2`]);
    const order = batches.map((b) => (b === null ? 0 : Number(b.slice(`${prefix}-v`.length))));
    expect(order.length).toBeGreaterThan(3);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(order)).toEqual(new Set([0, 1, 2]));
    // the folder the server read is the adapter the trainer published
    const v2 = await readPeftAdapter(join(remoteOut, 'adapters', 'v2'), MODEL);
    const final = await readPeftAdapter(join(remoteOut, 'adapter'), MODEL);
    for (const [name, t] of Object.entries(final.adapters)) expect(v2.adapters[name]).toEqual(t);

    const local = await runTraining(config(join(root, 'local')), { io: quiet });
    const rows = (r: typeof remote) =>
      r.report.history.map((h) => ({ step: h.step, rollout: h.rollout, validation: h.validation }));
    expect(JSON.stringify(rows(remote))).toBe(JSON.stringify(rows(local)));
    const localFinal = await readPeftAdapter(join(root, 'local', 'adapter'), MODEL);
    for (const [name, t] of Object.entries(localFinal.adapters)) {
      const r = final.adapters[name]!;
      for (let i = 0; i < t.length; i++) expect(r[i]).toBeCloseTo(t[i]!, 5);
    }
    const history = (await readFile(join(remoteOut, 'history.jsonl'), 'utf8')).trim().split('\n');
    expect(history.map((h) => JSON.parse(h).step)).toEqual([0, 1, 2]);
  }, 600_000);
});
