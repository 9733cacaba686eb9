/**
 * `lamer train --provider` (config `provider`): the onnxruntime execution provider of the rollout
 * policy's and the trainer's sessions. CPU trains as before; a GPU provider that is not installed stops
 * the run before any work with how to install it, and no session falls back to CPU on its own.
 * (This machine, like CI, has no CUDA provider; on one that has it the refusal tests are skipped.)
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { checkProvider } from '../../src/learner/provider-check.js';
import { ProviderUnavailableError, SessionError } from '../../src/learner/session-core.js';
import { Trainer, trainerConfig } from '../../src/learner/trainer/index.js';
import { sessionSettingsOf } from '../../src/train/config.js';
import { setupTrainModel } from '../../src/train/model-setup.js';
import { tinyHfTrainConfig, writeTinyHfBase } from './hf-helpers.js';

const cudaHere = await checkProvider('cuda').then(
  () => true,
  () => false,
);

let root: string;
let base: string;
let configPath: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lamer-provider-'));
  base = await writeTinyHfBase(root);
  // the short hf-lora settings of hf-helpers as a config file for the CLI
  const { hf: _hf, out: _out, ...c } = tinyHfTrainConfig(base, 'unused');
  configPath = join(root, 'config.json');
  writeFileSync(configPath, JSON.stringify({ ...c, steps: 1 }));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

const train = (out: string, ...flags: string[]) =>
  main([
    'node',
    'lamer',
    'train',
    '--env',
    'minesweeper',
    '--model',
    `hf:${base}`,
    '--lora',
    '2',
    '--config',
    configPath,
    '--out',
    out,
    ...flags,
  ]);

describe('lamer train --provider', () => {
  it('cpu: the run trains as without the flag', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const out = join(root, 'cpu');
    expect(await train(out, '--provider', 'cpu')).toBe(0);
    const lines = readFileSync(join(out, 'history.jsonl'), 'utf8').trim().split('\n');
    const trained = lines.map((l) => JSON.parse(l)).filter((h) => h.train);
    expect(trained).toHaveLength(1);
    expect(Number.isFinite(trained[0].train.loss)).toBe(true);
  });

  it('refuses a provider onnxruntime does not have with the same message as lamer serve (exit 2)', async () => {
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((m) => {
      err.push(String(m));
      return true;
    });
    expect(await train(join(root, 'tpu'), '--provider', 'tpu')).toBe(2);
    const refusal =
      /error: option '--provider <p>' argument 'tpu' is invalid\. Allowed choices are cpu, cuda, webgpu\./;
    expect(err.join('')).toMatch(refusal);
    err.length = 0;
    expect(await main(['node', 'lamer', 'serve', '--provider', 'tpu'])).toBe(2);
    expect(err.join('')).toMatch(refusal);
  });

  it.skipIf(cudaHere)(
    'a GPU provider that is not installed stops the run before any work, saying how to install it',
    async () => {
      const errors: string[] = [];
      vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
      vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      const out = join(root, 'cuda');
      expect(await train(out, '--provider', 'cuda')).toBe(2);
      expect(errors.join('\n')).toMatch(
        /execution provider "cuda" is not available .*README, "Install notes".*ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node.*or choose provider "cpu"/,
      );
      expect(existsSync(join(out, 'history.jsonl'))).toBe(false);
    },
  );

  it.skipIf(cudaHere)(
    "the rollout policy's and the trainer's sessions use the config's provider and never fall back to CPU",
    async () => {
      const out = join(root, 'sessions');
      mkdirSync(out);
      const c = tinyHfTrainConfig(base, out, { provider: 'cuda' });
      expect(sessionSettingsOf(c)).toEqual({ provider: 'cuda', fallbackToCpu: false });
      const setup = await setupTrainModel(c, { out: { write: () => true } }, out);
      const trainer = await Trainer.create(
        trainerConfig({ ...setup.trainer, seed: 1, worker: false, session: sessionSettingsOf(c) }),
        { logger: () => {} },
      );
      const turns = [{ promptTokens: [1, 2, 3], responseTokens: [4, 5] }];
      await expect(trainer.responseLogprobs(turns)).rejects.toBeInstanceOf(ProviderUnavailableError);
      const policy = setup.policy(trainer.params, 0, 1);
      await expect(policy).rejects.toBeInstanceOf(SessionError);
      await expect(policy).rejects.toMatchObject({ kind: 'provider' });
      await trainer.dispose();
    },
  );
});
