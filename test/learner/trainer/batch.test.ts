import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  lengthChunks,
  padSequences,
  planMiniBatches,
  recordedTokens,
  TrainerError,
  toSequence,
  trainerConfig,
} from '../../../src/learner/trainer/index.js';
import { ConfigError } from '../../../src/util/errors.js';
import { Rng } from '../../../src/util/rng.js';
import { sample } from './fixtures.js';

describe('toSequence', () => {
  it('rejects a too-long turn with an error naming the turn and the limit', () => {
    const t = { promptTokens: [1, 2, 3, 4, 5, 6], responseTokens: [7, 8, 9] };
    expect(() => toSequence('t#0/1/2/play', t, 1, 8, 'error')).toThrow(TrainerError);
    expect(() => toSequence('t#0/1/2/play', t, 1, 8, 'error')).toThrow(
      /turn t#0\/1\/2\/play has 9 tokens \(prompt 6 \+ response 3\), more than the model's maxSeqLen 8/,
    );
  });

  it("with 'truncate-prompt' drops prompt tokens from the left and keeps the whole response", () => {
    const s = toSequence(
      'x',
      { promptTokens: [1, 2, 3, 4, 5, 6], responseTokens: [7, 8, 9] },
      0.5,
      8,
      'truncate-prompt',
    );
    expect(s.tokens).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(s.responseStart).toBe(5);
    // a response alone as long as the limit cannot be fixed by truncating the prompt
    expect(() =>
      toSequence(
        'x',
        { promptTokens: [1], responseTokens: [1, 2, 3, 4, 5, 6, 7, 8] },
        0,
        8,
        'truncate-prompt',
      ),
    ).toThrow(/maxSeqLen 8/);
  });

  it('needs recorded ids on the sample, and says how to get them', () => {
    const s = sample({ prompt: [1], response: [2] });
    delete s.responseTokens;
    expect(() => recordedTokens(s)).toThrow(/task#0\/0\/0\/play has no prompt\/response token ids/);
  });
});

describe('padSequences', () => {
  it('right-pads the tokens; one window column per response token: its predicting position, id, advantage, old log-prob', () => {
    const a = toSequence('a', { promptTokens: [1, 2], responseTokens: [3] }, 2, 16, 'error');
    const b = toSequence('b', { promptTokens: [4], responseTokens: [5, 6, 7] }, -1, 16, 'error');
    a.oldLogprobs = [-0.5];
    b.oldLogprobs = [-1, -2, -3];
    const { feeds, tokens } = padSequences([a, b], { advantages: true, oldLogprobs: true });
    expect(tokens).toBe(4);
    expect(feeds.input_ids!.dims).toEqual([2, 4]);
    expect(Array.from(feeds.input_ids!.data as BigInt64Array, Number)).toEqual([1, 2, 3, 0, 4, 5, 6, 7]);
    expect(Array.from(feeds.attention_mask!.data as BigInt64Array, Number)).toEqual([1, 1, 1, 0, 1, 1, 1, 1]);
    expect(feeds.loss_mask!.dims).toEqual([2, 3]);
    // a's token 3 (position 2) is predicted at position 1; b's tokens at positions 1..3 from 0..2 (row 1: + 4)
    expect(Array.from(feeds.target_index!.data as BigInt64Array, Number)).toEqual([1, 0, 0, 4, 5, 6]);
    expect(Array.from(feeds.target_ids!.data as BigInt64Array, Number)).toEqual([3, 0, 0, 5, 6, 7]);
    expect(Array.from(feeds.loss_mask!.data as Float32Array)).toEqual([1, 0, 0, 1, 1, 1]);
    expect(Array.from(feeds.advantages!.data as Float32Array)).toEqual([2, 0, 0, -1, -1, -1]);
    expect(Array.from(feeds.old_logprobs!.data as Float32Array)).toEqual([-0.5, 0, 0, -1, -2, -3]);
  });

  it('with seqMean weighs each response token 1/length, so every sample sums to 1 (seq-mean-token-mean)', () => {
    const a = toSequence('a', { promptTokens: [1, 2], responseTokens: [3] }, 2, 16, 'error');
    const b = toSequence('b', { promptTokens: [4], responseTokens: [5, 6, 7, 8] }, -1, 16, 'error');
    const { feeds, tokens } = padSequences([a, b], { advantages: true, seqMean: true });
    expect(tokens).toBe(5);
    expect(Array.from(feeds.loss_mask!.data as Float32Array)).toEqual([1, 0, 0, 0, 0.25, 0.25, 0.25, 0.25]);
  });

  test.prop([
    fc.array(
      fc.record({
        prompt: fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 6 }),
        response: fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 6 }),
        advantage: fc.double({ min: -5, max: 5, noNaN: true }),
      }),
      { minLength: 1, maxLength: 5 },
    ),
  ])(
    'the window holds exactly the response tokens, each predicted by the position before it in its own row',
    (rows) => {
      const seqs = rows.map((r, i) =>
        toSequence(`s${i}`, { promptTokens: r.prompt, responseTokens: r.response }, r.advantage, 12, 'error'),
      );
      const { feeds, tokens } = padSequences(seqs, { advantages: true });
      const mask = feeds.loss_mask!.data as Float32Array;
      const adv = feeds.advantages!.data as Float32Array;
      const index = Array.from(feeds.target_index!.data as BigInt64Array, Number);
      const targets = Array.from(feeds.target_ids!.data as BigInt64Array, Number);
      const ids = Array.from(feeds.input_ids!.data as BigInt64Array, Number);
      const attention = feeds.attention_mask!.data as BigInt64Array;
      expect(tokens).toBe(rows.reduce((n, r) => n + r.response.length, 0));
      expect(mask.reduce((a, b) => a + b, 0)).toBe(tokens);
      const [T, R] = [feeds.input_ids!.dims[1]!, feeds.loss_mask!.dims[1]!];
      expect(R).toBe(Math.max(...rows.map((r) => r.response.length)));
      rows.forEach((r, b) => {
        for (let j = 0; j < R; j++) {
          const at = b * R + j;
          expect(Math.floor(index[at]! / T)).toBe(b);
          if (j >= r.response.length) {
            expect([mask[at], adv[at]]).toEqual([0, 0]);
            continue;
          }
          expect(attention[index[at]! + 1]).toBe(1n);
          expect(ids[index[at]! + 1]).toBe(r.response[j]);
          expect(targets[at]).toBe(r.response[j]);
          expect(adv[at]).toBe(Math.fround(r.advantage));
        }
      });
    },
  );
});

describe('planMiniBatches', () => {
  it("'copy' pads with the first samples (reference adjust_batch); 'partial' keeps a short last batch", () => {
    const rng = Rng.seeded(1);
    expect(planMiniBatches(5, { miniBatchSize: 2, shuffle: false, lastMiniBatch: 'copy' }, rng)).toEqual([
      [0, 1],
      [2, 3],
      [4, 0],
    ]);
    expect(planMiniBatches(5, { miniBatchSize: 2, shuffle: false, lastMiniBatch: 'partial' }, rng)).toEqual([
      [0, 1],
      [2, 3],
      [4],
    ]);
    expect(planMiniBatches(0, { miniBatchSize: 2, shuffle: true, lastMiniBatch: 'copy' }, rng)).toEqual([]);
  });

  test.prop([fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 9 }), fc.integer()])(
    'a shuffled plan covers every sample once (copies aside) and repeats for the same seed',
    (n, size, seed) => {
      const plan = { miniBatchSize: size, shuffle: true, lastMiniBatch: 'partial' as const };
      const a = planMiniBatches(n, plan, Rng.seeded(seed));
      expect(a.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(a.every((m) => m.length <= size)).toBe(true);
      expect(planMiniBatches(n, plan, Rng.seeded(seed))).toEqual(a);
    },
  );
});

describe('lengthChunks', () => {
  const seqOf = (label: string, n: number) =>
    toSequence(label, { promptTokens: Array(n).fill(1), responseTokens: [2] }, 0, 4096, 'error');

  test.prop([fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 50 }), fc.integer({ min: 1, max: 9 })])(
    'keeps every sequence once, in chunks of at most `size`, pads to no more than plan order does',
    (lengths, size) => {
      const seqs = lengths.map((n, i) => seqOf(`s${i}`, n));
      const out = lengthChunks(seqs, size);
      expect(
        out
          .flat()
          .map((s) => s.label)
          .sort(),
      ).toEqual(seqs.map((s) => s.label).sort());
      expect(out.every((c) => c.length >= 1 && c.length <= size)).toBe(true);
      const padded = (cs: typeof out) =>
        cs.reduce((t, c) => t + c.length * Math.max(...c.map((s) => s.tokens.length)), 0);
      const inOrder = Array.from({ length: Math.ceil(seqs.length / size) }, (_, k) =>
        seqs.slice(k * size, (k + 1) * size),
      );
      expect(padded(out)).toBeLessThanOrEqual(padded(inOrder));
    },
  );

  it('groups short with short and keeps equal lengths in their order (stable)', () => {
    const seqs = [seqOf('a', 9), seqOf('b', 1), seqOf('c', 9), seqOf('d', 2)];
    expect(lengthChunks(seqs, 2).map((c) => c.map((s) => s.label))).toEqual([
      ['b', 'd'],
      ['a', 'c'],
    ]);
  });
});

describe('trainerConfig', () => {
  it('names the bad field and what it expects', () => {
    expect(() => trainerConfig({ miniBatchSize: 0 })).toThrow(ConfigError);
    expect(() => trainerConfig({ miniBatchSize: 0 })).toThrow(/miniBatchSize/);
    expect(() => trainerConfig({ staleness: 'keep' as never })).toThrow(/staleness.*"use"\|"drop"|staleness/);
    expect(() => trainerConfig({ miniBatchSize: 4, microBatchSize: 8 })).toThrow(/microBatchSize \(8\)/);
    expect(() => trainerConfig({ model: { nHeads: 3 } })).toThrow(/head width/);
    expect(trainerConfig().miniBatchSize).toBe(64);
  });
});
