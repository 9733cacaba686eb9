/**
 * `lamer eval --provider`: the onnxruntime execution provider of an `hf:` or `onnx:` policy. CPU
 * evaluates as without the flag; a GPU provider that is not installed stops the eval before the model
 * is read, with how to install it; a policy that does not run on onnxruntime refuses the flag.
 * (This machine, like CI, has no CUDA provider; on one that has it the refusal tests are skipped.)
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { createPolicy } from '../../src/cli/policy-spec.js';
import { checkProvider } from '../../src/learner/provider-check.js';
import { SessionError } from '../../src/learner/session-core.js';
import { writeTinyHfBase } from '../train/hf-helpers.js';

const cudaHere = await checkProvider('cuda').then(
  () => true,
  () => false,
);

let root: string;
let base: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lamer-eval-provider-'));
  base = await writeTinyHfBase(root);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

const evaluate = (policy: string, out: string, ...flags: string[]) =>
  main([
    'node',
    'lamer',
    'eval',
    '--env',
    'minesweeper',
    '--policy',
    policy,
    '--tasks',
    '2',
    '--attempts',
    '1',
    '--max-tokens',
    '8',
    '--no-live',
    '--out',
    out,
    ...flags,
  ]);

function captureErrors(): string[] {
  const errors: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
  vi.spyOn(process.stderr, 'write').mockImplementation((m) => {
    errors.push(String(m));
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  return errors;
}

describe('lamer eval --provider', () => {
  it('cpu: an hf: policy evaluates as without the flag', async () => {
    captureErrors();
    const out = join(root, 'cpu.jsonl');
    expect(await evaluate(`hf:${base}`, out, '--provider', 'cpu')).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it.skipIf(cudaHere)(
    'a GPU provider that is not installed stops the eval before any trial, saying how to install it',
    async () => {
      const errors = captureErrors();
      const out = join(root, 'cuda.jsonl');
      expect(await evaluate(`hf:${base}`, out, '--provider', 'cuda')).toBe(2);
      expect(errors.join('\n')).toMatch(
        /execution provider "cuda" is not available .*README, "Install notes".*or choose provider "cpu"/,
      );
      expect(existsSync(out)).toBe(false);
    },
  );

  it('a policy that does not run on onnxruntime refuses a GPU provider (exit 2)', async () => {
    const errors = captureErrors();
    const out = join(root, 'random.jsonl');
    expect(await evaluate('random', out, '--provider', 'cuda')).toBe(2);
    expect(errors.join('\n')).toMatch(
      /--provider cuda: only hf:DIR and onnx:DIR policies run on onnxruntime/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it.skipIf(cudaHere)(
    'the hf: policy kind opens its sessions on the provider, never falling back to CPU',
    async () => {
      const policy = createPolicy(`hf:${base}`, { envId: 'MineSweeper-v0', seed: 0, provider: 'cuda' });
      await expect(policy).rejects.toBeInstanceOf(SessionError);
      await expect(policy).rejects.toMatchObject({ kind: 'provider' });
    },
  );
});
