import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeSafetensorsFile } from '../../src/learner/checkpoint.js';
import { paramShapes } from '../../src/learner/model.js';
import { f32Tensors } from '../../src/learner/safetensors.js';
import { loadTrainConfig } from '../../src/train/config.js';
import {
  checkShipName,
  findShippedWarmStart,
  SHIPPED_MODEL,
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
