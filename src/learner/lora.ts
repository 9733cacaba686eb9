/**
 * LoRA adapters (PEFT's LoraLayer for nn.Linear): each adapted projection
 * computes W x + b + scale · B A x, with A [r, in] and B [out, r] the only
 * trained tensors, scale = alpha / r (alpha / √r with rsLoRA). Names are our
 * parameter names with PEFT's suffixes (`model.layers.0.self_attn.q_proj.lora_A.weight`;
 * the PEFT file prefixes `base_model.model.`, peft.ts). Init as PEFT's default:
 * A kaiming-uniform (a = √5, so bound 1/√in), B zero, so a fresh adapter
 * leaves the model's outputs exactly as they were.
 */
import { ConfigError } from '../util/errors.js';
import { deriveSeed, Rng } from '../util/rng.js';
import * as G from './graph/index.js';
import type { LoraTensors } from './model.js';
import { type ModelConfig, projections } from './model-config.js';

/** The projections LoRA can adapt: attention q/k/v/o and MLP gate/up/down. */
export const LORA_TARGETS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
/** One of {@link LORA_TARGETS}. */
export type LoraTarget = (typeof LORA_TARGETS)[number];

/** The projection each target names (HF module names; PEFT's `target_modules` are their last part). */
export const LORA_MODULES: Record<LoraTarget, string> = {
  q: 'self_attn.q_proj',
  k: 'self_attn.k_proj',
  v: 'self_attn.v_proj',
  o: 'self_attn.o_proj',
  gate: 'mlp.gate_proj',
  up: 'mlp.up_proj',
  down: 'mlp.down_proj',
};

/** LoRA adapters: rank, alpha (scale alpha / r, or alpha / √r with rsLoRA), and which projections get one. */
export interface LoraConfig {
  /** r: the adapters' inner width. */
  readonly rank: number;
  /** Scale numerator: the update is (alpha / r) · B A x. */
  readonly alpha: number;
  /** Which projections get an adapter (default all seven). */
  readonly targets: readonly LoraTarget[];
  /** rsLoRA: scale alpha / √r instead of alpha / r. */
  readonly rslora: boolean;
}

/** A validated LoRA config; alpha defaults to 2 · rank (a common choice that keeps the update's scale at 2). */
export function loraConfig(input: Partial<LoraConfig> & { rank: number }): LoraConfig {
  const c: LoraConfig = {
    rank: input.rank,
    alpha: input.alpha ?? 2 * input.rank,
    targets: input.targets ?? LORA_TARGETS,
    rslora: input.rslora ?? false,
  };
  if (!Number.isInteger(c.rank) || c.rank < 1)
    throw new ConfigError(`lora.rank must be a positive integer, got ${c.rank}`);
  if (!(Number.isFinite(c.alpha) && c.alpha > 0))
    throw new ConfigError(`lora.alpha must be a positive number, got ${c.alpha}`);
  if (c.targets.length === 0) throw new ConfigError('lora.targets must name at least one projection');
  for (const t of c.targets)
    if (!LORA_TARGETS.includes(t))
      throw new ConfigError(
        `lora.targets: "${t}" is not a projection; choose from ${LORA_TARGETS.join(', ')}`,
      );
  return c;
}

export const loraScale = (l: LoraConfig): number =>
  l.rslora ? l.alpha / Math.sqrt(l.rank) : l.alpha / l.rank;

/** `model.layers.{i}.{module}` of every adapted projection, in layer order. */
export function loraModules(c: ModelConfig, l: LoraConfig): { name: string; out: number; in: number }[] {
  const shapes = projections(c);
  const out: { name: string; out: number; in: number }[] = [];
  for (let i = 0; i < c.nLayers; i++)
    for (const t of LORA_TARGETS)
      if (l.targets.includes(t)) {
        const [o, inn] = shapes[LORA_MODULES[t]]!;
        out.push({ name: `model.layers.${i}.${LORA_MODULES[t]}`, out: o, in: inn });
      }
  return out;
}

/** Adapter tensor names and shapes: `<module>.lora_A.weight` [r, in], `<module>.lora_B.weight` [out, r]. */
export function loraShapes(c: ModelConfig, l: LoraConfig): Record<string, number[]> {
  const s: Record<string, number[]> = {};
  for (const m of loraModules(c, l)) {
    s[`${m.name}.lora_A.weight`] = [l.rank, m.in];
    s[`${m.name}.lora_B.weight`] = [m.out, l.rank];
  }
  return s;
}

/** PEFT's default init from a seed: A uniform(±1/√in) (kaiming_uniform_, a = √5), B zero. */
export function initLora(c: ModelConfig, l: LoraConfig, seed: number): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const m of loraModules(c, l)) {
    const rng = Rng.seeded(deriveSeed(seed, 'lora', m.name));
    const bound = 1 / Math.sqrt(m.in);
    out[`${m.name}.lora_A.weight`] = Float32Array.from(
      { length: l.rank * m.in },
      () => (2 * rng.float() - 1) * bound,
    );
    out[`${m.name}.lora_B.weight`] = new Float32Array(m.out * l.rank);
  }
  return out;
}

/** The adapters as graph inputs (named by their tensor names), for the forward's `lora`. */
export function loraInputs(
  c: ModelConfig,
  l: LoraConfig,
  dtype: 'float32' | 'float64' = 'float32',
): { lora: LoraTensors; inputs: Record<string, G.Tensor> } {
  const inputs = Object.fromEntries(
    Object.entries(loraShapes(c, l)).map(([n, s]) => [n, G.input(n, dtype, s)]),
  );
  return { lora: { scale: loraScale(l), tensors: inputs }, inputs };
}

/** W + scale · B A for every adapted projection: the merged weights (`lamer export --merge`). */
export function mergeLora(
  c: ModelConfig,
  l: LoraConfig,
  params: Readonly<Record<string, Float32Array>>,
  adapters: Readonly<Record<string, Float32Array>>,
): Record<string, Float32Array> {
  const out = { ...params };
  const scale = loraScale(l);
  const r = l.rank;
  for (const m of loraModules(c, l)) {
    const a = adapters[`${m.name}.lora_A.weight`]!;
    const b = adapters[`${m.name}.lora_B.weight`]!;
    const w = Float32Array.from(params[`${m.name}.weight`]!);
    for (let o = 0; o < m.out; o++)
      for (let k = 0; k < r; k++) {
        const bok = scale * b[o * r + k]!;
        if (bok === 0) continue;
        for (let i = 0; i < m.in; i++) w[o * m.in + i]! += bok * a[k * m.in + i]!;
      }
    out[`${m.name}.weight`] = w;
  }
  return out;
}
