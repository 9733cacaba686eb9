/**
 * The served model's side of `lamer serve --enable-lora` (adapters.ts keeps the names): LoRA
 * adapters read from PEFT folders, kept in memory, and put in place before the batch that names
 * them. The generation graph has one LoRA slot of a fixed shape, vLLM's `--max-lora-rank` with
 * every projection adapted; an adapter of a smaller rank or fewer targets is written into it with
 * zeros elsewhere (its B scaled so that scale · B A is unchanged), so any adapter up to the slot's
 * rank runs on one compiled graph and swapping adapters moves megabytes, never the model.
 */

import { LORA_TARGETS, type LoraConfig, loraConfig, loraModules, loraScale } from '../learner/lora.js';
import type { ModelConfig } from '../learner/model-config.js';
import { LamerError } from '../util/errors.js';
import type { AdapterHost } from './adapters.js';

/** An adapter folder the slot cannot hold (its rank is over `--max-lora-rank`). */
export class AdapterSlotError extends LamerError {}

/** An adapter as read from its folder: its config and tensors by our names (`…q_proj.lora_A.weight`). */
export interface ReadAdapter {
  lora: LoraConfig;
  adapters: Record<string, Float32Array>;
}

/** The slot of a server started with `--max-lora-rank R`: rank R, every projection, scale 1. */
export function loraSlot(maxRank: number): LoraConfig {
  return loraConfig({ rank: maxRank, alpha: maxRank, targets: LORA_TARGETS });
}

/**
 * `adapter` as tensors of `slot`'s shapes: its A rows and B columns first, zeros after; B scaled by
 * its scale over the slot's; projections it does not adapt all zero. Merged, both give the same weights.
 */
export function fitAdapter(
  model: ModelConfig,
  slot: LoraConfig,
  adapter: ReadAdapter,
): Record<string, Float32Array> {
  const r = adapter.lora.rank;
  const R = slot.rank;
  if (r > R) {
    throw new AdapterSlotError(
      `the adapter's rank ${r} is over this server's --max-lora-rank ${R}: restart lamer serve with --max-lora-rank ${r} or more`,
    );
  }
  const missing = adapter.lora.targets.filter((t) => !slot.targets.includes(t));
  if (missing.length > 0) {
    throw new AdapterSlotError(
      `the adapter adapts ${missing.join(', ')}, which this server's LoRA slot does not`,
    );
  }
  const factor = loraScale(adapter.lora) / loraScale(slot);
  const out: Record<string, Float32Array> = {};
  const adapted = new Set(loraModules(model, adapter.lora).map((m) => m.name));
  for (const m of loraModules(model, slot)) {
    const a = new Float32Array(R * m.in);
    const b = new Float32Array(m.out * R);
    if (adapted.has(m.name)) {
      const aIn = tensor(adapter, `${m.name}.lora_A.weight`, r * m.in);
      const bIn = tensor(adapter, `${m.name}.lora_B.weight`, m.out * r);
      a.set(aIn); // rows 0..r-1 of [R, in]
      for (let o = 0; o < m.out; o++) for (let k = 0; k < r; k++) b[o * R + k] = bIn[o * r + k]! * factor;
    }
    out[`${m.name}.lora_A.weight`] = a;
    out[`${m.name}.lora_B.weight`] = b;
  }
  return out;
}

/** Slot-shaped adapters that add nothing (A and B zero): the base model. */
export function zeroAdapters(model: ModelConfig, slot: LoraConfig): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const m of loraModules(model, slot)) {
    out[`${m.name}.lora_A.weight`] = new Float32Array(slot.rank * m.in);
    out[`${m.name}.lora_B.weight`] = new Float32Array(m.out * slot.rank);
  }
  return out;
}

function tensor(adapter: ReadAdapter, name: string, size: number): Float32Array {
  const t = adapter.adapters[name];
  if (t === undefined || t.length !== size)
    throw new AdapterSlotError(`the adapter has no tensor "${name}" of ${size} values`);
  return t;
}

export interface LoraHostOptions {
  model: ModelConfig;
  /** The generation graph's adapter slot (`loraSlot(maxRank)`). */
  slot: LoraConfig;
  /** Read and check a PEFT folder against the served model (throws a LamerError naming what is wrong). */
  read: (path: string) => Promise<ReadAdapter>;
  /** Put slot-shaped adapter tensors in place for the next generation (the policy's `setWeights`). */
  apply: (weights: Record<string, Float32Array>, version: number) => Promise<void>;
}

/** Adapters by name, fitted to the slot once when loaded; `activate` writes one into the policy when it changes. */
export class LoraAdapterHost implements AdapterHost {
  private readonly fitted = new Map<string, Record<string, Float32Array>>();
  /** What the policy holds now: an adapter name, null (the base model), undefined (unknown: apply next time). */
  private active: string | null | undefined = undefined;
  private version = 0;
  private base: Record<string, Float32Array> | undefined;

  constructor(private readonly options: LoraHostOptions) {}

  async load(name: string, path: string): Promise<void> {
    const adapter = await this.options.read(path);
    this.fitted.set(name, fitAdapter(this.options.model, this.options.slot, adapter));
    // load_inplace of the adapter in use: its new weights go in before the next batch
    if (this.active === name) this.active = undefined;
  }

  async unload(name: string): Promise<void> {
    this.fitted.delete(name);
    if (this.active === name) this.active = undefined;
  }

  async activate(name: string | null): Promise<void> {
    if (name === this.active) return;
    let weights: Record<string, Float32Array>;
    if (name === null) weights = this.zeros();
    else {
      const w = this.fitted.get(name);
      if (w === undefined) throw new AdapterSlotError(`LoRA adapter "${name}" is not loaded`);
      weights = w;
    }
    this.active = undefined; // until it is in place
    await this.options.apply(weights, ++this.version);
    this.active = name;
  }

  /** The base model: every adapter tensor zero (B = 0 adds nothing). */
  private zeros(): Record<string, Float32Array> {
    this.base ??= zeroAdapters(this.options.model, this.options.slot);
    return this.base;
  }
}
