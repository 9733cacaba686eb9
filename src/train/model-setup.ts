/**
 * The model a training run trains: the built-in model from its warm start, or
 * a Hugging Face folder (`hf.dir`, `--model hf:DIR`) fine-tuned with LoRA over
 * its frozen weights (or fully, `hf.finetune: 'full'`) straight from its
 * pretrained weights. Gives the trainer's model fields, the prompt codec the
 * rollouts and the learner share (token-exact), the initial weights, and the
 * policy for them; for LoRA it also writes the adapter as a PEFT folder
 * (`<out>/adapter`) whenever the trainer saves a checkpoint.
 */
import { join } from 'node:path';
import { writePeftAdapter } from '../learner/hf/peft.js';
import { readHfParams } from '../learner/hf/weights.js';
import { type LoraConfig, loraConfig } from '../learner/lora.js';
import type { ModelConfig } from '../learner/model.js';
import type { TrainerConfigInput } from '../learner/trainer/index.js';
import type { WeightSpec } from '../learner/weights.js';
import { type HfModel, readHfModel } from '../policy/onnx/hf-model.js';
import { OnnxPolicy } from '../policy/onnx/policy.js';
import type { PromptCodec } from '../policy/onnx/tokens.js';
import { loadBuiltinTokenizer } from '../policy/tokenizer.js';
import { sessionSettingsOf, type TrainConfig } from './config.js';
import { writeHfRunInfo } from './export.js';
import type { TrainHooks } from './phases.js';
import type { TrainIO } from './progress.js';
import { ensureWarmStart, modelOf, type WarmStart } from './warmstart.js';

type Weights = Readonly<Record<string, Float32Array>>;

export interface TrainModel {
  /** What the run trains, e.g. `built-in model` or `hf:DIR (LoRA r 16)`. */
  label: string;
  model: ModelConfig;
  /** The trainer's model fields (model, frozen weights, LoRA). */
  trainer: Pick<TrainerConfigInput, 'model' | 'frozen' | 'lora'>;
  /** What the trainer trains (for the output folder's space check). */
  spec: WeightSpec;
  codec: PromptCodec;
  /** Weights (or adapters) to start from; undefined: the trainer's seeded init (a fresh adapter). */
  initialParams?: Weights;
  /** The built-in model's warm start, or null (hf: runs, or `warmStart.enabled: false`). */
  warm: WarmStart | null;
  /** The rollout policy at these weights (adapters with LoRA). */
  policy(params: Weights, version: number, seed: number): Promise<OnnxPolicy>;
  /** After a checkpoint of `params`: what else to write (the PEFT adapter folder with LoRA). */
  saved(params: Weights): Promise<void>;
}

/** What a checkpoint of the run holds: the model, and the adapters' shape with LoRA. */
export type SavedModel = ModelConfig | { model: ModelConfig; lora?: LoraConfig };

export interface SetupOptions {
  /** Named points of the warm start (tests kill the process there: phases.ts). */
  hooks?: TrainHooks;
  /** Called once the model is known, before the warm start or any other work (the run folder's check). */
  open?: (saved: SavedModel) => Promise<void>;
}

/** The built-in model with its warm start. */
async function builtin(c: TrainConfig, io: TrainIO, o: SetupOptions): Promise<TrainModel> {
  const model = modelOf(c);
  await o.open?.(model);
  const tok = loadBuiltinTokenizer();
  const warm = c.warmStart.enabled === false ? null : await ensureWarmStart(c, io, o.hooks);
  return {
    label: 'built-in model',
    model,
    trainer: { model },
    spec: { model },
    codec: { tokenizer: tok.tokenizer, chatTemplate: tok.chatTemplate! },
    ...(warm ? { initialParams: warm.params } : {}),
    warm,
    policy: (params, version, seed) =>
      OnnxPolicy.fromParams(model, params, version, { seed, ...sessionSettingsOf(c) }),
    saved: async () => {},
  };
}

/** A Hugging Face folder, LoRA (default) or full fine-tuning. */
async function hf(
  c: TrainConfig & { hf: NonNullable<TrainConfig['hf']> },
  out: string,
  o: SetupOptions,
): Promise<TrainModel> {
  const m: HfModel = await readHfModel(c.hf.dir);
  const model = m.config;
  const codec = m.tokenizer;
  const full = c.hf.finetune === 'full';
  const lora = full ? undefined : loraConfig(c.hf.lora);
  await o.open?.(lora ? { model, lora } : model);
  await writeHfRunInfo(out, { base: c.hf.dir, finetune: c.hf.finetune });
  if (!lora) {
    const initialParams = await readHfParams(m.checkpoint);
    return {
      label: `hf:${c.hf.dir} (full fine-tuning)`,
      model,
      trainer: { model },
      spec: { model },
      codec,
      initialParams,
      warm: null,
      policy: (params, version, seed) =>
        OnnxPolicy.fromHf(m, { full: params, version, seed, ...sessionSettingsOf(c) }),
      saved: async () => {},
    };
  }
  const frozen = { external: m.weights };
  return {
    label: `hf:${c.hf.dir} (LoRA rank ${lora.rank}, alpha ${lora.alpha}, ${lora.targets.join('/')})`,
    model,
    trainer: { model, frozen, lora },
    spec: { model, frozen, lora },
    codec,
    warm: null,
    policy: (adapters, version, seed) =>
      OnnxPolicy.fromHf(m, { lora, adapters, version, seed, ...sessionSettingsOf(c) }),
    saved: (adapters) => writePeftAdapter(join(out, 'adapter'), model, lora, adapters, c.hf.dir),
  };
}

export function setupTrainModel(
  c: TrainConfig,
  io: TrainIO,
  out: string,
  options: SetupOptions = {},
): Promise<TrainModel> {
  return c.hf ? hf({ ...c, hf: c.hf }, out, options) : builtin(c, io, options);
}
