/**
 * Small random Hugging Face checkpoints (nothing can be downloaded here): the
 * fixtures of the golden tests and the folder `npm run make:tiny-model` writes
 * for trying `lamer train/eval/serve/export` with `hf:DIR`. Weights are seeded
 * normals; norms and biases are random too (not 1 and 0), so a layout mix-up
 * shows in the logits.
 */
import { deriveSeed, Rng } from '../../util/rng.js';
import { type ModelConfig, normalValues, paramShapes } from '../model-config.js';

/** Seeded random values for every parameter of `c`: matrices normal(0, std), norms 1 ± 0.2, biases ± 0.2. */
export function randomHfParams(c: ModelConfig, seed: number, std = 0.2): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, shape] of Object.entries(paramShapes(c))) {
    const n = shape.reduce((p, x) => p * x, 1);
    const rng = Rng.seeded(deriveSeed(seed, 'hf', name));
    if (name.endsWith('norm.weight')) out[name] = normalValues(n, 0.2, rng).map((x) => 1 + x);
    else if (name.endsWith('.bias')) out[name] = normalValues(n, 0.2, rng);
    else out[name] = normalValues(n, std, rng);
  }
  return out;
}
