import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import * as G from '../../src/learner/graph/index.js';
import { buildLogprobGraph } from '../../src/learner/inference.js';
import { DEFAULT_LOSS_CONFIG, type PpoLossConfig } from '../../src/learner/loss.js';
import { type ModelConfig, modelConfig, paramShapes } from '../../src/learner/model.js';
import { buildGradGraph, trainGraphConfig, trainNames } from '../../src/learner/train-step.js';
import { Rng } from '../../src/util/rng.js';
import { floats, ids, paramFeeds, sessionOf, TINY, tinyParams } from './tiny.js';

const rng = Rng.seeded(11);
const T = 6;
const rows = [0, 1].map(() => Array.from({ length: T }, () => rng.int(0, 10)));
const attention = [
  [1, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 0, 0],
];
const lossMask = [
  [0, 0, 1, 1, 1, 1],
  [0, 1, 1, 1, 0, 0],
];
const numTokens = lossMask
  .flat()
  .filter((_, i) => i % T !== 0)
  .reduce((a, b) => a + b, 0);
const rand = (lo: number, hi: number) =>
  [0, 1].map(() => Array.from({ length: T }, () => lo + (hi - lo) * rng.float()));
const advantages = rand(-1, 1);
const oldLogprobs = rand(-3.2, -1.6);
const refLogprobs = rand(-3, -2);

/** Central finite differences of the loss w.r.t. sampled elements of every parameter (float64). */
async function checkLossGradients(model: ModelConfig, loss: PpoLossConfig, perParam: number): Promise<void> {
  const cfg = trainGraphConfig({ model, loss, dtype: 'float64' });
  const sess = await sessionOf(buildGradGraph(cfg));
  const params = Object.fromEntries(
    Object.entries(tinyParams(5, model)).map(([n, v]) => [n, Float64Array.from(v)]),
  );
  const batch: Record<string, ort.Tensor> = {
    input_ids: ids(rows),
    attention_mask: ids(attention),
    loss_mask: floats('float64', lossMask),
    advantages: floats('float64', advantages),
    old_logprobs: floats('float64', oldLogprobs),
    ref_logprobs: floats('float64', refLogprobs),
    num_tokens: new ort.Tensor('float64', Float64Array.of(numTokens), []),
  };
  const feeds = (p: Record<string, Float64Array>) => {
    const all = { ...paramFeeds(model, p, 'float64'), ...batch };
    return Object.fromEntries(sess.inputNames.map((n) => [n, all[n]!]));
  };
  const res = await sess.run(feeds(params));
  const lossAt = async (p: Record<string, Float64Array>) =>
    (await sess.run(feeds(p), ['loss'])).loss!.data[0] as number;
  const pick = Rng.seeded(3);
  const eps = 1e-5;
  for (const name of Object.keys(paramShapes(model))) {
    const grad = res[trainNames.grad(name)]!.data as Float64Array;
    for (let k = 0; k < perParam; k++) {
      const j = pick.int(0, params[name]!.length - 1);
      const shifted = (d: number) => {
        const copy = Float64Array.from(params[name]!);
        copy[j]! += d;
        return { ...params, [name]: copy };
      };
      const numeric = ((await lossAt(shifted(eps))) - (await lossAt(shifted(-eps)))) / (2 * eps);
      expect(Math.abs(grad[j]! - numeric), `${name}[${j}]: ${grad[j]} vs ${numeric}`).toBeLessThan(
        1e-7 + 1e-5 * Math.abs(numeric),
      );
    }
  }
}

/** The same batch in the response-window layout (padSequences'): one column per trained token. */
function windowFeeds(dtype: 'float64'): Record<string, ort.Tensor> {
  const cols = lossMask.map((m) => m.flatMap((x, t) => (t > 0 && x !== 0 ? [t] : [])));
  const R = Math.max(...cols.map((c) => c.length));
  // column j of row b: f at that row's j-th trained token, 0 on padding
  const pick = (f: (b: number, t: number) => number) =>
    cols.map((c, b) => Array.from({ length: R }, (_, j) => (j < c.length ? f(b, c[j]!) : 0)));
  const at = (x: number[][]) =>
    floats(
      dtype,
      pick((b, t) => x[b]![t]!),
    );
  return {
    target_index: ids(pick((b, t) => b * T + t - 1)),
    target_ids: ids(pick((b, t) => rows[b]![t]!)),
    loss_mask: at(lossMask),
    advantages: at(advantages),
    old_logprobs: at(oldLogprobs),
    ref_logprobs: at(refLogprobs),
  };
}

describe('the response window (what the Trainer runs)', () => {
  for (const [name, model, loss] of [
    ['cross-entropy', TINY, { ...DEFAULT_LOSS_CONFIG, kind: 'ce' }],
    [
      'PPO with entropy bonus and low_var_kl, tied head',
      modelConfig({ ...TINY, tieEmbeddings: true }),
      { ...DEFAULT_LOSS_CONFIG, entropyCoef: 0.1, klCoef: 0.5 },
    ],
  ] as const)
    it(`gives the full layout's loss, stats and gradients: ${name}`, async () => {
      const params = Object.fromEntries(
        Object.entries(tinyParams(5, model)).map(([n, v]) => [n, Float64Array.from(v)]),
      );
      const run = async (window: boolean, batch: Record<string, ort.Tensor>) => {
        const sess = await sessionOf(
          buildGradGraph(trainGraphConfig({ model, loss, dtype: 'float64', window })),
        );
        const all: Record<string, ort.Tensor> = {
          ...paramFeeds(model, params, 'float64'),
          input_ids: ids(rows),
          attention_mask: ids(attention),
          num_tokens: new ort.Tensor('float64', Float64Array.of(numTokens), []),
          ...batch,
        };
        return sess.run(Object.fromEntries(sess.inputNames.map((n) => [n, all[n]!])));
      };
      const full = await run(false, {
        loss_mask: floats('float64', lossMask),
        advantages: floats('float64', advantages),
        old_logprobs: floats('float64', oldLogprobs),
        ref_logprobs: floats('float64', refLogprobs),
      });
      const win = await run(true, windowFeeds('float64'));
      expect(Object.keys(win).sort()).toEqual(Object.keys(full).sort());
      for (const [k, t] of Object.entries(full)) {
        const [a, b] = [t.data as Float64Array, win[k]!.data as Float64Array];
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!), `${k}[${i}]`).toBeLessThan(1e-12);
      }
    });

  it("the window log-prob graph scores the full graph's response tokens", async () => {
    const p = Object.fromEntries(Object.entries(tinyParams(5)).map(([n, v]) => [n, Float64Array.from(v)]));
    const session = (window: boolean) =>
      ort.InferenceSession.create(
        G.compileGraph(
          buildLogprobGraph(TINY, { weights: 'inputs', dtype: 'float64', window, temperature: 0.7 }),
        ),
        { graphOptimizationLevel: 'basic' },
      );
    const base = { ...paramFeeds(TINY, p, 'float64'), input_ids: ids(rows), attention_mask: ids(attention) };
    const full = (await (await session(false)).run(base)).logprobs!.data as Float64Array;
    const w = windowFeeds('float64');
    const win = (
      await (await session(true)).run({ ...base, target_index: w.target_index!, target_ids: w.target_ids! })
    ).logprobs!.data as Float64Array;
    const index = Array.from(w.target_index!.data as BigInt64Array, Number);
    const mask = w.loss_mask!.data as Float64Array;
    let checked = 0;
    index.forEach((at, j) => {
      if (mask[j] === 0) return;
      expect(Math.abs(win[j]! - full[at + 1]!)).toBeLessThan(1e-12);
      checked++;
    });
    expect(checked).toBe(7);
  });
});

describe('train-step gradients against finite differences (float64, tiny model)', () => {
  it('one transformer block with cross-entropy', () =>
    checkLossGradients(modelConfig({ ...TINY, nLayers: 1 }), { ...DEFAULT_LOSS_CONFIG, kind: 'ce' }, 6));

  it('the full PPO loss (dual clip, entropy bonus, low_var_kl), two blocks, tied head', async () => {
    const loss: PpoLossConfig = { ...DEFAULT_LOSS_CONFIG, entropyCoef: 0.1, klCoef: 0.5 };
    await checkLossGradients(modelConfig({ ...TINY, tieEmbeddings: true }), loss, 4);
  });

  it('the PPO batch exercises both clipped and unclipped tokens', async () => {
    const cfg = trainGraphConfig({ model: TINY, dtype: 'float64' });
    const sess = await sessionOf(buildGradGraph(cfg));
    const p = Object.fromEntries(Object.entries(tinyParams(5)).map(([n, v]) => [n, Float64Array.from(v)]));
    const out = await sess.run({
      ...paramFeeds(TINY, p, 'float64'),
      input_ids: ids(rows),
      attention_mask: ids(attention),
      loss_mask: floats('float64', lossMask),
      advantages: floats('float64', advantages),
      old_logprobs: floats('float64', oldLogprobs),
      num_tokens: new ort.Tensor('float64', Float64Array.of(numTokens), []),
    });
    const clipfrac = out.clipfrac!.data[0] as number;
    expect(clipfrac).toBeGreaterThan(0);
    expect(clipfrac).toBeLessThan(1);
  });

  it("NaN old log-probs are the weights' own (on-policy): ratio 1, the gradient of feeding those log-probs", async () => {
    const cfg = trainGraphConfig({ model: TINY, dtype: 'float64' });
    const grad = await sessionOf(buildGradGraph(cfg));
    // basic optimisation: onnxruntime's QuickGelu fusion has no float64 kernel
    const lp = await ort.InferenceSession.create(
      G.compileGraph(buildLogprobGraph(TINY, { weights: 'inputs', dtype: 'float64' })),
      { graphOptimizationLevel: 'basic' },
    );
    const p = Object.fromEntries(Object.entries(tinyParams(5)).map(([n, v]) => [n, Float64Array.from(v)]));
    const params = paramFeeds(TINY, p, 'float64');
    const own = (await lp.run({ ...params, input_ids: ids(rows), attention_mask: ids(attention) })).logprobs!;
    const nan = floats(
      'float64',
      rows.map((r) => r.map(() => Number.NaN)),
    );
    const run = (old: ort.Tensor) =>
      grad.run({
        ...params,
        input_ids: ids(rows),
        attention_mask: ids(attention),
        loss_mask: floats('float64', lossMask),
        advantages: floats('float64', advantages),
        old_logprobs: old,
        num_tokens: new ort.Tensor('float64', Float64Array.of(numTokens), []),
      });
    const [onPolicy, fed] = [await run(nan), await run(own)];
    expect(Math.abs(onPolicy.approx_kl!.data[0] as number)).toBe(0);
    expect(onPolicy.clipfrac!.data[0]).toBe(0);
    expect(onPolicy.loss!.data[0] as number).toBeCloseTo(fed.loss!.data[0] as number, 12);
    for (const name of Object.keys(paramShapes(TINY))) {
      const [a, b] = [onPolicy, fed].map((r) => r[trainNames.grad(name)]!.data as Float64Array);
      a!.forEach((x, i) => {
        expect(Math.abs(x - b![i]!), name).toBeLessThan(1e-12);
      });
    }
  });
});
