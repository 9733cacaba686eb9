import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main as cli } from '../../src/cli/main.js';
import { writeSafetensorsFile } from '../../src/learner/checkpoint.js';
import { paramShapes } from '../../src/learner/model.js';
import { f32Tensors } from '../../src/learner/safetensors.js';
import { loadTrainConfig } from '../../src/train/config.js';
import {
  checkShipName,
  findShippedWarmStart,
  SHIPPED_MODEL,
  SHIPPED_ROOT,
  shipWarmStart,
} from '../../src/train/shipped.js';
import type { WarmStartReport } from '../../src/train/warmstart.js';
import { modelOf, tokenizerFingerprint, WARMSTART_REPORT, warmStartKey } from '../../src/train/warmstart.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A shipped folder holding parameters `fill` for config `c`'s model, with `report` fields over the right ones. */
async function ship(
  c: ReturnType<typeof loadTrainConfig>,
  fill: number,
  report: Record<string, unknown> = {},
) {
  const root = mkdtempSync(join(tmpdir(), 'lamer-shipped-'));
  roots.push(root);
  const dir = join(root, 'minesweeper');
  await mkdir(dir, { recursive: true });
  const shapes = paramShapes(modelOf(c));
  const arrays = Object.fromEntries(
    Object.entries(shapes).map(([n, s]) => [n, new Float32Array(s.reduce((a, b) => a * b, 1)).fill(fill)]),
  );
  await writeSafetensorsFile(join(dir, SHIPPED_MODEL), f32Tensors(arrays, shapes), { format: 'pt' });
  const full = {
    key: warmStartKey(c),
    tokenizer: tokenizerFingerprint(),
    command: 'npx lamer pretrain',
    ...report,
  };
  await writeFile(join(dir, WARMSTART_REPORT), JSON.stringify(full));
  return root;
}

describe('shipped warm starts', () => {
  const config = (overrides = {}) =>
    loadTrainConfig({ preset: 'quick', overrides: { model: { dModel: 16, ffnHidden: 32 }, ...overrides } });

  it('loads the parameters of the folder whose key is the config’s', async () => {
    const c = config();
    const found = await findShippedWarmStart(c, await ship(c, 0.25));
    expect(found?.report.command).toBe('npx lamer pretrain');
    const shapes = paramShapes(modelOf(c));
    expect(Object.keys(found!.params).sort()).toEqual(Object.keys(shapes).sort());
    expect(found!.params['model.norm.weight']![0]).toBe(0.25);
  });

  it('is not used by a config with other settings, nor after the tokenizer was rebuilt', async () => {
    const c = config();
    const root = await ship(c, 0.5);
    expect(await findShippedWarmStart(config({ seed: 7 }), root)).toBeNull();
    expect(await findShippedWarmStart(config({ warmStart: { steps: 3 } }), root)).toBeNull();
    expect(await findShippedWarmStart(c, await ship(c, 0.5, { tokenizer: 'other' }))).toBeNull();
    expect(await findShippedWarmStart(c, join(root, 'missing'))).toBeNull();
  });

  it('shipWarmStart writes what findShippedWarmStart loads: the same parameters, the report and its command', async () => {
    const c = config();
    const shapes = paramShapes(modelOf(c));
    const params = Object.fromEntries(
      Object.entries(shapes).map(([n, s], i) => [
        n,
        Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_, j) => (i + j) / 1000),
      ]),
    );
    const report = { key: warmStartKey(c), tokenizer: tokenizerFingerprint(), steps: 4 } as WarmStartReport;
    const root = mkdtempSync(join(tmpdir(), 'lamer-ship-'));
    roots.push(root);
    const warm = { dir: 'runs/ws', params, report };
    const dir = await shipWarmStart(
      c,
      warm,
      'mine-s0',
      'npx lamer pretrain --env minesweeper --ship mine-s0',
      root,
    );
    expect(dir).toBe(join(root, 'mine-s0'));
    const found = await findShippedWarmStart(c, root);
    expect(found!.dir).toBe(dir);
    expect(found!.report.command).toBe('npx lamer pretrain --env minesweeper --ship mine-s0');
    expect(found!.report.steps).toBe(4);
    for (const [n, a] of Object.entries(params)) expect(found!.params[n]).toEqual(a);
    // a warm start of other settings is not shipped as this config's; bad folder names are refused
    await expect(shipWarmStart(config({ seed: 9 }), warm, 'x', 'cmd', root)).rejects.toThrow(
      /other settings/,
    );
    for (const bad of ['', '.hidden', 'a/b', '../up']) expect(() => checkShipName(bad)).toThrow(/--ship/);
    expect(() => checkShipName('minesweeper-single_s1.v2')).not.toThrow();
  });
});

describe('the warm start shipped for the main job (lamer train --env minesweeper)', () => {
  const main = loadTrainConfig({ overrides: { env: 'minesweeper' } });
  // Settings outside the warm start's key (one short step, tiny validations): the main job's warm start
  // serves them; the test only shortens what comes after it.
  const short = {
    tasksPerStep: 1,
    attemptBudget: 3,
    checkpointEvery: 1,
    sampling: { train: { maxTokens: 24 }, validation: { maxTokens: 24 } },
    validation: { every: 1, tasks: 2, trialsPerTask: 1 },
    finalEval: { seeds: 1, trialsPerTask: 1 },
  };
  let cwd = '';
  beforeEach(() => {
    // a fresh working folder: no runs/warmstart/ of a developer's earlier run is found first
    cwd = process.cwd();
    const dir = mkdtempSync(join(tmpdir(), 'lamer-main-job-'));
    roots.push(dir);
    process.chdir(dir);
  });
  afterEach(() => process.chdir(cwd));

  /** `lamer train --env minesweeper --steps 1 --config FILE --out DIR [...extra]`: its printed lines and folder. */
  async function trainCli(config: object, extra: string[] = []) {
    writeFileSync('short.json', JSON.stringify(config));
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((t: string | Uint8Array) => {
      lines.push(String(t));
      return true;
    });
    const argv = ['node', 'lamer', 'train', '--env', 'minesweeper', '--steps', '1', '--config', 'short.json'];
    const code = await cli([...argv, '--out', 'run', ...extra]);
    vi.restoreAllMocks();
    return {
      code,
      text: lines.join(''),
      report: JSON.parse(readFileSync(join('run', 'report.json'), 'utf8')),
    };
  }

  it('is in the package for the main job’s default config, with the command that made it', async () => {
    const found = await findShippedWarmStart(main);
    expect(found?.dir).toBe(join(SHIPPED_ROOT, 'minesweeper-s0'));
    expect(found!.report.command).toBe('npx lamer pretrain --env minesweeper --ship minesweeper-s0');
    expect(found!.report.steps).toBe(main.warmStart.steps);
    // the RL settings are not part of its key: the paper preset at seed 0 starts from it too
    expect((await findShippedWarmStart(loadTrainConfig({ preset: 'paper' })))?.dir).toBe(found!.dir);
  });

  it('the main job starts from it (no warm-start training); a changed config makes its own', async () => {
    const used = await trainCli(short);
    expect(used.code).toBe(0);
    expect(used.text).toContain('warm start: shipped with the package');
    expect(used.text).not.toContain('noisy expert');
    expect(existsSync('runs')).toBe(false); // nothing written for a warm start
    expect(used.report.warmStart.dir).toBe(join(SHIPPED_ROOT, 'minesweeper-s0'));
    expect(used.text).toMatch(/\| warm start \| [\d.]+ ± [\d.]+ \|/);
    expect(used.text).toMatch(/RL (raised|lowered|did not change) pass@3/);

    // other warm-start settings: another key, so a warm start is made here (a tiny one: a short test)
    const tiny = { ...short, warmStart: { tasks: 2, trialsPerTask: 1, steps: 2, evalTasks: 1 } };
    expect(
      await findShippedWarmStart(loadTrainConfig({ overrides: { env: 'minesweeper', ...tiny } })),
    ).toBeNull();
    const made = await trainCli(tiny, ['--restart']);
    expect(made.code).toBe(0);
    expect(made.text).toContain('noisy expert');
    expect(made.text).not.toContain('shipped with the package');
    expect(made.report.warmStart.dir).toMatch(/^runs[/\\]warmstart[/\\]MineSweeper-v0-default-d64x2-s0-/);
  }, 600_000);
});
