/**
 * `lamer pretrain --provider` (config `provider`), as `lamer train --provider`: the onnxruntime execution
 * provider of the warm start's trainer and validation policy. CPU makes the warm start as without the
 * flag; a GPU provider that is not installed stops the command before the demonstrations are gathered,
 * saying how to install it. (This machine, like CI, has no CUDA provider; where it has one the refusal
 * test is skipped.)
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { checkProvider } from '../../../src/learner/provider-check.js';
import { tinyTrainInput } from '../../fixtures/tiny-train.js';

const cudaHere = await checkProvider('cuda').then(
  () => true,
  () => false,
);

let root: string;
let configPath: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'lamer-pretrain-provider-'));
  const { warmStart, model, style } = tinyTrainInput('unused');
  const { dir: _dir, ...warm } = warmStart!;
  configPath = join(root, 'config.json');
  writeFileSync(configPath, JSON.stringify({ warmStart: warm, model, style }));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

const pretrain = (out: string, ...flags: string[]) =>
  main(['node', 'lamer', 'pretrain', '--env', 'minesweeper', '--config', configPath, '--out', out, ...flags]);

describe('lamer pretrain --provider', () => {
  it('cpu: the warm start is made as without the flag', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((m) => {
      lines.push(String(m));
      return true;
    });
    const out = join(root, 'cpu');
    expect(await pretrain(out, '--provider', 'cpu')).toBe(0);
    expect(existsSync(join(out, 'warmstart.json'))).toBe(true);
    expect(lines.join('')).toMatch(/warm start: .*noisy expert/);
  });

  it('refuses a provider onnxruntime does not have (exit 2), as lamer train does', async () => {
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((m) => {
      err.push(String(m));
      return true;
    });
    expect(await pretrain(join(root, 'tpu'), '--provider', 'tpu')).toBe(2);
    expect(err.join('')).toMatch(
      /error: option '--provider <p>' argument 'tpu' is invalid\. Allowed choices are cpu, cuda, webgpu\./,
    );
  });

  it.skipIf(cudaHere)(
    'a GPU provider that is not installed stops the command before any work, saying how to install it',
    async () => {
      const errors: string[] = [];
      const lines: string[] = [];
      vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
      vi.spyOn(process.stdout, 'write').mockImplementation((m) => {
        lines.push(String(m));
        return true;
      });
      const out = join(root, 'cuda');
      expect(await pretrain(out, '--provider', 'cuda')).toBe(2);
      expect(errors.join('\n')).toMatch(
        /execution provider "cuda" is not available .*README, "Install notes".*ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node.*or choose provider "cpu"/,
      );
      // stopped before the demonstrations were gathered: nothing printed, nothing written
      expect(lines.join('')).not.toMatch(/warm start:/);
      expect(existsSync(join(out, 'warmstart.json'))).toBe(false);
    },
  );
});
