/**
 * Which model `lamer serve` (and `lamer eval --policy onnx:DIR`) runs: a
 * directory in the Hugging Face ONNX export layout, or the built-in model
 * from a training checkpoint, or the built-in model freshly initialised from
 * a seed (untrained: it emits random text; a warning says so).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadCheckpoint } from '../learner/checkpoint.js';
import { CHECKPOINT_FILES, latestCheckpoint } from '../learner/checkpoint-dirs.js';
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
import { OnnxPolicy } from '../policy/onnx/policy.js';
import { ConfigError } from '../util/errors.js';
import type { PromptSource } from './prepare-protocol.js';

export interface ServeModelOptions extends SessionSettings {
  /** A model directory (HF ONNX export layout). */
  model?: string;
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
}

/** The ModelConfig stored in a checkpoint's or export's config.json. */
export function modelConfigOf(config: Record<string, unknown>, where: string): ModelConfig {
  const ours = savedModelConfig(config[LAMER_MODEL_FIELD] ?? config);
  if (ours === null) throw new ConfigError(`${where}: config.json holds no built-in model config`);
  return ours;
}

export async function loadServeModel(options: ServeModelOptions): Promise<ServeModel> {
  const { model, checkpoint, seed, logger, ...settings } = options;
  if (model !== undefined && checkpoint !== undefined) {
    throw new ConfigError('give either --model DIR or --checkpoint DIR, not both');
  }
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
