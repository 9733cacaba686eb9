/**
 * Writes the built-in model as a Hugging Face ONNX export directory, so every
 * tool that loads such exports (our ONNX policy, `lamer serve`,
 * onnxruntime-genai-style loaders) can run it:
 *
 *   config.json             HF LlamaForCausalLM config, plus `lamer_model` (our ModelConfig)
 *   generation_config.json  eos/pad token ids
 *   tokenizer.json, tokenizer_config.json   the built-in tokenizer (with its chat template)
 *   model.onnx              the KV-cache graph with the weights as initializers (portable)
 *   model.safetensors       the same weights, HF names: our fast path feeds them as graph
 *                           inputs to the same graph compiled in-process with weights as inputs,
 *                           so new weights load without rebuilding a session (`OnnxPolicy.load`)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSafetensorsFile } from '../../learner/checkpoint.js';
import * as G from '../../learner/graph/index.js';
import { buildInferenceGraph } from '../../learner/inference.js';
import { hfConfig, type ModelConfig, modelConfig, paramShapes } from '../../learner/model.js';
import type { TensorMap } from '../../learner/safetensors.js';
import { ConfigError } from '../../util/errors.js';
import { builtinTokenizerFiles, loadBuiltinTokenizer } from '../tokenizer.js';

/** Name of the config.json field holding our ModelConfig (the marker of the fast path). */
export const LAMER_MODEL_FIELD = 'lamer_model';
export const WEIGHTS_FILE = 'model.safetensors';

function checkParams(config: ModelConfig, params: Readonly<Record<string, Float32Array>>): void {
  for (const [name, shape] of Object.entries(paramShapes(config))) {
    const n = shape.reduce((p, x) => p * x, 1);
    const v = params[name];
    if (!(v instanceof Float32Array) || v.length !== n) {
      throw new ConfigError(
        `parameter ${name}: expected a Float32Array of ${n} values (shape [${shape}]), got ${v ? v.length : 'none'}`,
      );
    }
  }
}

/** The generation_config.json of the built-in model: stop at <|im_end|> or <|endoftext|>, pad with <|endoftext|>. */
export function builtinGenerationConfig(): Record<string, unknown> {
  const { tokenizer } = loadBuiltinTokenizer();
  const ids = ['<|im_end|>', '<|endoftext|>'].map((t) => tokenizer.tokenToId(t));
  return {
    eos_token_id: ids.filter((x): x is number => x !== undefined),
    pad_token_id: tokenizer.padTokenId,
    do_sample: true,
  };
}

/** Write the built-in model (`params`: initial seeded weights or a checkpoint's) as an HF ONNX export directory. */
export async function exportModelDir(
  dir: string,
  config: ModelConfig,
  params: Readonly<Record<string, Float32Array>>,
): Promise<void> {
  const c = modelConfig(config);
  checkParams(c, params);
  const files = builtinTokenizerFiles();
  const { tokenizer } = loadBuiltinTokenizer();
  if (c.vocabSize < tokenizer.vocabSize) {
    throw new ConfigError(
      `model vocabSize ${c.vocabSize} is smaller than the built-in tokenizer's ${tokenizer.vocabSize} tokens`,
    );
  }
  await mkdir(dir, { recursive: true });
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  await writeFile(join(dir, 'config.json'), json({ ...hfConfig(c), [LAMER_MODEL_FIELD]: c }));
  await writeFile(join(dir, 'generation_config.json'), json(builtinGenerationConfig()));
  await writeFile(join(dir, 'tokenizer.json'), json(files.tokenizer));
  await writeFile(join(dir, 'tokenizer_config.json'), json(files.config));
  const graph = buildInferenceGraph(c, { weights: 'initializers', values: params });
  await writeFile(join(dir, 'model.onnx'), G.compileGraph(graph, 'lamer built-in model (HF ONNX layout)'));
  const tensors: TensorMap = {};
  for (const [name, shape] of Object.entries(paramShapes(c)))
    tensors[name] = { dtype: 'F32', shape, data: params[name]! };
  await writeSafetensorsFile(join(dir, WEIGHTS_FILE), tensors, { format: 'pt' });
}
