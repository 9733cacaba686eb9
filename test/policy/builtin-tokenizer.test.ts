import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { minesweeper, renderCompactBoard } from '../../src/envs/minesweeper/index.js';
import { builtinTokenizerFiles, loadBuiltinTokenizer, TextTokenizer } from '../../src/policy/tokenizer.js';
import { applyMerge, toByteLevel, trainBpe } from '../../src/policy/vocab/bpe-trainer.js';
import {
  BUILTIN_ADDED_TOKENS,
  BUILTIN_VOCAB_BUDGET,
  buildBuiltinTokenizerFiles,
  serializeTokenizerFile,
} from '../../src/policy/vocab/builtin.js';
import { builtinCorpus } from '../../src/policy/vocab/corpus.js';
import { Rng } from '../../src/util/rng.js';

const ASSETS = new URL('../../src/policy/assets/', import.meta.url);
let corpus: string[] | null = null;
/** Playing the envs takes a few seconds; do it once per file. */
const envCorpusOnce = (): string[] => {
  corpus ??= builtinCorpus();
  return corpus;
};

describe('the built-in tokenizer', () => {
  const { tokenizer, chatTemplate } = loadBuiltinTokenizer();

  it('ships files equal to a fresh build (run `npm run build:tokenizer` after changing env prompts)', () => {
    const fresh = buildBuiltinTokenizerFiles(envCorpusOnce());
    const stale =
      'the shipped tokenizer differs from a fresh build: run `npm run build:tokenizer` and commit src/policy/assets';
    const shipped = readFileSync(new URL('lamer-tokenizer.json', ASSETS), 'utf8');
    expect(shipped === serializeTokenizerFile(fresh.tokenizer), stale).toBe(true);
    const shippedConfig = readFileSync(new URL('lamer-tokenizer_config.json', ASSETS), 'utf8');
    expect(shippedConfig === serializeTokenizerFile(fresh.config), stale).toBe(true);
  });

  it('is small and has every special token as one id', () => {
    expect(tokenizer.vocabSize).toBeLessThanOrEqual(BUILTIN_VOCAB_BUDGET);
    expect(tokenizer.vocabSize).toBeGreaterThan(256 + BUILTIN_ADDED_TOKENS.length);
    BUILTIN_ADDED_TOKENS.forEach((t, id) => {
      expect(tokenizer.tokenToId(t.content)).toBe(id);
      expect(tokenizer.encode(t.content)).toEqual([id]);
    });
    expect(tokenizer.eosTokenId).toBe(tokenizer.tokenToId('<|im_end|>'));
    expect(tokenizer.padTokenId).toBe(tokenizer.tokenToId('<|endoftext|>'));
    expect(tokenizer.specialTokenIds()).toEqual([0, 1, 2]);
    expect(chatTemplate).not.toBeNull();
    const files = builtinTokenizerFiles();
    expect(TextTokenizer.fromJson(files.tokenizer, files.config).encode('Row 1: ? .')).toEqual(
      tokenizer.encode('Row 1: ? .'),
    );
  });

  test.prop([fc.string({ unit: 'binary' })], { numRuns: 300 })('round-trips any text exactly', (text) => {
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  const pieces = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.constantFrom(
      ...BUILTIN_ADDED_TOKENS.map((t) => t.content),
      '# _ X O',
      'Row 1: ? 1 .',
      '(2, 3)',
      '√',
      '\n\n',
    ),
  );
  test.prop([fc.array(pieces, { maxLength: 12 })], { numRuns: 300 })(
    'round-trips text mixing special tokens, env symbols and arbitrary unicode',
    (parts) => {
      const text = parts.join('');
      expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    },
  );

  it('encodes every character of the env corpus as one token, and compresses the corpus', () => {
    const texts = envCorpusOnce();
    const chars = new Set(texts.join(''));
    for (const ch of chars) expect(tokenizer.encode(ch), JSON.stringify(ch)).toHaveLength(1);
    let bytes = 0;
    let tokens = 0;
    for (const text of texts) {
      const ids = tokenizer.encode(text);
      expect(tokenizer.decode(ids)).toBe(text);
      bytes += Buffer.byteLength(text, 'utf8');
      tokens += ids.length;
    }
    // Merges learned on this corpus must shorten it well below one token per byte.
    expect(tokens / bytes).toBeLessThan(0.75);
  });

  it('writes a compact MineSweeper board as one token per cell on every preset', () => {
    for (const [name, params] of Object.entries(minesweeper.presets)) {
      let state = minesweeper.initial(3, params);
      const rng = Rng.seeded(3);
      for (let i = 0; i < 3; i++) {
        const step = minesweeper.step(state, minesweeper.randomAction(state, rng));
        if (step.done) break;
        state = step.state;
      }
      // per row: "Row", " r", ":" and one token per cell, hidden (a cell name) or open
      for (const row of renderCompactBoard(state).split('\n'))
        expect(tokenizer.encode(row), `${name}: ${row}`).toHaveLength(3 + state.cols);
    }
    expect(tokenizer.encode('<action>(8, 8)</action>')).toHaveLength(3);
  });

  it('renders the built-in chat template in ChatML with the empty think block', () => {
    const prompt = chatTemplate!.render([{ role: 'user', content: 'Row 1: ? ? 1' }]);
    expect(prompt).toBe(
      '<|im_start|>user\nRow 1: ? ? 1<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n',
    );
    expect(tokenizer.decode(tokenizer.encode(prompt))).toBe(prompt);
    expect(tokenizer.encode(prompt).slice(0, 1)).toEqual([tokenizer.tokenToId('<|im_start|>')]);
  });
});

describe('the BPE trainer', () => {
  it('merges the most frequent pair first and breaks ties by text', () => {
    const words = new Map([
      ['abab', 3],
      ['cd', 3],
      ['ab', 1],
    ]);
    // pairs: ab×7, ba×3, cd×3 → ab; then abab → [ab, ab] gives (ab,ab)×3 vs cd×3 → "ab ab" < "c d".
    expect(trainBpe({ words, maxMerges: 3 })).toEqual([
      ['a', 'b'],
      ['ab', 'ab'],
      ['c', 'd'],
    ]);
  });

  it('stops below the minimum frequency and at the merge budget', () => {
    const words = new Map([['xyz', 1]]);
    expect(trainBpe({ words, maxMerges: 10 })).toEqual([]);
    expect(trainBpe({ words, maxMerges: 10, minFrequency: 1 })).toHaveLength(2);
    expect(trainBpe({ words: new Map([['aaaa', 5]]), maxMerges: 1 })).toHaveLength(1);
  });

  it('does not depend on the order the words come in', () => {
    const entries: [string, number][] = [
      ['hello', 2],
      ['yellow', 3],
      ['low', 4],
      ['lower', 2],
    ];
    const a = trainBpe({ words: new Map(entries), maxMerges: 20 });
    const b = trainBpe({ words: new Map([...entries].reverse()), maxMerges: 20 });
    expect(a).toEqual(b);
  });

  it('makes each whole character one token before frequency merges', () => {
    const merges = trainBpe({ words: new Map(), maxMerges: 10, wholeChars: ['√', '🙂'] });
    expect(merges).toHaveLength(2 + 3);
    let symbols = [...toByteLevel('🙂')];
    for (const [a, b] of merges) symbols = applyMerge(symbols, a, b);
    expect(symbols).toEqual([toByteLevel('🙂')]);
  });
});
