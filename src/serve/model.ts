/**
 * Which model `lamer serve` (and `lamer eval --policy onnx:DIR`) runs: a
 * Hugging Face model folder (`hf:DIR`, with an optional PEFT LoRA adapter), a
 * directory in the Hugging Face ONNX export layout, or the built-in model
 * from a training checkpoint, or the built-in model freshly initialised from
 * a seed (untrained: it emits random text; a warning says so).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadCheckpoint } from '../learner/checkpoint.js';
import { CHECKPOINT_FILES, latestCheckpoint } from '../learner/checkpoint-dirs.js';
import { readPeftAdapter } from '../learner/hf/peft.js';
import {
  initParams,
  type ModelConfig,
  modelConfig,
  paramShapes,
  savedModelConfig,
} from '../learner/model.js';
import { toFloat32 } from '../learner/safetensors.js';
import type { SessionSettings } from '../learner/session-core.js';
import { LAMER_MODEL_FIELD } from '../policy/onnx/export.js';
import { readHfModel } from '../policy/onnx/hf-model.js';
import { OnnxPolicy } from '../policy/onnx/policy.js';
import { ConfigError } from '../util/errors.js';
import type { AdapterHost } from './adapters.js';
import { LoraAdapterHost, loraSlot, zeroAdapters } from './lora-host.js';
import type { PromptSource } from './prepare-protocol.js';

export interface ServeModelOptions extends SessionSettings {
  /** A model directory (HF ONNX export layout), or `hf:DIR`: a Hugging Face model folder (safetensors). */
  model?: string;
  /** With `hf:DIR`: a PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors) applied on top. */
  lora?: string;
  /**
   * With `hf:DIR` (`--enable-lora`): adapters loaded while serving (vLLM's dynamic LoRA API), each of rank at
   * most this (`--max-lora-rank`); the result's `adapters` is then the host the server needs.
   */
  enableLora?: number;
  /** A checkpoint folder (or a folder of them: the latest complete one) of the built-in model. */
  checkpoint?: string;
  /** Seed of the untrained built-in model (default 0). */
  seed?: number;
  /** Receives warnings (default console.warn). */
  logger?: (message: string) => void;
}

export interface ServeModel {
  policy: OnnxPolicy;
  /** Default model id to serve it under. */
  name: string;
  /** Its tokenizer files and context length, for the server's prepare worker (the policy's own codec). */
  prompt: PromptSource;
  /** With `enableLora`: the adapters' host (`startServer`'s `adapters`). */
  adapters?: AdapterHost;
}

/** The ModelConfig stored in a checkpoint's or export's config.json. */
export function modelConfigOf(config: Record<string, unknown>, where: string): ModelConfig {
  const ours = savedModelConfig(config[LAMER_MODEL_FIELD] ?? config);
  if (ours === null) throw new ConfigError(`${where}: config.json holds no built-in model config`);
  return ours;
}

/** `hf:DIR` with an optional PEFT adapter: the frozen weights mapped from the folder, the adapter as graph inputs. */
async function loadHf(
  dir: string,
  lora: string | undefined,
  enableLora: number | undefined,
  settings: SessionSettings,
): Promise<ServeModel> {
  const hf = await readHfModel(dir);
  if (enableLora !== undefined) {
    if (lora !== undefined)
      throw new ConfigError(
        'give --lora DIR (one fixed adapter) or --enable-lora (adapters loaded with POST /v1/load_lora_adapter), not both',
      );
    // one adapter slot of rank --max-lora-rank on every projection; it starts at zero (the base model)
    const slot = loraSlot(enableLora);
    const policy = await OnnxPolicy.fromHf(hf, {
      ...settings,
      lora: slot,
      adapters: zeroAdapters(hf.config, slot),
    });
    const adapters = new LoraAdapterHost({
      model: hf.config,
      slot,
      read: (path) => readPeftAdapter(path, hf.config),
      apply: (weights, version) => policy.setWeights(weights, version),
    });
    const name = basename(dir.replace(/\/+$/, '')) || 'model';
    return { policy, name, prompt: { tokenizer: { dir }, maxPositions: policy.maxPositions }, adapters };
  }
  const adapter = lora === undefined ? undefined : await readPeftAdapter(lora, hf.config);
  const policy = await OnnxPolicy.fromHf(hf, {
    ...settings,
    ...(adapter ? { lora: adapter.lora, adapters: adapter.adapters, name: `hf:${dir}+${lora}` } : {}),
  });
  // The adapter's name, or its run's (runs/<run>/adapter), else the base folder's.
  const trim = (p: string) => p.replace(/\/+$/, '');
  const adapterName =
    lora && (basename(trim(lora)) === 'adapter' ? basename(dirname(trim(lora))) : basename(trim(lora)));
  const name = adapterName || basename(trim(dir)) || 'model';
  return { policy, name, prompt: { tokenizer: { dir }, maxPositions: policy.maxPositions } };
}

export async function loadServeModel(options: ServeModelOptions): Promise<ServeModel> {
  const { model, checkpoint, seed, logger, lora, enableLora, ...settings } = options;
  if (model !== undefined && checkpoint !== undefined) {
    throw new ConfigError('give either --model DIR or --checkpoint DIR, not both');
  }
  if (lora !== undefined && !model?.startsWith('hf:'))
    throw new ConfigError('--lora applies an adapter to a Hugging Face model: give --model hf:DIR too');
  if (enableLora !== undefined && !model?.startsWith('hf:'))
    throw new ConfigError(
      '--enable-lora serves LoRA adapters of a Hugging Face model: give --model hf:DIR too',
    );
  if (model?.startsWith('hf:')) return loadHf(model.slice(3), lora, enableLora, settings);
  if (model !== undefined) {
    const policy = await OnnxPolicy.load(model, settings);
    return {
      policy,
      name: basename(model.replace(/\/+$/, '')) || 'model',
      // OnnxPolicy.load reads the directory's tokenizer files (loadTokenizerDir), built-in exports included.
      prompt: { tokenizer: { dir: model }, maxPositions: policy.maxPositions },
    };
  }
  if (checkpoint !== undefined) {
    if (statSync(checkpoint, { throwIfNoEntry: false })?.isDirectory() !== true) {
      throw new ConfigError(
        `--checkpoint ${checkpoint} is not a folder: give a checkpoint folder (step-N) or the training run folder holding them`,
      );
    }
    let dir = checkpoint;
    if (!existsSync(join(dir, CHECKPOINT_FILES.manifest))) {
      const latest = await latestCheckpoint(dir);
      if (latest === null)
        throw new ConfigError(`${dir} holds no complete checkpoint (no ${CHECKPOINT_FILES.manifest})`);
      dir = latest.dir;
    }
    const ck = await loadCheckpoint(dir);
    const config = modelConfigOf(ck.config, dir);
    const params: Record<string, Float32Array> = {};
    for (const name of Object.keys(paramShapes(config))) {
      const t = ck.params[name];
      if (t === undefined) throw new ConfigError(`${dir}: the checkpoint has no parameter "${name}"`);
      params[name] = toFloat32(t);
    }
    const policy = await OnnxPolicy.fromParams(config, params, ck.step, {
      ...settings,
      name: `builtin@${ck.step}`,
    });
    return { policy, name: 'lamer-builtin', prompt: builtinPrompt(policy) };
  }
  const s = seed ?? 0;
  (logger ?? console.warn)(
    `lamer: no --model or --checkpoint: serving the built-in model freshly initialised from seed ${s}. ` +
      'It is UNTRAINED and replies with random text; train it (lamer train) and pass --checkpoint, or pass --model DIR.',
  );
  const config = modelConfig();
  const policy = await OnnxPolicy.fromParams(config, initParams(config, s), 0, {
    ...settings,
    name: 'builtin-untrained',
  });
  return { policy, name: 'lamer-builtin', prompt: builtinPrompt(policy) };
}

const builtinPrompt = (policy: OnnxPolicy): PromptSource => ({
  tokenizer: 'builtin',
  maxPositions: policy.maxPositions,
});
