/**
 * Train-step graphs for the built-in model.
 *
 * - `buildTrainStepGraph`: one fused step (forward, loss, backward, clip, AdamW).
 * - Gradient accumulation over micro-batches: run `buildGradGraph` on each
 *   micro-batch with `num_tokens` = the valid tokens of the whole mini-batch,
 *   add the `grad.*` outputs (and the scalar stats) elementwise on the host,
 *   then run `buildApplyGraph` once. The sum equals the mini-batch's token-mean gradient.
 *
 * Names: parameters keep their HF names; AdamW moments are `adam.m.<name>` and
 * `adam.v.<name>`; gradients `grad.<name>`; updated tensors are prefixed `new.`.
 * Batch inputs: input_ids, attention_mask [batch, seq] (int64); loss_mask,
 * advantages, old_logprobs, ref_logprobs (float32) [batch, seq] with column 0
 * ignored, or with `window` [batch, resp]: one column per response token, plus
 * `target_index` (int64, the flat index b·seq + t of the position that predicts
 * it: the token's own position − 1) and `target_ids` (int64, the token). The
 * window scores only the response tokens: the LM head, log-softmax and their
 * gradients run on [batch, resp] rows, not [batch, seq] (a play turn's reply is
 * ~5 tokens after a ~250-token prompt). Same loss and gradients (a test checks).
 * Scalars: `step` (t >= 1 of this update, float32), `lr` (float32).
 */
import { type AdamWConfig, adamwUpdate, DEFAULT_ADAMW_CONFIG } from './adamw.js';
import * as G from './graph/index.js';
import type { LoraConfig } from './lora.js';
import { buildLoss, DEFAULT_LOSS_CONFIG, type PpoLossConfig, scoredTokens, shiftTokens } from './loss.js';
import { DEFAULT_MODEL_CONFIG, type ModelConfig } from './model.js';
import { type FrozenWeights, type ModelTensors, modelTensors, trainableShapes } from './weights.js';

/** Graph input/output names of the train-step graph: AdamW moments, gradients, and updated tensors of a parameter. */
export const trainNames = {
  m: (p: string) => `adam.m.${p}`,
  v: (p: string) => `adam.v.${p}`,
  grad: (p: string) => `grad.${p}`,
  next: (n: string) => `new.${n}`,
} as const;

/** What the train-step graphs are built from: model, loss, optimiser, dtype, frozen weights and LoRA. */
export interface TrainGraphConfig {
  readonly model: ModelConfig;
  readonly loss: PpoLossConfig;
  readonly optim: AdamWConfig;
  /** float32 for training; float64 for gradient checks. */
  readonly dtype?: 'float32' | 'float64';
  /** Also output the scored `logits`: [batch, seq, vocab], or [batch, resp, vocab] with `window` (grad graph; for checks). */
  readonly outputLogits?: boolean;
  /** Score the response window only (`target_index`, `target_ids`; [batch, resp] loss inputs): what the Trainer feeds. */
  readonly window?: boolean;
  /** PPO scores tokens under softmax(logits / temperature) (the rollouts'; default 1). CE ignores it. */
  readonly temperature?: number;
  /** Weights that are not trained (a checkpoint's, as external constants); needs `lora`. */
  readonly frozen?: FrozenWeights;
  /** Train LoRA adapters (inputs `<module>.lora_A.weight`, ...) over the frozen weights instead of the weights. */
  readonly lora?: LoraConfig;
}

/** A {@link TrainGraphConfig} from the defaults (built-in model, PPO loss, AdamW) and `overrides`. */
export function trainGraphConfig(overrides: Partial<TrainGraphConfig> = {}): TrainGraphConfig {
  return {
    model: DEFAULT_MODEL_CONFIG,
    loss: DEFAULT_LOSS_CONFIG,
    optim: DEFAULT_ADAMW_CONFIG,
    ...overrides,
  };
}

interface Batch {
  inputs: G.Tensor[];
  inputIds: G.Tensor;
  attentionMask: G.Tensor;
  /** With `window`: [batch, resp] flat positions predicting each response token, and the tokens. */
  targetIndex?: G.Tensor;
  targetIds?: G.Tensor;
  lossMask: G.Tensor;
  advantages?: G.Tensor;
  oldLogprobs?: G.Tensor;
  refLogprobs?: G.Tensor;
}

function batchInputs(cfg: TrainGraphConfig): Batch {
  const dt = cfg.dtype ?? 'float32';
  const bs = cfg.window ? ['batch', 'resp'] : ['batch', 'seq'];
  const b: Batch = {
    inputIds: G.input('input_ids', 'int64', ['batch', 'seq']),
    attentionMask: G.input('attention_mask', 'int64', ['batch', 'seq']),
    lossMask: G.input('loss_mask', dt, bs),
    inputs: [],
  };
  if (cfg.window) {
    b.targetIndex = G.input('target_index', 'int64', bs);
    b.targetIds = G.input('target_ids', 'int64', bs);
  }
  if (cfg.loss.kind === 'ppo') {
    b.advantages = G.input('advantages', dt, bs);
    b.oldLogprobs = G.input('old_logprobs', dt, bs);
    if (cfg.loss.klCoef > 0) b.refLogprobs = G.input('ref_logprobs', dt, bs);
  }
  b.inputs = [
    b.inputIds,
    b.attentionMask,
    b.targetIndex,
    b.targetIds,
    b.lossMask,
    b.advantages,
    b.oldLogprobs,
    b.refLogprobs,
  ].filter((t): t is G.Tensor => t !== undefined);
  return b;
}

function lossOf(cfg: TrainGraphConfig, m: ModelTensors, b: Batch, numTokens: G.Tensor) {
  const temperature = cfg.loss.kind === 'ppo' ? cfg.temperature : 1;
  const s = scoredTokens(cfg.model, m.params, b, temperature, m.lora);
  const aligned = (t: G.Tensor | undefined) => (t ? s.align(t) : undefined);
  const stats = buildLoss(cfg.loss, {
    logprobs: s.logprobs,
    entropy: s.entropy,
    lossMask: s.align(b.lossMask),
    numTokens,
    ...(b.advantages ? { advantages: aligned(b.advantages)! } : {}),
    ...(b.oldLogprobs ? { oldLogprobs: aligned(b.oldLogprobs)! } : {}),
    ...(b.refLogprobs ? { refLogprobs: aligned(b.refLogprobs)! } : {}),
  });
  return { logits: s.logits, stats };
}

function gradsOf(params: Record<string, G.Tensor>, loss: G.Tensor): Record<string, G.Tensor> {
  const names = Object.keys(params);
  const gs = G.gradients(
    loss,
    names.map((n) => params[n]!),
  );
  return Object.fromEntries(names.map((n, i) => [n, gs[i] ?? G.mul(params[n]!, 0)]));
}

/** The model's tensors and, of its weight inputs, the trained ones (adapters with LoRA, else all). */
function trained(cfg: TrainGraphConfig): { m: ModelTensors; params: Record<string, G.Tensor> } {
  const m = modelTensors(cfg, cfg.dtype);
  const params = Object.fromEntries(Object.keys(trainableShapes(cfg)).map((n) => [n, m.inputs[n]!]));
  return { m, params };
}

/** Gradients of one micro-batch (token means divided by the `num_tokens` input) and its stats. */
export function buildGradGraph(cfg: TrainGraphConfig): G.GraphSpec {
  const { m, params } = trained(cfg);
  const b = batchInputs(cfg);
  const numTokens = G.input('num_tokens', cfg.dtype ?? 'float32', []);
  const { logits, stats } = lossOf(cfg, m, b, numTokens);
  const grads = gradsOf(params, stats.loss);
  const outputs: Record<string, G.Tensor> = { ...stats, ...(cfg.outputLogits ? { logits } : {}) };
  for (const [n, g] of Object.entries(grads)) outputs[trainNames.grad(n)] = g;
  return { name: 'grad_step', inputs: [...Object.values(m.inputs), ...b.inputs, numTokens], outputs };
}

function optimizerInputs(cfg: TrainGraphConfig, params?: Record<string, G.Tensor>) {
  const dt = cfg.dtype ?? 'float32';
  const shapes = trainableShapes(cfg);
  const make = (f: (n: string) => string) =>
    Object.fromEntries(Object.entries(shapes).map(([n, s]) => [n, G.input(f(n), dt, s)]));
  return {
    params: params ?? make((n) => n),
    m: make(trainNames.m),
    v: make(trainNames.v),
    step: G.input('step', dt, []),
    lr: G.input('lr', dt, []),
  };
}

function updateOutputs(o: ReturnType<typeof adamwUpdate>): Record<string, G.Tensor> {
  const out: Record<string, G.Tensor> = {};
  for (const n of Object.keys(o.params)) {
    out[trainNames.next(n)] = o.params[n]!;
    out[trainNames.next(trainNames.m(n))] = o.m[n]!;
    out[trainNames.next(trainNames.v(n))] = o.v[n]!;
  }
  return { ...out, grad_norm: o.gradNorm, skipped: o.skipped };
}

/** Clip + AdamW over accumulated gradients `grad.<name>`. */
export function buildApplyGraph(cfg: TrainGraphConfig): G.GraphSpec {
  const o = optimizerInputs(cfg);
  const grads = Object.fromEntries(
    Object.entries(o.params).map(([n, p]) => [n, G.input(trainNames.grad(n), p.dtype, p.shape)]),
  );
  const upd = adamwUpdate(cfg.optim, { ...o, grads });
  const inputs = [...Object.values(o.params), ...Object.values(o.m), ...Object.values(o.v)];
  return {
    name: 'apply_step',
    inputs: [...inputs, ...Object.values(grads), o.step, o.lr],
    outputs: updateOutputs(upd),
  };
}

/** One fused train step: forward, loss, backward, grad-norm clip, AdamW. */
export function buildTrainStepGraph(cfg: TrainGraphConfig): G.GraphSpec {
  const t = trained(cfg);
  const o = optimizerInputs(cfg, t.params);
  const b = batchInputs(cfg);
  const numTokens = G.maximum(G.sumAll(cfg.window ? b.lossMask : shiftTokens(b.lossMask)), 1);
  const { stats } = lossOf(cfg, t.m, b, numTokens);
  const upd = adamwUpdate(cfg.optim, { ...o, grads: gradsOf(o.params, stats.loss) });
  const inputs = [...Object.values(t.m.inputs), ...Object.values(o.m), ...Object.values(o.v)];
  return {
    name: 'train_step',
    inputs: [...inputs, o.step, o.lr, ...b.inputs],
    outputs: { ...stats, ...updateOutputs(upd) },
  };
}
