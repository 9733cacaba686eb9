/**
 * Builds the built-in model's tokenizer files (Hugging Face tokenizer.json and
 * tokenizer_config.json): a byte-level BPE with Qwen-style pre-tokenization,
 * merges learned from the envs' compact prompts and replies, and the chat
 * special tokens. Any well-formed text round-trips exactly (no normalizer).
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { BUILTIN_CHAT_TEMPLATE } from '../chat-template.js';
import { bytesToUnicode, type Merge, trainBpe } from './bpe-trainer.js';

/** Total vocabulary budget: special tokens + 256 bytes + merges. */
export const BUILTIN_VOCAB_BUDGET = 1024;

/** Added tokens, ids 0.. in this order. `special` ones are dropped by `decode(..., skip special)`. */
export const BUILTIN_ADDED_TOKENS: readonly { content: string; special: boolean }[] = [
  { content: '<|endoftext|>', special: true },
  { content: '<|im_start|>', special: true },
  { content: '<|im_end|>', special: true },
  { content: '<think>', special: false },
  { content: '</think>', special: false },
  { content: '<action>', special: false },
  { content: '</action>', special: false },
  { content: '<remark>', special: false },
  { content: '</remark>', special: false },
  ...gridCellTokens(9),
];

/**
 * Grid cell names `(1, 1)` … `(9, 9)` (MineSweeper's action and the cells its
 * memory and lessons name) as whole tokens: a small model then copies a cell
 * from its own actions or a lesson with one attention step; as five BPE pieces
 * it had to learn an induction circuit first, and did not in a warm start.
 */
function gridCellTokens(size: number): { content: string; special: boolean }[] {
  const cells: { content: string; special: boolean }[] = [];
  for (let r = 1; r <= size; r++)
    for (let c = 1; c <= size; c++) cells.push({ content: `(${r}, ${c})`, special: false });
  return cells;
}

/**
 * Qwen2/3's split pattern (punctuation runs, words with one leading non-letter,
 * digits one by one) except that a digit keeps its leading space (` ?\p{N}`),
 * so board cells like ` 1` are one token.
 */
const SPLIT_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+| ?\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };

/** A tokenizer.json (as a plain object) for the given merges. */
export function tokenizerJson(merges: readonly Merge[]): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  let next = BUILTIN_ADDED_TOKENS.length;
  for (const ch of bytesToUnicode()) vocab[ch] = next++;
  for (const [a, b] of merges) {
    if (!(a + b in vocab)) vocab[a + b] = next++;
  }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: BUILTIN_ADDED_TOKENS.map((t, id) => ({
      id,
      content: t.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: t.special,
    })),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: SPLIT_PATTERN }, behavior: 'Isolated', invert: false },
        BYTE_LEVEL,
      ],
    },
    post_processor: BYTE_LEVEL,
    decoder: BYTE_LEVEL,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: merges.map(([a, b]) => [a, b]),
    },
  };
}

/** The built-in tokenizer_config.json (chat template and special tokens). */
export function tokenizerConfigJson(): Record<string, unknown> {
  const decoder: Record<string, unknown> = {};
  BUILTIN_ADDED_TOKENS.forEach((t, id) => {
    decoder[String(id)] = {
      content: t.content,
      lstrip: false,
      normalized: false,
      rstrip: false,
      single_word: false,
      special: t.special,
    };
  });
  return {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: decoder,
    bos_token: null,
    chat_template: BUILTIN_CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: '<|im_end|>',
    errors: 'replace',
    model_max_length: 4096,
    pad_token: '<|endoftext|>',
    split_special_tokens: false,
    tokenizer_class: 'PreTrainedTokenizerFast',
    unk_token: null,
  };
}

/**
 * Pre-tokenize a corpus the way the tokenizer will at encode time: split out
 * added tokens, then run the tokenizer's own pre-tokenizer on each piece.
 */
export function countWords(corpus: readonly string[]): Map<string, number> {
  const bootstrap = new Tokenizer(tokenizerJson([]), tokenizerConfigJson());
  const preTokenizer = bootstrap.pre_tokenizer;
  if (!preTokenizer) throw new Error('bootstrap tokenizer has no pre-tokenizer');
  const added = new RegExp(
    BUILTIN_ADDED_TOKENS.map((t) => t.content.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'),
    'g',
  );
  const counts = new Map<string, number>();
  for (const text of corpus) {
    for (const piece of text.split(added)) {
      if (piece === '') continue;
      for (const word of preTokenizer.pre_tokenize(piece)) counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  return counts;
}

/** Non-ASCII characters of the corpus, most frequent first (ties by code point). */
export function multiByteChars(corpus: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const text of corpus) {
    for (const ch of text) if (ch.codePointAt(0)! > 0x7f) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].codePointAt(0)! - b[0].codePointAt(0)!)
    .map(([ch]) => ch);
}

/** The built-in tokenizer as the contents of tokenizer.json and tokenizer_config.json. */
export interface BuiltinTokenizerFiles {
  tokenizer: Record<string, unknown>;
  config: Record<string, unknown>;
}

/** Train on `corpus` (the shipped files use `builtinCorpus()`) and assemble both files. */
export function buildBuiltinTokenizerFiles(corpus: readonly string[]): BuiltinTokenizerFiles {
  const merges = trainBpe({
    words: countWords(corpus),
    maxMerges: BUILTIN_VOCAB_BUDGET - BUILTIN_ADDED_TOKENS.length - 256,
    wholeChars: multiByteChars(corpus),
  });
  return { tokenizer: tokenizerJson(merges), config: tokenizerConfigJson() };
}

/** The exact bytes written to disk (stable key order, one trailing newline). */
export function serializeTokenizerFile(json: Record<string, unknown>): string {
  return `${JSON.stringify(json, null, 1)}\n`;
}
