/**
 * A Hugging Face model folder for the policy and the learner: config.json
 * (our ModelConfig, hf/config.ts), the safetensors weights (checked against
 * it; frozen base as external data, hf/weights.ts), tokenizer.json with the
 * chat template of tokenizer_config.json (or chat_template.jinja), and the end
 * tokens of generation_config.json (absent: the tokenizer's eos token).
 * Nothing is downloaded: the user brings the folder.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { modelConfigFromHf } from '../../learner/hf/config.js';
import {
  type ExternalWeights,
  externalWeights,
  type HfCheckpoint,
  readHfCheckpoint,
} from '../../learner/hf/weights.js';
import type { ModelConfig } from '../../learner/model.js';
import type { ChatTemplate } from '../chat-template.js';
import { type LoadedTokenizer, loadTokenizerDir } from '../tokenizer.js';
import { type GenerationDefaults, generationOf, ModelDirError } from './model-dir.js';

/** A checked Hugging Face model folder (`readHfModel`): what the policy and the learner build from. */
export interface HfModel {
  /** The folder, as given. */
  dir: string;
  /** config.json as our model config. */
  config: ModelConfig;
  /** The safetensors files (one or shards), their dtype and every tensor's place, checked against `config`. */
  checkpoint: HfCheckpoint;
  /** The frozen weights as float32 external data (the sessions' `externalDataDir` is `weights.dir`). */
  weights: ExternalWeights;
  /** tokenizer.json with the folder's chat template. */
  tokenizer: LoadedTokenizer & { chatTemplate: ChatTemplate };
  /** End and pad tokens of generation_config.json (absent file: none; the tokenizer's eos still ends replies). */
  generation: GenerationDefaults;
}

/** Options of `readHfModel`. */
export interface HfModelOptions {
  /** Where float32 copies of BF16/F16 checkpoints go (default $LAMER_CACHE or ~/.cache/lamer). */
  cacheDir?: string;
}

async function jsonFile(dir: string, name: string): Promise<Record<string, unknown>> {
  const path = join(dir, name);
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (error) {
    throw new ModelDirError(`${path} is not a valid JSON object (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/** Read and check a Hugging Face model folder (`hf:DIR`). */
export async function readHfModel(dir: string, options: HfModelOptions = {}): Promise<HfModel> {
  if (!existsSync(dir)) throw new ModelDirError(`model folder ${dir} does not exist`);
  for (const name of ['config.json', 'tokenizer.json'])
    if (!existsSync(join(dir, name)))
      throw new ModelDirError(
        `${dir} has no ${name}: an hf: folder holds a Hugging Face model as saved by save_pretrained ` +
          '(config.json, model.safetensors or shards, tokenizer.json, tokenizer_config.json)',
      );
  const config = modelConfigFromHf(await jsonFile(dir, 'config.json'), join(dir, 'config.json'));
  const checkpoint = await readHfCheckpoint(dir, config);
  const tok = await loadTokenizerDir(dir);
  if (!tok.chatTemplate)
    throw new ModelDirError(
      `${dir}: tokenizer_config.json has no chat_template (and there is no chat_template.jinja): ` +
        'lamer talks to models through their chat template; use an instruct/chat model or add one',
    );
  if (tok.tokenizer.vocabSize > config.vocabSize)
    throw new ModelDirError(
      `${dir}: the tokenizer has ${tok.tokenizer.vocabSize} tokens but config.json's vocab_size is ${config.vocabSize}`,
    );
  const generation = existsSync(join(dir, 'generation_config.json'))
    ? generationOf(await jsonFile(dir, 'generation_config.json'))
    : { eosTokenIds: [], padTokenId: null };
  const weights = await externalWeights(checkpoint, options.cacheDir);
  return {
    dir,
    config,
    checkpoint,
    weights,
    tokenizer: { ...tok, chatTemplate: tok.chatTemplate },
    generation,
  };
}
