/**
 * The generic path on a real tokenizer: a tiny Llama graph exported with the
 * real Qwen3 tokenizer, chat template and ids (onnx/model.onnx location, no
 * lamer fast-path marker), as an exported Qwen3 would be laid out.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as G from '../../../src/learner/graph/index.js';
import { buildInferenceGraph } from '../../../src/learner/inference.js';
import { hfConfig, initParams, modelConfig } from '../../../src/learner/model.js';
import { PolicyError } from '../../../src/policy/errors.js';
import { OnnxPolicy } from '../../../src/policy/onnx/policy.js';
import { QWEN3_DIR, qwen3Tokenizer } from '../qwen3-fixture.js';

let dir: string;
let policy: OnnxPolicy;

beforeAll(async () => {
  const vocabSize = qwen3Tokenizer().vocabSize;
  const c = modelConfig({
    vocabSize,
    dModel: 16,
    nLayers: 1,
    nHeads: 2,
    ffnHidden: 32,
    maxSeqLen: 256,
    initStd: 0.5,
  });
  dir = await mkdtemp(join(tmpdir(), 'lamer-qwen3-'));
  await mkdir(join(dir, 'onnx'));
  const graph = buildInferenceGraph(c, { weights: 'initializers', values: initParams(c, 1) });
  await writeFile(join(dir, 'onnx', 'model.onnx'), G.compileGraph(graph));
  await writeFile(join(dir, 'config.json'), JSON.stringify({ ...hfConfig(c), model_type: 'qwen3' }));
  await writeFile(
    join(dir, 'generation_config.json'),
    JSON.stringify({ eos_token_id: [151645, 151643], pad_token_id: 151643 }),
  );
  for (const f of ['tokenizer.json', 'tokenizer_config.json'])
    await copyFile(join(QWEN3_DIR, f), join(dir, f));
  policy = await OnnxPolicy.load(dir);
});
afterAll(async () => {
  await policy.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('an HF-layout export with the real Qwen3 tokenizer', () => {
  it('renders the Qwen3 template with thinking off, encodes it with the Qwen3 ids, and generates', async () => {
    const messages = [{ role: 'user' as const, content: 'You are playing MineSweeper. Reveal (1, 2).' }];
    const [g] = await policy.generate([
      { key: 'q', messages, sampling: { temperature: 0.7, topP: 0.8, topK: 20, maxTokens: 6, seed: 1 } },
    ]);
    const tok = qwen3Tokenizer();
    const expected = tok.encode(
      '<|im_start|>user\nYou are playing MineSweeper. Reveal (1, 2).<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n',
    );
    expect(g!.promptTokens).toEqual(expected);
    expect(g!.responseTokens!.length).toBeGreaterThan(0);
    expect(g!.responseTokens!.every((id) => id >= 0 && id < tok.vocabSize)).toBe(true);
    if (g!.finishReason === 'length') expect(g!.text).toBe(tok.decode(g!.responseTokens!));
  });

  it('weights baked into the graph cannot be swapped', async () => {
    await expect(policy.setWeights({}, 1)).rejects.toThrow(PolicyError);
  });
});
