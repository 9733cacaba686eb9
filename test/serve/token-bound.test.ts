import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  builtinTokenizerFiles,
  loadBuiltinTokenizer,
  type TextTokenizer,
} from '../../src/policy/tokenizer.js';
import { tokenLowerBound } from '../../src/serve/token-bound.js';
import { QWEN3_DIR, qwen3Tokenizer } from '../policy/qwen3-fixture.js';

/** Texts that come close to the bound: runs of the vocabulary's longest tokens and special tokens, and any text. */
function texts(tok: TextTokenizer, json: { model: { vocab: Record<string, number> } }) {
  const longest = Object.entries(json.model.vocab)
    .sort((a, b) => b[0].length - a[0].length)
    .slice(0, 40)
    .map(([, id]) => tok.decode([id]));
  const piece = fc.oneof(
    fc.constantFrom(...longest, '<|im_start|>', '<|im_end|>', '(4, 5)'),
    fc.string({ unit: 'binary', maxLength: 8 }),
  );
  return fc.array(piece, { maxLength: 40 }).map((p) => p.join(''));
}

describe('tokenLowerBound', () => {
  const builtin = builtinTokenizerFiles().tokenizer as { model: { vocab: Record<string, number> } };
  const qwenJson = JSON.parse(readFileSync(`${QWEN3_DIR}tokenizer.json`, 'utf8'));
  const builtinBound = tokenLowerBound(builtin)!;
  const qwenBound = tokenLowerBound(qwenJson)!;

  test.prop([texts(loadBuiltinTokenizer().tokenizer, builtin)], { numRuns: 300 })(
    'never exceeds the token count of the built-in tokenizer',
    (text) => {
      expect(builtinBound(text)).toBeLessThanOrEqual(loadBuiltinTokenizer().tokenizer.encode(text).length);
    },
  );

  test.prop([texts(qwen3Tokenizer(), qwenJson)], { numRuns: 200 })(
    'never exceeds the token count of the Qwen3 tokenizer (NFC: a 4x margin)',
    (text) => {
      expect(qwenBound(text)).toBeLessThanOrEqual(qwen3Tokenizer().encode(text).length);
    },
  );

  it('is tight enough to refuse a megabyte for a 1024-token model without tokenizing it', () => {
    expect(builtinBound('x'.repeat(2 ** 20))).toBeGreaterThan(50 * 1024);
  });

  it('gives no bound where tokens can stand for more text than they spell', () => {
    const bpe = { type: 'BPE', vocab: { a: 0 }, merges: [] };
    const byteLevel = { type: 'ByteLevel' };
    const cases = [
      { model: bpe, pre_tokenizer: { type: 'Whitespace' } }, // drops whitespace
      {
        model: bpe,
        pre_tokenizer: {
          type: 'Sequence',
          pretokenizers: [byteLevel, { type: 'Split', behavior: 'Removed' }],
        },
      },
      {
        model: bpe,
        normalizer: { type: 'Replace', pattern: { Regex: ' +' }, content: ' ' },
        pre_tokenizer: byteLevel,
      },
      { model: bpe, normalizer: { type: 'BertNormalizer' }, pre_tokenizer: byteLevel },
      { model: bpe, pre_tokenizer: { type: 'Metaspace' } }, // not byte-level: unknown characters
      { model: { type: 'WordPiece', vocab: { a: 0 } }, pre_tokenizer: byteLevel },
    ];
    for (const json of cases) expect(tokenLowerBound(json), JSON.stringify(json)).toBeNull();
    expect(tokenLowerBound({ model: bpe, pre_tokenizer: byteLevel })).not.toBeNull();
  });
});
