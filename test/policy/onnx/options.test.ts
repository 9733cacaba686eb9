import { describe, expect, it } from 'vitest';
import { batchLayout, engineSettings } from '../../../src/policy/onnx/options.js';

describe('ONNX policy options', () => {
  it("sizes the prefix store by the model's keys/values per token, at most 256 MiB", () => {
    // the bench model (d64×2: 2 layers, 2 key/value heads of 32): 1 KiB a token, 32,768 tokens
    expect(batchLayout({}, { nLayers: 2, kvHeads: 2, headDim: 32 }).prefixCacheBytes).toBe(32 * 2 ** 20);
    // SmolLM2-135M's shape (30 layers, 3 heads of 64): 46 KB a token, capped
    expect(batchLayout({}, { nLayers: 30, kvHeads: 3, headDim: 64 }).prefixCacheBytes).toBe(256 * 2 ** 20);
    // a given size is kept, 0 turns the store off
    const kv = { nLayers: 2, kvHeads: 2, headDim: 32 };
    expect(batchLayout({ prefixCacheBytes: 5000 }, kv).prefixCacheBytes).toBe(5000);
    expect(batchLayout({ prefixCacheBytes: 0 }, kv).prefixCacheBytes).toBe(0);
    expect(() => batchLayout({ prefixCacheBytes: 1.5 }, kv)).toThrow(/prefixCacheBytes must be an integer/);
  });

  it('keeps the batching options out of the session settings', () => {
    const settings = engineSettings({ prefillGroupRows: 8, prefixCacheBytes: 0, intraOpNumThreads: 3 });
    expect(settings).toEqual({ allowSpinning: false, intraOpNumThreads: 3 });
  });

  it('runs a small model on one intra-op thread unless told otherwise', () => {
    expect(engineSettings({}, 64)).toEqual({ allowSpinning: false, intraOpNumThreads: 1 });
    expect(engineSettings({ intraOpNumThreads: 2 }, 64)).toEqual({
      allowSpinning: false,
      intraOpNumThreads: 2,
    });
    expect(engineSettings({}, 128)).toEqual({ allowSpinning: false }); // onnxruntime's default
    expect(engineSettings({})).toEqual({ allowSpinning: false }); // an export: width unknown
  });
});
