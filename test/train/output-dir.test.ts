import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputDirError } from '../../src/learner/trainer/index.js';
import { loadTrainConfig } from '../../src/train/config.js';
import { runTraining } from '../../src/train/loop.js';
import { loadWarmStart, WARMSTART_REPORT } from '../../src/train/warmstart.js';

describe('lamer train output folder', () => {
  it('an unusable output folder is a clear error before the warm start or any step', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lamer-out-'));
    const file = join(root, 'not-a-folder');
    writeFileSync(file, 'x');
    const config = loadTrainConfig({
      overrides: { env: 'minesweeper', out: join(file, 'run'), warmStart: { dir: join(root, 'warm') } },
    });
    const lines: string[] = [];
    const run = runTraining(config, { io: { out: { write: (t: string) => lines.push(t) }, bars: false } });
    await expect(run).rejects.toThrow(OutputDirError);
    await expect(run).rejects.toThrow(/not-a-folder/);
    expect(existsSync(join(root, 'warm'))).toBe(false);
    expect(lines).toEqual([]);
  });

  it('a warm start made with another build of the tokenizer is refused, not silently used', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lamer-ws-')), 'warm');
    mkdirSync(dir);
    writeFileSync(join(dir, WARMSTART_REPORT), JSON.stringify({ tokenizer: '00000000' }));
    const config = loadTrainConfig({ overrides: { env: 'minesweeper', warmStart: { dir } } });
    await expect(loadWarmStart(config)).rejects.toThrow(/another build of the built-in tokenizer/);
  });
});
