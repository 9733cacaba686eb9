/**
 * Host-side state of training with the train-step graphs: parameters, AdamW
 * moments and the update count as plain Float32Arrays, the feeds that go in
 * and the update that comes back, and the learning-rate schedule (the graph
 * takes `lr` as an input, so any schedule works without recompiling).
 */
import { ConfigError } from '../util/errors.js';
import { initLora } from './lora.js';
import { initParams, type ModelConfig } from './model.js';
import { trainNames } from './train-step.js';
import { trainableShapes, type WeightSpec } from './weights.js';

/** A model config (every parameter trained) or a weight spec (with LoRA: the adapters are trained). */
export type Trainable = ModelConfig | WeightSpec;
const specOf = (t: Trainable): WeightSpec => ('model' in t ? t : { model: t });

/** A tensor as onnxruntime and the session helpers take it. */
export interface HostTensor {
  readonly type: 'float32' | 'int64';
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

/** What training updates: the trained tensors, both AdamW moments, and the number of updates applied. */
export interface TrainState {
  readonly params: Record<string, Float32Array>;
  readonly m: Record<string, Float32Array>;
  readonly v: Record<string, Float32Array>;
  /** Updates applied so far (skipped updates do not count). */
  readonly step: number;
}

/** Seeded initial trained tensors (the model's init, or PEFT's adapter init), zero moments. */
export function initTrainState(t: Trainable, seed: number): TrainState {
  const w = specOf(t);
  trainableShapes(w); // refuses inconsistent specs
  const params = w.lora ? initLora(w.model, w.lora, seed) : initParams(w.model, seed);
  const zeros = () =>
    Object.fromEntries(Object.entries(params).map(([n, p]) => [n, new Float32Array(p.length)]));
  return { params, m: zeros(), v: zeros(), step: 0 };
}

const f32 = (data: Float32Array, dims: readonly number[]): HostTensor => ({ type: 'float32', dims, data });

/** Parameter, moment, `step` (the next update's number) and `lr` feeds of the train-step and apply graphs. */
export function optimizerFeeds(t: Trainable, s: TrainState, lr: number): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const [n, dims] of Object.entries(trainableShapes(specOf(t)))) {
    const p = s.params[n];
    if (!p) throw new ConfigError(`train state has no parameter '${n}'`);
    feeds[n] = f32(p, dims);
    feeds[trainNames.m(n)] = f32(s.m[n]!, dims);
    feeds[trainNames.v(n)] = f32(s.v[n]!, dims);
  }
  feeds.step = f32(Float32Array.of(s.step + 1), []);
  feeds.lr = f32(Float32Array.of(lr), []);
  return feeds;
}

/** The state after a train-step or apply graph ran; `skipped` when the gradient norm was not finite. */
export function applyUpdate(
  s: TrainState,
  outputs: Readonly<Record<string, { readonly data: unknown }>>,
): { state: TrainState; skipped: boolean } {
  const get = (name: string): Float32Array => {
    const t = outputs[name];
    if (!t || !(t.data instanceof Float32Array))
      throw new ConfigError(`train-step output '${name}' is missing`);
    return t.data;
  };
  const skipped = Boolean((outputs.skipped?.data as ArrayLike<number | boolean> | undefined)?.[0]);
  const next = (f: (n: string) => string) =>
    Object.fromEntries(Object.keys(s.params).map((n) => [n, get(trainNames.next(f(n)))]));
  const state = {
    params: next((n) => n),
    m: next(trainNames.m),
    v: next(trainNames.v),
    step: s.step + (skipped ? 0 : 1),
  };
  return { state, skipped };
}

/** Learning-rate schedule: constant, or linear warmup then cosine decay. */
export type LrSchedule =
  | { readonly kind: 'constant'; readonly lr: number }
  /** Linear warmup from 0 to `lr` over `warmupSteps`, then cosine decay to `minLr` at `totalSteps`. */
  | {
      readonly kind: 'cosine';
      readonly lr: number;
      readonly warmupSteps: number;
      readonly totalSteps: number;
      readonly minLr: number;
    };

/** Learning rate of update number `step` (1-based). */
export function lrAt(schedule: LrSchedule, step: number): number {
  if (schedule.kind === 'constant') return schedule.lr;
  const { lr, warmupSteps, totalSteps, minLr } = schedule;
  if (step <= warmupSteps) return (lr * step) / Math.max(warmupSteps, 1);
  const t = Math.min((step - warmupSteps) / Math.max(totalSteps - warmupSteps, 1), 1);
  return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * t));
}
