import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ADAMW_CONFIG } from '../../src/learner/adamw.js';
import { buildLogprobGraph } from '../../src/learner/inference.js';
import { DEFAULT_LOSS_CONFIG } from '../../src/learner/loss.js';
import { modelConfig, paramShapes } from '../../src/learner/model.js';
import {
  applyUpdate,
  initTrainState,
  lrAt,
  optimizerFeeds,
  type TrainState,
} from '../../src/learner/train-state.js';
import {
  buildApplyGraph,
  buildGradGraph,
  buildTrainStepGraph,
  trainGraphConfig,
  trainNames,
} from '../../src/learner/train-step.js';
import { Rng } from '../../src/util/rng.js';
import { floats, ids, sessionOf, TINY } from './tiny.js';

const ortFeeds = (
  feeds: Record<string, { type: string; dims: readonly number[]; data: Float32Array | BigInt64Array }>,
) =>
  Object.fromEntries(
    Object.entries(feeds).map(([n, t]) => [n, new ort.Tensor(t.type as 'float32', t.data, t.dims)]),
  );
const scalar = (x: number) => new ort.Tensor('float32', Float32Array.of(x), []);

describe('AdamW apply graph', () => {
  it('matches torch.optim.AdamW with clip_grad_norm_, and skips a non-finite gradient', async () => {
    const optim = { ...DEFAULT_ADAMW_CONFIG, weightDecay: 0.1 };
    const sess = await sessionOf(buildApplyGraph(trainGraphConfig({ model: TINY, optim })));
    const rng = Rng.seeded(4);
    let state: TrainState = initTrainState(TINY, 9);
    // Reference in float64, written from torch's single-tensor AdamW.
    const ref = Object.fromEntries(
      Object.entries(state.params).map(([n, p]) => [
        n,
        { p: Float64Array.from(p), m: new Float64Array(p.length), v: new Float64Array(p.length) },
      ]),
    );
    const lr = 0.01;
    for (const [t, gscale] of [
      [1, 0.01],
      [2, 1],
      [3, 0.05],
    ] as const) {
      const grads = Object.fromEntries(
        Object.entries(state.params).map(([n, p]) => [
          n,
          Float32Array.from(p, () => gscale * (rng.float() - 0.5)),
        ]),
      );
      const gradFeeds = Object.fromEntries(
        Object.entries(paramShapes(TINY)).map(([n, s]) => [
          trainNames.grad(n),
          new ort.Tensor('float32', grads[n]!, s),
        ]),
      );
      const out = await sess.run({ ...ortFeeds(optimizerFeeds(TINY, state, lr)), ...gradFeeds });
      const norm = Math.sqrt(Object.values(grads).reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0));
      expect(out.grad_norm!.data[0]).toBeCloseTo(norm, 5);
      const coef = Math.min(optim.maxGradNorm / (norm + 1e-6), 1);
      for (const [n, r] of Object.entries(ref))
        r.p.forEach((_, i) => {
          const g = grads[n]![i]! * coef;
          r.p[i] = r.p[i]! * (1 - lr * optim.weightDecay);
          r.m[i] = optim.beta1 * r.m[i]! + (1 - optim.beta1) * g;
          r.v[i] = optim.beta2 * r.v[i]! + (1 - optim.beta2) * g * g;
          const denom = Math.sqrt(r.v[i]!) / Math.sqrt(1 - optim.beta2 ** t) + optim.eps;
          r.p[i] = r.p[i]! - (lr / (1 - optim.beta1 ** t)) * (r.m[i]! / denom);
        });
      const next = applyUpdate(state, out);
      expect(next.skipped).toBe(false);
      state = next.state;
      for (const [n, r] of Object.entries(ref)) {
        const got = state.params[n]!;
        const worst = r.p.reduce((w, x, i) => Math.max(w, Math.abs(got[i]! - x)), 0);
        expect(worst, n).toBeLessThan(2e-6);
      }
    }
    expect(state.step).toBe(3);
    // A NaN gradient: nothing changes and the step count stays.
    const bad = Object.fromEntries(
      Object.entries(paramShapes(TINY)).map(([n, s], k) => {
        const g = new Float32Array(state.params[n]!.length);
        if (k === 2) g[0] = Number.NaN;
        return [trainNames.grad(n), new ort.Tensor('float32', g, s)];
      }),
    );
    const out = await sess.run({ ...ortFeeds(optimizerFeeds(TINY, state, lr)), ...bad });
    const next = applyUpdate(state, out);
    expect(next.skipped).toBe(true);
    expect(next.state.step).toBe(3);
    for (const n of Object.keys(state.params)) {
      expect(next.state.params[n]).toEqual(state.params[n]);
      expect(next.state.m[n]).toEqual(state.m[n]);
    }
  });

  it('learning-rate schedules', () => {
    expect(lrAt({ kind: 'constant', lr: 1e-3 }, 50)).toBe(1e-3);
    const cos = { kind: 'cosine', lr: 1, warmupSteps: 10, totalSteps: 110, minLr: 0.1 } as const;
    expect(lrAt(cos, 5)).toBeCloseTo(0.5);
    expect(lrAt(cos, 10)).toBeCloseTo(1);
    expect(lrAt(cos, 60)).toBeCloseTo(0.55);
    expect(lrAt(cos, 500)).toBeCloseTo(0.1);
  });
});

const SMALL = modelConfig({ vocabSize: 16, dModel: 32, nLayers: 2, nHeads: 2, ffnHidden: 64, maxSeqLen: 32 });

describe('training the tiny model', () => {
  it('overfits a fixed batch with cross-entropy: loss falls by >= 90% within 80 steps', async () => {
    const cfg = trainGraphConfig({
      model: SMALL,
      loss: { ...DEFAULT_LOSS_CONFIG, kind: 'ce' },
      optim: { ...DEFAULT_ADAMW_CONFIG, weightDecay: 0 },
    });
    const sess = await sessionOf(buildTrainStepGraph(cfg));
    const rng = Rng.seeded(21);
    const rows = Array.from({ length: 4 }, () => Array.from({ length: 12 }, () => rng.int(0, 15)));
    const ones = rows.map((r) => r.map(() => 1));
    const batch = { input_ids: ids(rows), attention_mask: ids(ones), loss_mask: floats('float32', ones) };
    let state = initTrainState(SMALL, 1);
    const losses: number[] = [];
    for (let i = 0; i < 80; i++) {
      const out = await sess.run({ ...ortFeeds(optimizerFeeds(SMALL, state, 1e-2)), ...batch });
      losses.push(out.loss!.data[0] as number);
      state = applyUpdate(state, out).state;
    }
    expect(losses[0]).toBeGreaterThan(2); // about ln 16
    expect(losses[losses.length - 1]!).toBeLessThan(0.1 * losses[0]!);
  });

  it('a PPO step moves log-probs in the sign of the advantages', async () => {
    const cfg = trainGraphConfig({ model: SMALL });
    const step = await sessionOf(buildTrainStepGraph(cfg));
    const lp = await sessionOf(buildLogprobGraph(SMALL, { weights: 'inputs' }));
    const rows = [
      [1, 2, 3, 4, 5, 6, 7, 8],
      [1, 2, 3, 9, 10, 11, 12, 13],
    ];
    const ones = rows.map((r) => r.map(() => 1));
    const response = rows.map((r) => r.map((_, t) => (t >= 3 ? 1 : 0)));
    const adv = [response[0]!.map((m) => m), response[1]!.map((m) => -m)];
    let state = initTrainState(SMALL, 2);
    const logprobs = async (s: TrainState) => {
      const feeds = ortFeeds(optimizerFeeds(SMALL, s, 0));
      const params = Object.fromEntries(Object.keys(paramShapes(SMALL)).map((n) => [n, feeds[n]!]));
      return (await lp.run({ ...params, input_ids: ids(rows), attention_mask: ids(ones) })).logprobs!
        .data as Float32Array;
    };
    const old = await logprobs(state);
    const out = await step.run({
      ...ortFeeds(optimizerFeeds(SMALL, state, 1e-3)),
      input_ids: ids(rows),
      attention_mask: ids(ones),
      loss_mask: floats('float32', response),
      advantages: floats('float32', adv),
      old_logprobs: new ort.Tensor('float32', old, [2, 8]),
    });
    // On-policy first step: ratio 1, nothing clipped, no KL yet.
    expect(out.clipfrac!.data[0]).toBe(0);
    expect(Math.abs(out.approx_kl!.data[0] as number)).toBeLessThan(1e-6);
    state = applyUpdate(state, out).state;
    const now = await logprobs(state);
    for (let t = 3; t < 8; t++) {
      expect(now[t]! - old[t]!, `row 0 token ${t}`).toBeGreaterThan(0);
      expect(now[8 + t]! - old[8 + t]!, `row 1 token ${t}`).toBeLessThan(0);
    }
  });

  it('the fused step skips the update when the loss is not finite', async () => {
    const sess = await sessionOf(buildTrainStepGraph(trainGraphConfig({ model: TINY })));
    const state = initTrainState(TINY, 6);
    const rows = [[1, 2, 3, 4]];
    const out = await sess.run({
      ...ortFeeds(optimizerFeeds(TINY, state, 1e-2)),
      input_ids: ids(rows),
      attention_mask: ids([[1, 1, 1, 1]]),
      loss_mask: floats('float32', [[0, 1, 1, 1]]),
      advantages: floats('float32', [[0, 1, Number.NaN, 1]]),
      old_logprobs: floats('float32', [[0, -2, -2, -2]]),
    });
    const next = applyUpdate(state, out);
    expect(next.skipped).toBe(true);
    expect(next.state.step).toBe(0);
    for (const n of Object.keys(state.params)) expect(next.state.params[n]).toEqual(state.params[n]);
  });

  it('gradient accumulation over micro-batches equals one fused step', async () => {
    const cfg = trainGraphConfig({ model: TINY });
    const fused = await sessionOf(buildTrainStepGraph(cfg));
    const grad = await sessionOf(buildGradGraph(cfg));
    const apply = await sessionOf(buildApplyGraph(cfg));
    const rows = [
      [3, 1, 4, 1, 5, 9],
      [2, 6, 5, 3, 5, 8],
    ];
    const attn = [
      [1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 0],
    ];
    const mask = [
      [0, 0, 1, 1, 1, 1],
      [0, 1, 1, 1, 1, 0],
    ];
    const adv = [
      [0, 0, 1, 1, 1, 1],
      [0, -1, -1, -1, -1, 0],
    ];
    const old = [
      [0, -2, -2.5, -2, -3, -2],
      [0, -2.2, -2.4, -2.3, -2, 0],
    ];
    const state = initTrainState(TINY, 4);
    const opt = ortFeeds(optimizerFeeds(TINY, state, 1e-2));
    const batch = (r: number[]) => ({
      input_ids: ids(r.map((i) => rows[i]!)),
      attention_mask: ids(r.map((i) => attn[i]!)),
      loss_mask: floats(
        'float32',
        r.map((i) => mask[i]!),
      ),
      advantages: floats(
        'float32',
        r.map((i) => adv[i]!),
      ),
      old_logprobs: floats(
        'float32',
        r.map((i) => old[i]!),
      ),
    });
    const whole = await fused.run({ ...opt, ...batch([0, 1]) });
    const params = Object.fromEntries(Object.keys(paramShapes(TINY)).map((n) => [n, opt[n]!]));
    const sums: Record<string, Float32Array> = {};
    let loss = 0;
    for (const r of [[0], [1]]) {
      const out = await grad.run({ ...params, ...batch(r), num_tokens: scalar(8) });
      loss += out.loss!.data[0] as number;
      for (const n of Object.keys(params)) {
        const g = out[trainNames.grad(n)]!.data as Float32Array;
        sums[n] = sums[n] ? sums[n]!.map((x, i) => x + g[i]!) : Float32Array.from(g);
      }
    }
    expect(loss).toBeCloseTo(whole.loss!.data[0] as number, 5);
    const gradFeeds = Object.fromEntries(
      Object.entries(paramShapes(TINY)).map(([n, s]) => [
        trainNames.grad(n),
        new ort.Tensor('float32', sums[n]!, s),
      ]),
    );
    const applied = await apply.run({ ...opt, ...gradFeeds });
    expect(applied.grad_norm!.data[0]).toBeCloseTo(whole.grad_norm!.data[0] as number, 5);
    for (const n of Object.keys(params)) {
      const a = applied[trainNames.next(n)]!.data as Float32Array;
      const b = whole[trainNames.next(n)]!.data as Float32Array;
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-6);
    }
  });
});
