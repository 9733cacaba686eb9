import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as G from '../../../src/learner/graph/index.js';
import { buildInferenceGraph } from '../../../src/learner/inference.js';
import { initParams, modelConfig } from '../../../src/learner/model.js';
import { PolicyError } from '../../../src/policy/errors.js';
import { ModelDirError } from '../../../src/policy/onnx/model-dir.js';
import { OnnxPolicy } from '../../../src/policy/onnx/policy.js';
import { sampleToken } from '../../../src/policy/onnx/sampling.js';
import { promptTokens } from '../../../src/policy/onnx/tokens.js';
import type { GenerationRequest } from '../../../src/policy/types.js';
import { Rng } from '../../../src/util/rng.js';
import { exportTiny, TINY } from './tiny-model.js';

let dir: string;
let params: Record<string, Float32Array>;
let policy: OnnxPolicy;

beforeAll(async () => {
  ({ dir, params } = await exportTiny(1));
  policy = await OnnxPolicy.load(dir);
});
afterAll(async () => {
  await policy.dispose();
  await rm(dir, { recursive: true, force: true });
});

const req = (key: string, content: string, sampling: GenerationRequest['sampling']): GenerationRequest => ({
  key,
  messages: [{ role: 'user', content }],
  sampling,
});

/**
 * Next tokens by recomputing the whole sequence without a cache (the portable model.onnx), each one
 * picked from the last position's logits by `pick` (default greedy).
 */
async function byRecompute(
  prompt: number[],
  n: number,
  pick: (logits: Float32Array) => number = argmax,
): Promise<number[]> {
  const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
  const seq = [...prompt];
  const empty = new ort.Tensor('float32', new Float32Array(0), [
    1,
    TINY.nHeads,
    0,
    TINY.dModel / TINY.nHeads,
  ]);
  for (let k = 0; k < n; k++) {
    const T = seq.length;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(seq, BigInt), [1, T]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(T).fill(1n), [1, T]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(seq.keys(), BigInt), [1, T]),
    };
    for (let i = 0; i < TINY.nLayers; i++) {
      feeds[`past_key_values.${i}.key`] = empty;
      feeds[`past_key_values.${i}.value`] = empty;
    }
    const out = await session.run(feeds, ['logits']);
    const v = TINY.vocabSize;
    seq.push(pick((out.logits!.data as Float32Array).subarray((T - 1) * v, T * v)));
  }
  await session.release();
  return seq.slice(prompt.length);
}

function argmax(logits: Float32Array): number {
  let best = 0;
  for (let j = 1; j < logits.length; j++) if (logits[j]! > logits[best]!) best = j;
  return best;
}

const greedyByRecompute = (prompt: number[], n: number) => byRecompute(prompt, n);

describe('OnnxPolicy on a tiny exported model', () => {
  it('greedy batched KV-cache generation equals full recomputation, rows of different lengths and budgets', async () => {
    const requests = [
      req('a', 'hi', { temperature: 0, maxTokens: 9 }),
      req('b', 'a much longer prompt, so the other rows are left-padded', { temperature: 0, maxTokens: 4 }),
      req('c', 'medium prompt here', { temperature: 0, maxTokens: 7 }),
    ];
    const gens = await policy.generate(requests);
    for (const [i, g] of gens.entries()) {
      expect(g.finishReason).toBe('length');
      expect(g.responseTokens).toHaveLength(requests[i]!.sampling.maxTokens!);
      expect(g.promptTokens).toEqual(promptTokens(policy.promptCodec, requests[i]!.messages));
      expect(g.responseTokens).toEqual(await greedyByRecompute(g.promptTokens!, g.responseTokens!.length));
      expect(g.logprobs).toEqual(g.responseTokens!.map(() => 0)); // greedy: a point mass
    }
  });

  it('the in-place fixed-capacity cache (growing, rows leaving mid-batch) gives the HF-layout tokens', async () => {
    const hf = await OnnxPolicy.fromParams(TINY, params, 0, { inPlaceCache: false });
    const requests = [
      req('a', 'short', { temperature: 0, maxTokens: 80 }),
      req('b', 'a longer prompt that pads the others', { temperature: 0, maxTokens: 30 }),
      req('c', 'sampled row', { temperature: 1, topK: 40, maxTokens: 150, seed: 3 }),
    ];
    const [inPlace, concat] = [await policy.generate(requests), await hf.generate(requests)];
    for (const [i, g] of inPlace.entries()) {
      expect(g.responseTokens).toEqual(concat[i]!.responseTokens);
      for (const [t, lp] of g.logprobs!.entries()) expect(lp).toBeCloseTo(concat[i]!.logprobs![t]!, 4);
    }
    await hf.dispose();
  });

  it('the in-place cache decodes grouped-query attention with q/k norms (a Qwen3-shaped model) as the HF layout', async () => {
    const c = modelConfig({ ...TINY, nHeads: 4, nKvHeads: 2, headDim: 6, qkNorm: true });
    const w = initParams(c, 5);
    const [inPlace, hf] = [
      await OnnxPolicy.fromParams(c, w, 0),
      await OnnxPolicy.fromParams(c, w, 0, { inPlaceCache: false }),
    ];
    const requests = [
      req('a', 'short', { temperature: 0, maxTokens: 70 }),
      req('b', 'a longer prompt that pads the other row', {
        temperature: 1,
        topK: 40,
        maxTokens: 20,
        seed: 2,
      }),
    ];
    const [a, b] = [await inPlace.generate(requests), await hf.generate(requests)];
    for (const [i, g] of a.entries()) expect(g.responseTokens).toEqual(b[i]!.responseTokens);
    await inPlace.dispose();
    await hf.dispose();
  });

  it('a batch prefilled in several length groups (over 16 rows) replies as each row alone', async () => {
    const requests = Array.from({ length: 21 }, (_, i) =>
      req(`r${i}`, `row ${i}: ${'cells '.repeat((i * 7) % 19)}end`, { temperature: 0, maxTokens: 6 }),
    );
    const batched = await policy.generate(requests);
    for (const [i, r] of requests.entries()) {
      const [alone] = await policy.generate([r]);
      expect(batched[i]!.responseTokens, r.key).toEqual(alone!.responseTokens);
    }
    // and the longest row against full recomputation
    const g = batched[requests.length - 3]!;
    expect(g.responseTokens).toEqual(await greedyByRecompute(g.promptTokens!, g.responseTokens!.length));
  });

  it.each([
    ['in-place cache', {}],
    ['HF layout', { inPlaceCache: false }],
    ['the export itself (its prefill returns the present, not the new keys/values)', { fastPath: false }],
  ])(
    '%s: prompts that repeat an earlier prompt and reply prefill only the rest, mixed in a batch with others: the tokens of a fresh prefill',
    async (_, layout) => {
      // one prefill run for the whole batch: reused pasts and suffixes of different lengths, both padded
      const kept = await OnnxPolicy.load(dir, { ...layout, prefillPassTokens: Number.POSITIVE_INFINITY });
      const fresh = await OnnxPolicy.load(dir, { ...layout, prefixCacheBytes: 0 });
      const first = 'the first user message, long enough that its tokens are worth keeping: reveal (2, 3)';
      const second = 'another first message, of another length, also kept: reveal (4, 4) then (1, 2)';
      const [a] = await kept.generate([req('a', first, { temperature: 0, maxTokens: 10 })]);
      const [a2] = await kept.generate([req('a2', second, { temperature: 0, maxTokens: 4 })]);
      const follow = (
        key: string,
        next: string,
        seed: number,
        [user, reply] = [first, a!],
      ): GenerationRequest => ({
        key,
        messages: [
          { role: 'user', content: user },
          { role: 'assistant', content: reply!.text },
          { role: 'user', content: next },
        ],
        sampling: { temperature: 1, seed, maxTokens: 12 },
      });
      // Three rows reuse a stored sequence (pasts and suffixes of different lengths), one reuses nothing.
      const batch = [
        follow('b', 'and next?', 9),
        req('c', 'an unrelated prompt that shares nothing but the template', {
          temperature: 1,
          seed: 3,
          maxTokens: 12,
        }),
        follow('d', 'and after that, which cell would you reveal on this board?', 5),
        follow('e', 'and then?', 7, [second, a2!]),
      ];
      const reused = kept.stats.profile.reusedTokens;
      const got = await kept.generate(batch);
      expect(kept.stats.profile.reusedTokens - reused).toBeGreaterThanOrEqual(
        2 * (a!.promptTokens!.length - 8) + a2!.promptTokens!.length - 8,
      );
      const want = await fresh.generate(batch);
      expect(got.map((g) => g.responseTokens)).toEqual(want.map((g) => g.responseTokens));
      for (const [r, g] of got.entries())
        for (const [i, lp] of g.logprobs!.entries()) expect(lp).toBeCloseTo(want[r]!.logprobs![i]!, 4);
      await kept.resetPrefixCache(); // and nothing is reused after a reset
      const before = kept.stats.profile.reusedTokens;
      await kept.generate([batch[0]!]);
      expect(kept.stats.profile.reusedTokens).toBe(before);
      expect(fresh.stats.profile.reusedTokens).toBe(0);
      await Promise.all([kept.dispose(), fresh.dispose()]);
    },
  );

  it('sampled replies are the seeded per-row draws (sampleToken, one draw per token) from full recomputation', async () => {
    // The draw order of the path before the decode loop moved into the worker: row i draws from its own
    // generator seeded with its seed, one uniform per token, whatever the batch and its finished rows do.
    // Untruncated rows draw from the decode graph's weights (drawWeighted), the others from the logits.
    const samplers = [
      { temperature: 1, topP: 1, topK: 0 },
      { temperature: 0.7, topP: 0.8, topK: 20 },
      { temperature: 0.6, topP: 1, topK: 0 },
    ];
    const requests = Array.from({ length: 6 }, (_, i) =>
      req(`s${i}`, `sample row ${i}: ${'flag '.repeat(i * 3)}`, {
        ...samplers[i % 3]!,
        maxTokens: 4 + 3 * i,
        seed: 100 + i,
      }),
    );
    const gens = await policy.generate(requests);
    for (const [i, g] of gens.entries()) {
      const rng = Rng.seeded(100 + i);
      const expected = await byRecompute(g.promptTokens!, g.responseTokens!.length, (logits) => {
        return sampleToken(logits, samplers[i % 3]!, rng).id;
      });
      expect(g.responseTokens, `row ${i}`).toEqual(expected);
    }
  });

  it('same seed, prompt and weights give the same reply, alone or in any batch; other seeds differ', async () => {
    const sampling = { temperature: 1, topP: 0.95, topK: 50, maxTokens: 16, seed: 42 };
    const [alone] = await policy.generate([req('x', 'play minesweeper', sampling)]);
    const batched = await policy.generate([
      req('y', 'another, longer prompt in the same batch', { ...sampling, seed: 7 }),
      req('x', 'play minesweeper', sampling),
    ]);
    expect(batched[1]!.responseTokens).toEqual(alone!.responseTokens);
    expect(batched[1]!.text).toBe(alone!.text);
    // Log-probs agree up to float rounding (batch shapes change summation order in the kernels).
    for (const [i, lp] of batched[1]!.logprobs!.entries()) expect(lp).toBeCloseTo(alone!.logprobs![i]!, 4);
    const [other] = await policy.generate([req('x', 'play minesweeper', { ...sampling, seed: 43 })]);
    expect(other!.responseTokens).not.toEqual(alone!.responseTokens);
  });

  it('stop strings end the reply on the token that completes them; the text stops before them', async () => {
    const sampling = { temperature: 0, maxTokens: 24 };
    const [full] = await policy.generate([req('s', 'stop test', sampling)]);
    const text = full!.text;
    const stop = text.slice(6, 9);
    const at = text.indexOf(stop);
    const [cut] = await policy.generate([
      req('s', 'stop test', { ...sampling, stop: ['never-there', stop] }),
    ]);
    expect(cut!.finishReason).toBe('stop');
    expect(cut!.text).toBe(text.slice(0, at));
    const n = cut!.responseTokens!.length;
    expect(cut!.responseTokens).toEqual(full!.responseTokens!.slice(0, n));
    const decoded = policy.promptCodec.tokenizer.decode(cut!.responseTokens!);
    expect(decoded.includes(stop)).toBe(true);
    expect(policy.promptCodec.tokenizer.decode(cut!.responseTokens!.slice(0, -1)).includes(stop)).toBe(false);
  });

  it('setWeights swaps weights without reloading: new replies, new policyVersion; an end token stops the reply', async () => {
    const eos = policy.promptCodec.tokenizer.tokenToId('<|im_end|>')!;
    // All blocks off (zero residual writes), every embedding near one direction and the <|im_end|> row 10x
    // longer: the tied LM head then scores <|im_end|> highest after any token.
    const forced = initParams(TINY, 3);
    for (const [name, v] of Object.entries(forced)) if (/o_proj|down_proj/.test(name)) v.fill(0);
    const E = forced['model.embed_tokens.weight']!;
    const d = TINY.dModel;
    for (let j = 0; j < TINY.vocabSize; j++)
      for (let k = 0; k < d; k++) E[j * d + k] = (j === eos ? 10 : 1) + 0.01 * E[j * d + k]!;
    const p = await OnnxPolicy.fromParams(TINY, params, 3);
    const before = await p.generate([req('w', 'weights', { temperature: 0, maxTokens: 5 })]);
    expect(before[0]!.policyVersion).toBe(3);
    await p.setWeights(forced, 4);
    const after = await p.generate([req('w', 'weights', { temperature: 0, maxTokens: 5 })]);
    expect(after[0]).toMatchObject({
      text: '',
      responseTokens: [eos],
      finishReason: 'stop',
      policyVersion: 4,
    });
    expect(before[0]!.responseTokens).not.toEqual(after[0]!.responseTokens);
    await p.dispose();
  });

  it('a model with baked-in weights refuses setWeights with a named error', async () => {
    const slow = await OnnxPolicy.load(dir, { fastPath: false });
    await expect(slow.setWeights(params, 1)).rejects.toThrow(PolicyError);
    const [g] = await slow.generate([req('a', 'hi', { temperature: 0, maxTokens: 3 })]);
    const [h] = await policy.generate([req('a', 'hi', { temperature: 0, maxTokens: 3 })]);
    expect(g!.responseTokens).toEqual(h!.responseTokens);
    await slow.dispose();
  });

  it('refuses a prefix cache budget that is not a byte count', async () => {
    await expect(OnnxPolicy.fromParams(TINY, params, 0, { prefixCacheBytes: -1 })).rejects.toThrow(
      /prefixCacheBytes must be an integer >= 0/,
    );
  });

  it('rejects bad sampling settings with the request key', async () => {
    await expect(policy.generate([req('bad', 'x', { topP: 0 })])).rejects.toThrow(/bad.*top_p/);
    await expect(policy.generate([req('bad', 'x', { maxTokens: 0 })])).rejects.toThrow(/max_tokens/);
  });
});

describe('model directory checks', () => {
  it.each(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'model.onnx'])(
    'names a missing %s',
    async (file) => {
      const copy = await mkdtemp(join(tmpdir(), 'lamer-bad-'));
      await cp(dir, copy, { recursive: true });
      await rm(join(copy, file));
      await expect(OnnxPolicy.load(copy, { fastPath: false })).rejects.toThrow(
        new RegExp(`${file === 'model.onnx' ? 'model\\.onnx' : file.replace('.', '\\.')}`),
      );
      await rm(copy, { recursive: true, force: true });
    },
  );

  it('names the input the graph lacks when the layout does not match', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'lamer-bad-'));
    await cp(dir, copy, { recursive: true });
    const config = JSON.parse(await readFile(join(copy, 'config.json'), 'utf8'));
    await writeFile(join(copy, 'config.json'), JSON.stringify({ ...config, num_hidden_layers: 3 }));
    const error = await OnnxPolicy.load(copy, { fastPath: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelDirError);
    expect((error as Error).message).toMatch(/no input "past_key_values\.2\.key"/);
    // A graph with an input outside the layout (weights as inputs but nobody feeds them).
    await writeFile(join(copy, 'config.json'), JSON.stringify(config));
    await writeFile(
      join(copy, 'model.onnx'),
      G.compileGraph(buildInferenceGraph(TINY, { weights: 'inputs' })),
    );
    await expect(OnnxPolicy.load(copy, { fastPath: false })).rejects.toThrow(
      /input "model\.embed_tokens\.weight"/,
    );
    await rm(copy, { recursive: true, force: true });
  });
});
