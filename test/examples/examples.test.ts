/**
 * Every example in examples/*.ts runs to the end, as a user runs it: a separate process
 * (`tsx --conditions=lamer-source`, what `npm run example` does), importing `lamer-ts` through the
 * package's own `exports` (the `lamer-source` condition maps them to the sources, so no build is
 * needed), in an empty working folder. Examples added later run here without editing this file;
 * the ones listed below also have their output checked.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const examples = readdirSync(join(repo, 'examples'))
  .filter((f) => f.endsWith('.ts'))
  .sort();
const cwd = mkdtempSync(join(tmpdir(), 'lamer-examples-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** What each example must print (a regression shows here, not only as a crash). */
const expected: Record<string, RegExp[]> = {
  'custom-trial.ts': [/^Part 1: 16 trials, pass@1 [\d.]+, pass@2/m, /^Part 2: \d\/6 tasks solved/m],
  'live-metrics.ts': [
    /^after 32 trials: pass@1\/2\/3 /m,
    /a subscriber after the end still got all \d+ events/,
  ],
  'own-env.ts': [
    /^contract ok \(default\): 20 seeds/m,
    /^contract ok \(small\): 20 seeds/m,
    /^property ok/m,
    /^32 trials: pass@1 [\d.]+, pass@2 [\d.]+, pass@3 [\d.]+$/m,
  ],
  'eval-served.ts': [
    /^lamer serve: lamer-builtin at http:\/\/127\.0\.0\.1:\d+\/v1$/m,
    /^4 trials, \d+ turns over HTTP$/m,
  ],
  'make-tiny-model.ts': [/^wrote a tiny random Qwen3 \(2 layers, width 64, BF16\) to runs\/tiny-qwen3$/m],
  'train-api.ts': [/^step 2: loss -?[\d.]+, \d+ updates$/m, /^report: runs\/example-train\/report\.html$/m],
};

const run = promisify(execFile);
const tsx = join(repo, 'node_modules/.bin/tsx');

describe('examples', () => {
  it('lists the examples this file knows', () => {
    for (const name of Object.keys(expected)) expect(examples).toContain(name);
  });

  it.each(examples)(
    '%s runs to the end',
    async (file) => {
      const { stdout } = await run(tsx, ['--conditions=lamer-source', join(repo, 'examples', file)], {
        cwd,
        maxBuffer: 16 << 20,
        timeout: 240_000,
        env: { ...process.env, NO_COLOR: '1' },
      });
      for (const pattern of expected[file] ?? []) expect(stdout).toMatch(pattern);
    },
    300_000,
  );
});
