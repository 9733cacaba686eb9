/**
 * `lamer serve --enable-lora`'s adapter slot: any adapter up to the slot's rank, on any subset of the
 * projections, runs as the same weights it would merged alone; the host swaps adapters only when the
 * batch's adapter changes and never leaves a half-applied one marked active.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { randomHfParams } from '../../src/learner/hf/tiny.js';
import { LORA_TARGETS, type LoraTarget, loraConfig, loraShapes, mergeLora } from '../../src/learner/lora.js';
import { modelConfig, normalValues } from '../../src/learner/model.js';
import {
  AdapterSlotError,
  fitAdapter,
  LoraAdapterHost,
  loraSlot,
  type ReadAdapter,
} from '../../src/serve/lora-host.js';
import { Rng } from '../../src/util/rng.js';

const C = modelConfig({
  vocabSize: 40,
  dModel: 16,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  ffnHidden: 24,
  tieEmbeddings: false,
});
const BASE = randomHfParams(C, 5);

function randomAdapter(
  rank: number,
  alpha: number,
  targets: LoraTarget[],
  rslora: boolean,
  seed: number,
): ReadAdapter {
  const lora = loraConfig({ rank, alpha, targets, rslora });
  const rng = Rng.seeded(seed);
  const adapters: Record<string, Float32Array> = {};
  for (const [name, shape] of Object.entries(loraShapes(C, lora)))
    adapters[name] = normalValues(shape[0]! * shape[1]!, 0.3, rng);
  return { lora, adapters };
}

/**
 * Largest difference per tensor relative to that tensor's largest magnitude: float32 rounding of
 * W + s·B·A scales with the terms summed, not with the result (an element that cancels to ~0 has
 * the same absolute error as its neighbours), so an element-wise relative test fails on rounding.
 */
function maxRelDiff(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  let worst = 0;
  for (const [name, x] of Object.entries(a)) {
    const y = b[name]!;
    let scale = 1e-6;
    for (let i = 0; i < y.length; i++) scale = Math.max(scale, Math.abs(y[i]!));
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / scale);
  }
  return worst;
}

describe('fitAdapter', () => {
  test.prop(
    [
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 0, max: 4 }),
      fc.double({ min: 0.5, max: 32, noNaN: true }),
      fc.subarray([...LORA_TARGETS], { minLength: 1 }),
      fc.boolean(),
      fc.nat(),
    ],
    { numRuns: 25 },
  )(
    'an adapter in a larger slot merges to the same weights as alone',
    (rank, extra, alpha, targets, rs, seed) => {
      const adapter = randomAdapter(rank, alpha, targets, rs, seed);
      const slot = loraSlot(rank + extra);
      const fitted = fitAdapter(C, slot, adapter);
      expect(Object.keys(fitted).sort()).toEqual(Object.keys(loraShapes(C, slot)).sort());
      const alone = mergeLora(C, adapter.lora, BASE, adapter.adapters);
      const inSlot = mergeLora(C, slot, BASE, fitted);
      expect(maxRelDiff(inSlot, alone)).toBeLessThan(1e-4);
    },
  );

  it('refuses an adapter over the slot rank, saying which flag to raise', () => {
    expect(() => fitAdapter(C, loraSlot(4), randomAdapter(8, 16, ['q'], false, 1))).toThrow(
      /rank 8 is over this server's --max-lora-rank 4.*--max-lora-rank 8/,
    );
    expect(() => fitAdapter(C, loraSlot(4), randomAdapter(8, 16, ['q'], false, 1))).toThrow(AdapterSlotError);
  });
});

describe('LoraAdapterHost', () => {
  function host() {
    const applied: { version: number; qB: number }[] = [];
    let fail = false;
    const h = new LoraAdapterHost({
      model: C,
      slot: loraSlot(4),
      read: async (path) => randomAdapter(2, 4, ['q', 'v'], false, Number(path.split('/').pop())),
      apply: async (w, version) => {
        if (fail) throw new Error('worker gone');
        applied.push({ version, qB: w['model.layers.0.self_attn.q_proj.lora_B.weight']![0]! });
      },
    });
    return { h, applied, failNext: (v: boolean) => (fail = v) };
  }

  it('applies weights only when the batch adapter changes, base = zeros', async () => {
    const { h, applied } = host();
    await h.load('a', '/ad/1');
    await h.load('b', '/ad/2');
    await h.activate('a');
    await h.activate('a');
    await h.activate('b');
    await h.activate(null);
    expect(applied.map((x) => x.version)).toEqual([1, 2, 3]);
    expect(applied[0]!.qB).not.toBe(0);
    expect(applied[0]!.qB).not.toBe(applied[1]!.qB);
    expect(applied[2]!.qB).toBe(0);
  });

  it('re-applies an adapter reloaded in place, and refuses an unloaded one', async () => {
    const { h, applied } = host();
    await h.load('a', '/ad/1');
    await h.activate('a');
    await h.load('a', '/ad/9');
    await h.activate('a');
    expect(applied).toHaveLength(2);
    expect(applied[1]!.qB).not.toBe(applied[0]!.qB);
    await h.unload('a');
    await expect(h.activate('a')).rejects.toThrow(/"a" is not loaded/);
  });

  it('a failed apply leaves nothing marked active: the next batch tries again', async () => {
    const { h, applied, failNext } = host();
    await h.load('a', '/ad/1');
    failNext(true);
    await expect(h.activate('a')).rejects.toThrow(/worker gone/);
    failNext(false);
    await h.activate('a');
    expect(applied).toHaveLength(1);
  });
});
