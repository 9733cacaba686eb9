/**
 * A model directory in the Hugging Face ONNX export layout (what `optimum-cli
 * export onnx --task text-generation-with-past` writes): config.json,
 * tokenizer.json, tokenizer_config.json, generation_config.json, and
 * model.onnx or onnx/model.onnx. Checks that every file is there and that the
 * graph's inputs and outputs follow the layout; errors name what is missing.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LamerError } from '../../util/errors.js';

/** A model directory lacks a file, has an unreadable one, or its graph does not follow the HF ONNX layout. */
export class ModelDirError extends LamerError {}

export const MODEL_DIR_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'generation_config.json',
] as const;

/** The model shape read from config.json: layers, attention heads, KV heads, head size, vocabulary, context length. */
export interface ModelDirConfig {
  nLayers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
  /** Longest sequence (max_position_embeddings), or null when config.json does not say. */
  maxPositions: number | null;
}

/** The model's generation_config.json: end-of-sequence and padding ids, default sampling. */
export interface GenerationDefaults {
  eosTokenIds: number[];
  padTokenId: number | null;
  temperature?: number;
  topP?: number;
  topK?: number;
}

/** A model directory in the Hugging Face ONNX export layout, read and checked by `readModelDir`. */
export interface ModelDir {
  /** The directory. */
  dir: string;
  /** Path of model.onnx or onnx/model.onnx. */
  modelPath: string;
  config: Record<string, unknown>;
  shape: ModelDirConfig;
  generation: GenerationDefaults;
}

async function readJsonFile(dir: string, name: string): Promise<Record<string, unknown>> {
  const path = join(dir, name);
  if (!existsSync(path)) {
    throw new ModelDirError(
      `model directory ${dir} has no ${name}; export the model with its tokenizer and configs ` +
        '(optimum-cli export onnx --task text-generation-with-past, or lamer export) and try again',
    );
  }
  try {
    const json = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new Error('not a JSON object');
    return json as Record<string, unknown>;
  } catch (error) {
    throw new ModelDirError(
      `${path} is not a valid JSON object (${(error as Error).message}); re-export it`,
      {
        cause: error,
      },
    );
  }
}

function intField(config: Record<string, unknown>, name: string, file = 'config.json'): number {
  const v = config[name];
  if (!(typeof v === 'number' && Number.isInteger(v) && v > 0)) {
    throw new ModelDirError(`${file}: "${name}" must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function shapeOf(config: Record<string, unknown>): ModelDirConfig {
  const nested = config.text_config;
  const c = typeof nested === 'object' && nested !== null ? (nested as Record<string, unknown>) : config;
  const heads = intField(c, 'num_attention_heads');
  const hidden = intField(c, 'hidden_size');
  return {
    nLayers: intField(c, 'num_hidden_layers'),
    heads,
    kvHeads: c.num_key_value_heads === undefined ? heads : intField(c, 'num_key_value_heads'),
    headDim: c.head_dim === undefined || c.head_dim === null ? hidden / heads : intField(c, 'head_dim'),
    vocabSize: intField(c, 'vocab_size'),
    maxPositions: typeof c.max_position_embeddings === 'number' ? c.max_position_embeddings : null,
  };
}

function idList(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number');
  return [];
}

export function generationOf(g: Record<string, unknown>): GenerationDefaults {
  const out: GenerationDefaults = {
    eosTokenIds: idList(g.eos_token_id),
    padTokenId: typeof g.pad_token_id === 'number' ? g.pad_token_id : null,
  };
  if (typeof g.temperature === 'number') out.temperature = g.temperature;
  if (typeof g.top_p === 'number') out.topP = g.top_p;
  if (typeof g.top_k === 'number') out.topK = g.top_k;
  return out;
}

/** Read and check a model directory's files (the graph is checked by `checkGraphNames` once loaded). */
export async function readModelDir(dir: string): Promise<ModelDir> {
  if (!existsSync(dir)) throw new ModelDirError(`model directory ${dir} does not exist`);
  const config = await readJsonFile(dir, 'config.json');
  for (const name of ['tokenizer.json', 'tokenizer_config.json']) {
    if (!existsSync(join(dir, name))) await readJsonFile(dir, name); // throws the named error
  }
  const generation = generationOf(await readJsonFile(dir, 'generation_config.json'));
  const candidates = [join(dir, 'model.onnx'), join(dir, 'onnx', 'model.onnx')];
  const modelPath = candidates.find((p) => existsSync(p));
  if (modelPath === undefined) {
    throw new ModelDirError(
      `model directory ${dir} has neither model.onnx nor onnx/model.onnx; export the ONNX graph there`,
    );
  }
  return { dir, modelPath, config, shape: shapeOf(config), generation };
}

/**
 * The graph's inputs and outputs against the layout: input_ids,
 * attention_mask, (position_ids), past_key_values.{i}.key|value for every
 * layer; logits and present.{i}.key|value. Other inputs must be weights we
 * feed (`weightNames`). Returns whether position_ids is an input.
 */
export function checkGraphNames(
  where: string,
  inputNames: readonly string[],
  outputNames: readonly string[],
  nLayers: number,
  weightNames: ReadonlySet<string> = new Set(),
): { positionIds: boolean } {
  const kv = (prefix: string) =>
    Array.from({ length: nLayers }, (_, i) => [`${prefix}.${i}.key`, `${prefix}.${i}.value`]).flat();
  const inputs = new Set(inputNames);
  const outputs = new Set(outputNames);
  for (const name of ['input_ids', 'attention_mask', ...kv('past_key_values')]) {
    if (!inputs.has(name)) {
      throw new ModelDirError(
        `${where}: the model has no input "${name}" (inputs: ${inputNames.slice(0, 12).join(', ')}${inputNames.length > 12 ? ', ...' : ''}). ` +
          'It must be a decoder export with a KV cache in the Hugging Face layout (optimum task text-generation-with-past) ' +
          `with num_hidden_layers = ${nLayers} as config.json says`,
      );
    }
  }
  for (const name of ['logits', ...kv('present')]) {
    if (!outputs.has(name)) {
      throw new ModelDirError(
        `${where}: the model has no output "${name}" (outputs: ${outputNames.slice(0, 12).join(', ')}). ` +
          'It must return logits and present.{i}.key|value (optimum task text-generation-with-past)',
      );
    }
  }
  const known = new Set(['input_ids', 'attention_mask', 'position_ids', ...kv('past_key_values')]);
  const extra = inputNames.find((n) => !known.has(n) && !weightNames.has(n));
  if (extra !== undefined) {
    throw new ModelDirError(
      `${where}: the model has an input "${extra}" that is not part of the Hugging Face layout and not a weight we feed ` +
        '(e.g. use_cache_branch of a merged decoder: export the plain decoder-with-past model instead)',
    );
  }
  return { positionIds: inputs.has('position_ids') };
}
