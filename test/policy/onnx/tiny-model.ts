/** A tiny built-in model exported by the project itself (never downloaded), shared by the ONNX policy tests. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initParams, type ModelConfig, modelConfig } from '../../../src/learner/model.js';
import { exportModelDir } from '../../../src/policy/onnx/export.js';

export const TINY: ModelConfig = modelConfig({
  vocabSize: 1024,
  dModel: 32,
  nLayers: 2,
  nHeads: 2,
  ffnHidden: 64,
  maxSeqLen: 4096,
  initStd: 0.5,
});

/** Export the tiny model with weights from `seed` into a fresh temp directory. */
export async function exportTiny(seed = 1): Promise<{ dir: string; params: Record<string, Float32Array> }> {
  const dir = await mkdtemp(join(tmpdir(), 'lamer-tiny-'));
  const params = initParams(TINY, seed);
  await exportModelDir(dir, TINY, params);
  return { dir, params };
}
