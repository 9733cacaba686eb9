/** A tiny random Llama-layout Hugging Face folder and the short hf-lora config the hf: training tests run. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomHfParams } from '../../src/learner/hf/tiny.js';
import { writeHfFolder } from '../../src/learner/hf/write.js';
import { modelConfig } from '../../src/learner/model.js';
import { builtinTokenizerFiles } from '../../src/policy/tokenizer.js';
import { loadTrainConfig, type TrainConfigInput } from '../../src/train/config.js';

/** 1 block × width 16, grouped-query attention (2 heads, 1 KV head), the built-in tokenizer's 1024 ids. */
export const TINY_HF_MODEL = modelConfig({
  vocabSize: 1024,
  dModel: 16,
  nLayers: 1,
  nHeads: 2,
  nKvHeads: 1,
  ffnHidden: 32,
  maxSeqLen: 2048,
});

/** Writes the tiny model (F32, seed 2, the built-in tokenizer) to `<root>/base` and returns that folder. */
export async function writeTinyHfBase(root: string): Promise<string> {
  const base = join(root, 'base');
  const files = builtinTokenizerFiles();
  await writeFile(join(root, 'tokenizer.json'), JSON.stringify(files.tokenizer));
  await writeFile(join(root, 'tokenizer_config.json'), JSON.stringify(files.config));
  await writeHfFolder(base, {
    config: TINY_HF_MODEL,
    params: randomHfParams(TINY_HF_MODEL, 2),
    dtype: 'F32',
    generationConfig: { eos_token_id: 0 },
    copyFiles: [join(root, 'tokenizer.json'), join(root, 'tokenizer_config.json')],
  });
  return base;
}

/** Two LoRA steps (rank 2) of one MineSweeper task on `base`, validated at the end, into `out`. */
export function tinyHfTrainConfig(base: string, out: string, over: TrainConfigInput = {}) {
  return loadTrainConfig({
    preset: 'hf-lora',
    overrides: {
      env: 'minesweeper',
      seed: 1,
      steps: 2,
      tasksPerStep: 1,
      attemptBudget: 6,
      maxTurns: 2,
      style: 'compact',
      hf: { dir: base, lora: { rank: 2, alpha: 4 } } as TrainConfigInput['hf'],
      ppo: { lr: 1e-2 },
      sampling: { train: { maxTokens: 8 }, validation: { maxTokens: 8 } },
      validation: { every: 2, tasks: 1, trialsPerTask: 2 },
      checkpointEvery: 1,
      out,
      ...over,
    },
  });
}
