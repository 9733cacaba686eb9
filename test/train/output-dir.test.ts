import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputDirError } from '../../src/learner/trainer/index.js';
import { loadTrainConfig } from '../../src/train/config.js';
import { runTraining } from '../../src/train/loop.js';

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
});
