/**
 * LoRA adapters as a PEFT folder: `adapter_config.json` and
 * `adapter_model.safetensors` with PEFT's tensor names
 * (`base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`), what
 * `peft.PeftModel.from_pretrained(base, dir)` and vLLM's LoRA loading read.
 * Reading refuses what our adapters cannot express (DoRA, trained biases,
 * extra saved modules, per-layer ranks, regex targets) with the field named.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LamerError } from '../../util/errors.js';
import { writeFileAtomic } from '../atomic-write.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../checkpoint.js';
import {
  LORA_MODULES,
  LORA_TARGETS,
  type LoraConfig,
  type LoraTarget,
  loraConfig,
  loraShapes,
} from '../lora.js';
import type { ModelConfig } from '../model-config.js';
import { f32Tensors, toFloat32 } from '../safetensors.js';

/** An adapter folder is missing a file or holds an adapter our LoRA cannot run; the message names the field. */
export class PeftError extends LamerError {}

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';
const PREFIX = 'base_model.model.';

/** PEFT's module name (`q_proj`) of each target. */
const MODULE_OF: Record<LoraTarget, string> = Object.fromEntries(
  LORA_TARGETS.map((t) => [t, LORA_MODULES[t].split('.')[1]!]),
) as Record<LoraTarget, string>;

/** A PEFT LoRA adapter folder as read: its LoRA config, the adapter tensors, and the base model it names. */
export interface PeftAdapter {
  lora: LoraConfig;
  /** Adapter tensors by our names (`model.layers.0.self_attn.q_proj.lora_A.weight`). */
  adapters: Record<string, Float32Array>;
  /** `base_model_name_or_path` of the adapter config. */
  baseModel: string | null;
}

/** Write adapters as a PEFT folder (the folder is replaced as a whole: a crash leaves the old one or the new one). */
export async function writePeftAdapter(
  dir: string,
  model: ModelConfig,
  lora: LoraConfig,
  adapters: Readonly<Record<string, Float32Array>>,
  baseModel: string | null = null,
): Promise<void> {
  const shapes = loraShapes(model, lora);
  const tensors = f32Tensors(
    Object.fromEntries(Object.keys(shapes).map((n) => [PREFIX + n, adapters[n]!])),
    Object.fromEntries(Object.entries(shapes).map(([n, s]) => [PREFIX + n, s])),
  );
  const config = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    r: lora.rank,
    lora_alpha: lora.alpha,
    use_rslora: lora.rslora,
    target_modules: lora.targets.map((t) => MODULE_OF[t]),
    lora_dropout: 0,
    bias: 'none',
    fan_in_fan_out: false,
    use_dora: false,
    init_lora_weights: true,
    inference_mode: true,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
    revision: null,
  };
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await writeSafetensorsFile(join(tmp, ADAPTER_WEIGHTS), tensors, { format: 'pt' });
  await writeFileAtomic(join(tmp, ADAPTER_CONFIG), `${JSON.stringify(config, null, 2)}\n`);
  const old = `${dir}.old-${process.pid}`;
  if (existsSync(dir)) await rename(dir, old);
  await rename(tmp, dir);
  await rm(old, { recursive: true, force: true });
}

function refuse(dir: string, field: string, problem: string): never {
  throw new PeftError(`${join(dir, ADAPTER_CONFIG)}: "${field}" ${problem}`);
}

function targetsOf(dir: string, modules: unknown): LoraTarget[] {
  if (modules === 'all-linear') return [...LORA_TARGETS];
  if (!Array.isArray(modules) || modules.some((m) => typeof m !== 'string'))
    refuse(dir, 'target_modules', 'must be a list of module names (q_proj, k_proj, ...) or "all-linear"');
  return (modules as string[]).map((m) => {
    const t = LORA_TARGETS.find((x) => MODULE_OF[x] === m.split('.').at(-1));
    if (t === undefined)
      refuse(
        dir,
        'target_modules',
        `names ${m}; supported: ${LORA_TARGETS.map((x) => MODULE_OF[x]).join(', ')}`,
      );
    return t;
  });
}

/** Read a PEFT LoRA folder for `model`; its shapes must fit the model. */
export async function readPeftAdapter(dir: string, model: ModelConfig): Promise<PeftAdapter> {
  for (const f of [ADAPTER_CONFIG, ADAPTER_WEIGHTS])
    if (!existsSync(join(dir, f)))
      throw new PeftError(
        `${dir} has no ${f}: a LoRA adapter folder holds ${ADAPTER_CONFIG} and ${ADAPTER_WEIGHTS}`,
      );
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(await readFile(join(dir, ADAPTER_CONFIG), 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new PeftError(`${join(dir, ADAPTER_CONFIG)} is not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  if ((c.peft_type ?? 'LORA') !== 'LORA')
    refuse(dir, 'peft_type', `is ${JSON.stringify(c.peft_type)}; supported: LORA`);
  if (c.use_dora === true) refuse(dir, 'use_dora', 'must be false (DoRA is not supported)');
  if ((c.bias ?? 'none') !== 'none') refuse(dir, 'bias', 'must be "none" (trained biases are not supported)');
  if (c.fan_in_fan_out === true) refuse(dir, 'fan_in_fan_out', 'must be false');
  for (const f of ['modules_to_save', 'layers_to_transform'])
    if (c[f] !== undefined && c[f] !== null)
      refuse(dir, f, 'must be null (every layer, no extra saved modules)');
  for (const f of ['rank_pattern', 'alpha_pattern'])
    if (c[f] !== undefined && c[f] !== null && Object.keys(c[f] as object).length > 0)
      refuse(dir, f, 'must be empty (one rank and alpha for every module)');
  const lora = loraConfig({
    rank: c.r as number,
    alpha: c.lora_alpha as number,
    targets: targetsOf(dir, c.target_modules),
    rslora: c.use_rslora === true,
  });
  const file = await readSafetensorsFile(join(dir, ADAPTER_WEIGHTS));
  const adapters: Record<string, Float32Array> = {};
  for (const [name, shape] of Object.entries(loraShapes(model, lora))) {
    // PEFT saves without the adapter name ("default"); some tools keep it.
    const t =
      file.tensors[PREFIX + name] ?? file.tensors[PREFIX + name.replace(/\.weight$/, '.default.weight')];
    if (t === undefined)
      throw new PeftError(
        `${join(dir, ADAPTER_WEIGHTS)}: tensor "${PREFIX + name}" (shape [${shape}]) is missing`,
      );
    if (t.shape.length !== 2 || t.shape[0] !== shape[0] || t.shape[1] !== shape[1])
      throw new PeftError(
        `${join(dir, ADAPTER_WEIGHTS)}: tensor "${PREFIX + name}" has shape [${t.shape}], expected [${shape}] for this model`,
      );
    adapters[name] = toFloat32(t);
  }
  const base = c.base_model_name_or_path;
  return { lora, adapters, baseModel: typeof base === 'string' ? base : null };
}
