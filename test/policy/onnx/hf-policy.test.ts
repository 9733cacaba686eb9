/**
 * The ONNX policy on a Hugging Face folder (hf:DIR): a tiny Qwen3 with the real Qwen3 tokenizer and
 * chat template, frozen weights mapped from the checkpoint, LoRA adapters as the only graph inputs.
 */
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loraConfig, loraShapes } from '../../../src/learner/lora.js';
import { normalValues } from '../../../src/learner/model.js';
import { PolicyError } from '../../../src/policy/errors.js';
import { type HfModel, readHfModel } from '../../../src/policy/onnx/hf-model.js';
import { ModelDirError } from '../../../src/policy/onnx/model-dir.js';
import { OnnxPolicy } from '../../../src/policy/onnx/policy.js';
import { trainingTokens } from '../../../src/policy/onnx/tokens.js';
import type { TurnSample } from '../../../src/streams/types.js';
import { Rng } from '../../../src/util/rng.js';
import { TINY_HF_CASES, writeTinyHf } from '../../fixtures/hf/tiny-hf.js';

const QWEN3 = TINY_HF_CASES.find((c) => c.qwen3Tokenizer)!;
const LORA = loraConfig({ rank: 4, alpha: 8 });
let root: string;
let model: HfModel;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lamer-hf-policy-'));
  await writeTinyHf(join(root, 'qwen3'), QWEN3);
  model = await readHfModel(join(root, 'qwen3'), { cacheDir: join(root, 'cache') });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const prompt = 'You are playing MineSweeper. Reveal (1, 2).';
const request = (key: string, maxTokens: number, temperature = 0) => ({
  key,
  messages: [{ role: 'user' as const, content: prompt }],
  sampling: { temperature, maxTokens, seed: 5 },
});

function randomAdapters(seed: number): Record<string, Float32Array> {
  const rng = Rng.seeded(seed);
  return Object.fromEntries(
    Object.entries(loraShapes(model.config, LORA)).map(([n, s]) => [
      n,
      normalValues(s[0]! * s[1]!, 0.5, rng),
    ]),
  );
}

describe('OnnxPolicy.fromHf', () => {
  it('renders the Qwen3 template with thinking off; a fresh adapter replies as the base; new adapters change it', async () => {
    const base = await OnnxPolicy.fromHf(model);
    const tuned = await OnnxPolicy.fromHf(model, { lora: LORA });
    const [b] = await base.generate([request('a', 12)]);
    const [t] = await tuned.generate([request('a', 12)]);
    const expected = model.tokenizer.tokenizer.encode(
      `<|im_start|>user\n${prompt}<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n`,
    );
    expect(b!.promptTokens).toEqual(expected);
    expect(t!.responseTokens).toEqual(b!.responseTokens);
    await expect(base.setWeights(randomAdapters(1), 1)).rejects.toThrow(PolicyError);

    await tuned.setWeights(randomAdapters(2), 1);
    const [t2] = await tuned.generate([request('a', 12)]);
    expect(t2!.policyVersion).toBe(1);
    expect(t2!.responseTokens).not.toEqual(b!.responseTokens);
    // rollout tokens = training tokens: the learner rebuilds exactly the ids the policy saw and sampled
    const sample = {
      trialId: 't',
      attempt: 0,
      turn: 0,
      phase: 'play',
      prompt,
      response: t2!.text,
      promptTokens: t2!.promptTokens,
      responseTokens: t2!.responseTokens,
      logprobs: t2!.logprobs,
    } as TurnSample;
    expect(trainingTokens(sample, tuned.promptCodec).promptTokens).toEqual(t2!.promptTokens);
    await base.dispose();
    await tuned.dispose();
  });

  it('decodes LoRA through the in-place cache as through the HF layout (greedy and sampled)', async () => {
    const adapters = randomAdapters(3);
    const a = await OnnxPolicy.fromHf(model, { lora: LORA, adapters });
    const b = await OnnxPolicy.fromHf(model, { lora: LORA, adapters, inPlaceCache: false });
    const requests = [request('g', 70), request('s', 20, 1)];
    const [x, y] = [await a.generate(requests), await b.generate(requests)];
    for (const [i, g] of x.entries()) expect(g.responseTokens).toEqual(y[i]!.responseTokens);
    await a.dispose();
    await b.dispose();
  });

  it('names what an hf: folder lacks', async () => {
    await expect(readHfModel(join(root, 'none'))).rejects.toThrow(/does not exist/);
    const dir = join(root, 'no-template');
    await writeTinyHf(dir, QWEN3);
    await unlink(join(dir, 'tokenizer_config.json'));
    const error = await readHfModel(dir, { cacheDir: join(root, 'cache') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelDirError);
    expect((error as Error).message).toMatch(/has no chat_template/);
  });
});
