/**
 * `npm run build:tokenizer`: rebuild the built-in model's tokenizer files from
 * the current envs and write them to src/policy/assets/. Run it after changing
 * an env's compact prompts (a test fails until the shipped files match).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildBuiltinTokenizerFiles, serializeTokenizerFile } from './builtin.js';
import { builtinCorpus } from './corpus.js';

export const BUILTIN_TOKENIZER_PATH = fileURLToPath(
  new URL('../assets/lamer-tokenizer.json', import.meta.url),
);
export const BUILTIN_TOKENIZER_CONFIG_PATH = fileURLToPath(
  new URL('../assets/lamer-tokenizer_config.json', import.meta.url),
);

const files = buildBuiltinTokenizerFiles(builtinCorpus());
writeFileSync(BUILTIN_TOKENIZER_PATH, serializeTokenizerFile(files.tokenizer));
writeFileSync(BUILTIN_TOKENIZER_CONFIG_PATH, serializeTokenizerFile(files.config));
const vocab = (files.tokenizer.model as { vocab: Record<string, number> }).vocab;
const merges = (files.tokenizer.model as { merges: unknown[] }).merges;
console.log(
  `wrote ${BUILTIN_TOKENIZER_PATH} (${Object.keys(vocab).length} model tokens, ${merges.length} merges) and ${BUILTIN_TOKENIZER_CONFIG_PATH}`,
);
