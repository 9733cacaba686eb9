/**
 * Memory-budgeted micro-batches: how a mini-batch is cut by the estimated activation bytes, and that the
 * cut does not change training (every micro-batch is divided by the whole mini-batch's token count).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { SHAPES } from '../../../bench/learner-hf.js';
import { modelConfig } from '../../../src/learner/model.js';
import {
  activationBytes,
  budgetedMicroBatches,
  lengthChunks,
  Trainer,
  toSequence,
} from '../../../src/learner/trainer/index.js';
import { credited, sample, TINY_MODEL, tinyTrainerConfig } from './fixtures.js';

const MIB = 1024 * 1024;
const model = modelConfig(TINY_MODEL);
const seqOf = (label: string, n: number) =>
  toSequence(label, { promptTokens: Array(n).fill(1), responseTokens: [2] }, 0, 4096, 'error');
const labels = (cs: { label: string }[][]) => cs.map((c) => c.map((s) => s.label));

describe('activationBytes', () => {
  it('grows linearly with the rows and faster than linearly with the length (the attention)', () => {
    expect(activationBytes(model, 4, 100)).toBe(4 * activationBytes(model, 1, 100));
    expect(activationBytes(model, 1, 200)).toBeGreaterThan(2 * activationBytes(model, 1, 100));
  });

  it('at the SmolLM2-135M shape, one 1.2k-token row is ~3.6 GiB (fitted to the measurement)', () => {
    const smol = SHAPES['smollm2-135m'];
    expect(activationBytes(smol, 1, 1200) / 2 ** 30).toBeCloseTo(3.61, 1);
  });
});

describe('budgetedMicroBatches', () => {
  const seqs = [seqOf('a', 9), seqOf('b', 1), seqOf('c', 9), seqOf('d', 2), seqOf('e', 20)];

  it('is the row-count split where the budget does not bind', () => {
    expect(labels(budgetedMicroBatches(seqs, model, 2, 1e6))).toEqual(labels(lengthChunks(seqs, 2)));
    expect(labels(budgetedMicroBatches(seqs, model, 2, 1e6, 'in-order'))).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['e'],
    ]);
  });

  it('takes rows while the padded estimate fits; a row over the budget trains alone', () => {
    // room for two rows of 10 tokens (9 + the response), not three, and not one of 21
    const budget = (2.2 * activationBytes(model, 1, 10)) / MIB;
    expect(activationBytes(model, 1, 21) / MIB).toBeGreaterThan(budget);
    expect(labels(budgetedMicroBatches(seqs, model, 8, budget))).toEqual([['b', 'd'], ['a', 'c'], ['e']]);
    // in plan order each chunk is padded to its longest row so far
    expect(labels(budgetedMicroBatches(seqs, model, 8, budget, 'in-order'))).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['e'],
    ]);
  });

  test.prop([
    fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 40 }),
    fc.integer({ min: 1, max: 9 }),
    fc.double({ min: 0.001, max: 0.2, noNaN: true }),
  ])(
    'keeps every sequence once; each micro-batch is within the rows and the budget, or one row',
    (lengths, rows, mib) => {
      const all = lengths.map((n, i) => seqOf(`s${i}`, n));
      const out = budgetedMicroBatches(all, model, rows, mib);
      expect(
        out
          .flat()
          .map((s) => s.label)
          .sort(),
      ).toEqual(all.map((s) => s.label).sort());
      for (const c of out) {
        expect(c.length).toBeGreaterThanOrEqual(1);
        expect(c.length).toBeLessThanOrEqual(rows);
        const longest = Math.max(...c.map((s) => s.tokens.length));
        if (c.length > 1) expect(activationBytes(model, c.length, longest)).toBeLessThanOrEqual(mib * MIB);
      }
    },
  );
});

describe('Trainer with a micro-batch memory budget', () => {
  it('trains a batch cut into budgeted micro-batches to the same weights and stats as one micro-batch', async () => {
    // 8 turns of 4..11 tokens, two mini-batches (the second's old log-probs come from a log-prob pass)
    const samples = Array.from({ length: 8 }, (_, i) =>
      sample({
        prompt: Array.from({ length: 2 + (i % 5) }, (_, j) => 1 + ((i + j) % 4)),
        response: i % 2 === 0 ? [5, 6] : [7, 8, 5].slice(0, 2 + (i % 3 === 0 ? 1 : 0)),
        turn: i,
      }),
    );
    const batch = credited(
      samples,
      samples.map((_, i) => (i % 2 === 0 ? 1 : -0.5)),
    );
    const budget = (1.5 * activationBytes(model, 1, 11)) / MIB; // one row at a time, two short ones
    const run = async (microBatchMiB: number) => {
      const trainer = await Trainer.create(
        tinyTrainerConfig({ miniBatchSize: 4, microBatchSize: 4, logprobBatchSize: 8, microBatchMiB }),
        { logger: () => {} },
      );
      const stats = await trainer.trainPpo(batch);
      const params = trainer.params;
      await trainer.dispose();
      return { stats, params };
    };
    const whole = await run(1e6);
    const cut = await run(budget);
    // the budget did cut: more micro-batches than mini-batches
    const seqs = samples.map((s) =>
      toSequence('x', { promptTokens: s.promptTokens!, responseTokens: s.responseTokens! }, 0, 24, 'error'),
    );
    expect(budgetedMicroBatches(seqs.slice(0, 4), model, 4, budget).length).toBeGreaterThan(1);
    expect(cut.stats.updates).toBe(2);
    for (const key of ['loss', 'pgLoss', 'entropy', 'clipFrac', 'approxKl', 'gradNorm'] as const)
      expect(cut.stats[key]).toBeCloseTo(whole.stats[key], 6);
    for (const [name, p] of Object.entries(whole.params)) {
      const q = cut.params[name]!;
      const diff = Math.max(...p.map((x, i) => Math.abs(x - q[i]!)));
      expect(diff, name).toBeLessThan(1e-5);
    }
  });
});
