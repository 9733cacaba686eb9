/**
 * How a graph gets the model's weights: as graph inputs (the built-in model
 * and full fine-tuning: new weights without recompiling), as values baked in
 * (portable exports), or as external constants (a Hugging Face checkpoint's
 * frozen base, mapped by onnxruntime from its files); optionally with LoRA
 * adapters on top, which are then graph inputs and the only trained tensors.
 */
import { ConfigError } from '../util/errors.js';
import * as G from './graph/index.js';
import type { ExternalWeights } from './hf/weights.js';
import { type LoraConfig, loraInputs, loraShapes } from './lora.js';
import {
  type LoraTensors,
  type ModelConfig,
  type Params,
  paramConstants,
  paramInputs,
  paramShapes,
} from './model.js';

/** Weights that are not trained: a checkpoint's files (external data), or values baked into the graph. */
export type FrozenWeights =
  | { readonly external: ExternalWeights }
  | { readonly values: Readonly<Record<string, Float32Array>> };

export interface WeightSpec {
  readonly model: ModelConfig;
  /** Absent: every parameter is a graph input. */
  readonly frozen?: FrozenWeights;
  /** LoRA adapters (graph inputs) on top of the weights. */
  readonly lora?: LoraConfig;
}

export interface ModelTensors {
  /** What `forward` reads. */
  params: Params;
  lora?: LoraTensors;
  /** The weight tensors that are graph inputs, by name (parameters, or adapters). */
  inputs: Record<string, G.Tensor>;
}

/** Graph tensors for a model's weights (see the module doc). */
export function modelTensors(w: WeightSpec, dtype: 'float32' | 'float64' = 'float32'): ModelTensors {
  let params: Record<string, G.Tensor>;
  let inputs: Record<string, G.Tensor> = {};
  const f = w.frozen;
  if (f === undefined) {
    params = paramInputs(w.model, dtype);
    inputs = { ...params };
  } else if ('values' in f) params = paramConstants(w.model, f.values);
  else {
    if (dtype !== 'float32') throw new ConfigError('external weights are float32');
    params = {};
    for (const [name, shape] of Object.entries(paramShapes(w.model))) {
      const ref = f.external.refs[name];
      if (!ref) throw new ConfigError(`external weights have no tensor "${name}"`);
      params[name] = G.externalConstant(name, shape, ref);
    }
  }
  if (w.lora === undefined) return { params, inputs };
  const l = loraInputs(w.model, w.lora, dtype);
  return { params, lora: l.lora, inputs: { ...inputs, ...l.inputs } };
}

/** Names and shapes of the trained tensors: the adapters with LoRA, else every parameter. */
export function trainableShapes(w: WeightSpec): Record<string, number[]> {
  if (w.lora !== undefined) {
    if (w.frozen === undefined)
      throw new ConfigError('LoRA trains adapters over frozen weights: give the base weights as `frozen`');
    return loraShapes(w.model, w.lora);
  }
  if (w.frozen !== undefined)
    throw new ConfigError('frozen weights without LoRA adapters leave nothing to train');
  return paramShapes(w.model);
}

/** Session settings a graph of these weights needs (the folder of external weights). */
export function weightSettings(w: WeightSpec): { externalDataDir?: string } {
  const f = w.frozen;
  return f !== undefined && 'external' in f ? { externalDataDir: f.external.dir } : {};
}
