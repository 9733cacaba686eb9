import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { drawWeighted, isUntruncated, sampleToken, topKIndices } from '../../../src/policy/onnx/sampling.js';
import { Rng } from '../../../src/util/rng.js';

describe('sampleToken', () => {
  it('applies temperature, then top-k, then top-p, and reports the renormalised log-prob', () => {
    // softmax([2, 1, 0]) = [0.665, 0.245, 0.090] after top-k 3; top-p 0.8 keeps the first two
    // (0.665 < 0.8 <= 0.910): q = [0.731, 0.269].
    const logits = new Float32Array([1, 2, -1, 0]);
    const rng = Rng.seeded(1);
    const counts = new Map<number, number>();
    const e = Math.exp(1);
    const q1 = e / (e + 1);
    for (let i = 0; i < 2000; i++) {
      const s = sampleToken(logits, { temperature: 1, topK: 3, topP: 0.8 }, rng);
      counts.set(s.id, (counts.get(s.id) ?? 0) + 1);
      expect(s.logprob).toBeCloseTo(Math.log(s.id === 1 ? q1 : 1 - q1), 6);
    }
    expect([...counts.keys()].sort()).toEqual([0, 1]);
    expect(counts.get(1)! / 2000).toBeGreaterThan(0.68);
    expect(counts.get(1)! / 2000).toBeLessThan(0.78);
  });

  it('temperature scales the logits before the draw', () => {
    const s = sampleToken(
      new Float32Array([0, Math.log(3)]),
      { temperature: 0.5, topK: 0, topP: 1 },
      Rng.seeded(2),
    );
    // softmax([0, 2 ln 3]) = [1/10, 9/10]
    expect(s.logprob).toBeCloseTo(Math.log(s.id === 1 ? 0.9 : 0.1), 6);
  });

  it('untruncated (top-k 0, top-p 1): frequencies and log-probs of softmax(logits / T) over every token', () => {
    const logits = new Float32Array([0.5, -1, 2, 0, 1.5]);
    const T = 0.8;
    const e = Array.from(logits, (l) => Math.exp(l / T));
    const q = e.map((x) => x / e.reduce((a, b) => a + b, 0));
    const rng = Rng.seeded(4);
    const n = 20000;
    const counts = new Array(logits.length).fill(0);
    for (let i = 0; i < n; i++) {
      const s = sampleToken(logits, { temperature: T, topK: 0, topP: 1 }, rng);
      counts[s.id]++;
      expect(s.logprob).toBeCloseTo(Math.log(q[s.id]!), 6);
    }
    // each frequency within 4 standard errors of its probability
    for (const [i, p] of q.entries())
      expect(Math.abs(counts[i] / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
  });

  test.prop([
    fc.array(fc.float({ min: -80, max: 80, noNaN: true }), { minLength: 1, maxLength: 64 }),
    fc.integer(),
  ])(
    'untruncated draws a token with mass and a log-prob <= 0, the same for the same seed',
    (values, seed) => {
      const logits = Float32Array.from(values);
      const s = sampleToken(logits, { temperature: 1, topK: 0, topP: 1 }, Rng.seeded(seed));
      expect(s.id).toBeGreaterThanOrEqual(0);
      expect(s.id).toBeLessThan(logits.length);
      expect(Number.isFinite(s.logprob) && s.logprob <= 1e-12).toBe(true);
      expect(sampleToken(logits, { temperature: 1, topK: 0, topP: 1 }, Rng.seeded(seed))).toEqual(s);
    },
  );

  test.prop([
    fc.array(fc.float({ min: -30, max: 30, noNaN: true }), { minLength: 1, maxLength: 64 }),
    fc.double({ min: 0.1, max: 3, noNaN: true }),
    fc.integer(),
  ])(
    "drawWeighted on the weights exp(l / T - max / T) is the untruncated sampleToken's draw (the decode graph's path)",
    (values, T, seed) => {
      const logits = Float32Array.from(values);
      const s = { temperature: T, topK: 0, topP: 1 };
      expect(isUntruncated(s, logits.length)).toBe(true);
      const inv = 1 / T;
      const top = Math.max(...logits) * inv;
      const weights = Float64Array.from(logits, (l) => Math.exp(l * inv - top));
      expect(drawWeighted(weights, Rng.seeded(seed))).toEqual(sampleToken(logits, s, Rng.seeded(seed)));
    },
  );

  it('isUntruncated: only a draw over the whole vocabulary at a positive temperature', () => {
    expect(isUntruncated({ temperature: 1, topK: 0, topP: 1 }, 8)).toBe(true);
    expect(isUntruncated({ temperature: 1, topK: 8, topP: 1 }, 8)).toBe(true); // top-k of the whole vocabulary
    expect(isUntruncated({ temperature: 1, topK: 7, topP: 1 }, 8)).toBe(false);
    expect(isUntruncated({ temperature: 1, topK: 0, topP: 0.9 }, 8)).toBe(false);
    expect(isUntruncated({ temperature: 0, topK: 0, topP: 1 }, 8)).toBe(false);
    expect(isUntruncated({ temperature: 1, topK: 1, topP: 1 }, 8)).toBe(false);
  });

  it('greedy is a point mass (log-prob 0) on the argmax', () => {
    const s = sampleToken(new Float32Array([0.1, 3, 2]), { temperature: 0, topK: 0, topP: 1 }, Rng.seeded(3));
    expect(s).toEqual({ id: 1, logprob: 0 });
  });

  test.prop([
    fc.array(fc.float({ min: -20, max: 20, noNaN: true }), { minLength: 1, maxLength: 40 }),
    fc.integer({ min: 0, max: 50 }),
    fc.double({ min: 0.05, max: 1, noNaN: true }),
    fc.integer(),
  ])(
    'samples only among the top-k, and log-probs are those of a distribution (<= 0)',
    (values, k, p, seed) => {
      const logits = Float32Array.from(values);
      const s = sampleToken(logits, { temperature: 0.7, topK: k, topP: p }, Rng.seeded(seed));
      const allowed = new Set(topKIndices(logits, k > 0 ? k : logits.length));
      // Ties at the k-th value may admit another index with the same logit.
      const kth = Math.min(...[...allowed].map((i) => logits[i]!));
      expect(allowed.has(s.id) || logits[s.id] === kth).toBe(true);
      expect(s.logprob).toBeLessThanOrEqual(1e-12);
    },
  );
});
