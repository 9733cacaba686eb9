/**
 * AdamW as graph ops, with torch.optim.AdamW semantics (decoupled weight
 * decay, bias correction), preceded by global grad-norm clipping
 * (torch.nn.utils.clip_grad_norm_) and skipped when the norm is not finite
 * (verl's _optimizer_step): then every output equals its input and
 * `skipped` is true, and the caller must not advance the step count.
 */
import * as G from './graph/index.js';

/** AdamW hyper-parameters of the train-step graph (betas, epsilon, decoupled weight decay, gradient-norm clip). */
export interface AdamWConfig {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Decoupled weight decay (verl 0.01). */
  readonly weightDecay: number;
  /** Which parameters decay: 'all' (torch/verl: every parameter given to the optimizer) or 'matrices' (rank >= 2). */
  readonly decay: 'all' | 'matrices';
  /** Global grad-norm clip (verl 1.0); Infinity disables clipping. */
  readonly maxGradNorm: number;
}

/** torch/verl defaults: betas 0.9/0.999, eps 1e-8, weight decay 0.01 on every parameter, gradients clipped to norm 1. */
export const DEFAULT_ADAMW_CONFIG: AdamWConfig = {
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
  decay: 'all',
  maxGradNorm: 1.0,
};

/** Graph tensors one AdamW update reads: parameters, gradients, both moments, the update number and the learning rate. */
export interface AdamWInputs {
  readonly params: Readonly<Record<string, G.Tensor>>;
  readonly grads: Readonly<Record<string, G.Tensor>>;
  readonly m: Readonly<Record<string, G.Tensor>>;
  readonly v: Readonly<Record<string, G.Tensor>>;
  /** Scalar: the number t >= 1 of this update (for bias correction). */
  readonly step: G.Tensor;
  /** Scalar learning rate (an input, so schedules need no recompile). */
  readonly lr: G.Tensor;
}

/** Graph tensors one AdamW update produces: new parameters and moments, the gradient norm, and whether the update was skipped. */
export interface AdamWOutputs {
  params: Record<string, G.Tensor>;
  m: Record<string, G.Tensor>;
  v: Record<string, G.Tensor>;
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: G.Tensor;
  /** True when the norm was not finite and nothing was updated. */
  skipped: G.Tensor;
}

/** Builds one AdamW step into the graph: global-norm clipping, bias-corrected moments, decoupled decay; a non-finite gradient norm leaves everything unchanged (`skipped`). */
export function adamwUpdate(cfg: AdamWConfig, x: AdamWInputs): AdamWOutputs {
  const names = Object.keys(x.params);
  const sq = names.map((n) => G.sumAll(G.mul(x.grads[n]!, x.grads[n]!)));
  const gradNorm = G.sqrt(sq.reduce((a, b) => G.add(a, b)));
  const finite = G.equal(G.sub(gradNorm, gradNorm), 0); // inf - inf and NaN - NaN are NaN
  const scale = Number.isFinite(cfg.maxGradNorm)
    ? G.minimum(G.div(G.scalar(cfg.maxGradNorm, gradNorm.dtype), G.add(gradNorm, 1e-6)), 1)
    : G.scalar(1, gradNorm.dtype);
  // Bias corrections 1 - beta^t, with beta^t = exp(t * ln beta).
  const bc1 = G.sub(1, G.exp(G.mul(x.step, Math.log(cfg.beta1))));
  const bc2 = G.sub(1, G.exp(G.mul(x.step, Math.log(cfg.beta2))));
  const stepSize = G.div(x.lr, bc1);
  const bc2Sqrt = G.sqrt(bc2);
  const decayFactor = G.sub(1, G.mul(x.lr, cfg.weightDecay));

  const out: AdamWOutputs = { params: {}, m: {}, v: {}, gradNorm, skipped: G.not(finite) };
  for (const n of names) {
    const p = x.params[n]!;
    const g = G.mul(x.grads[n]!, scale);
    const decays = cfg.weightDecay !== 0 && (cfg.decay === 'all' || p.rank >= 2);
    const pd = decays ? G.mul(p, decayFactor) : p;
    const m = G.add(G.mul(x.m[n]!, cfg.beta1), G.mul(g, 1 - cfg.beta1));
    const v = G.add(G.mul(x.v[n]!, cfg.beta2), G.mul(G.mul(g, g), 1 - cfg.beta2));
    const denom = G.add(G.div(G.sqrt(v), bc2Sqrt), cfg.eps);
    const np = G.sub(pd, G.mul(stepSize, G.div(m, denom)));
    out.params[n] = G.where(finite, np, p);
    out.m[n] = G.where(finite, m, x.m[n]!);
    out.v[n] = G.where(finite, v, x.v[n]!);
  }
  return out;
}
