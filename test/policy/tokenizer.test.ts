import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTokenizerDir, TextTokenizer, TokenizerError } from '../../src/policy/tokenizer.js';
import { ParseError } from '../../src/util/errors.js';
import { QWEN3_DIR, qwen3Tokenizer } from './qwen3-fixture.js';

describe('Hugging Face tokenizer loader on the real Qwen3 tokenizer', () => {
  it('gives the known Qwen token ids', () => {
    const tok = qwen3Tokenizer();
    // Known-good Qwen2/Qwen3 ids: "Hello"=9707, ","=11, " world"=1879, "!"=0, "\n"=198, " "=220.
    expect(tok.encode('Hello, world!')).toEqual([9707, 11, 1879, 0]);
    expect(tok.encode('\n')).toEqual([198]);
    expect(tok.encode(' ')).toEqual([220]);
  });

  it('maps the documented Qwen special tokens to their ids', () => {
    const tok = qwen3Tokenizer();
    expect(tok.tokenToId('<|endoftext|>')).toBe(151643);
    expect(tok.tokenToId('<|im_start|>')).toBe(151644);
    expect(tok.tokenToId('<|im_end|>')).toBe(151645);
    expect(tok.tokenToId('<think>')).toBe(151667);
    expect(tok.tokenToId('</think>')).toBe(151668);
    expect(tok.eosTokenId).toBe(151645);
    expect(tok.padTokenId).toBe(151643);
    expect(tok.bosTokenId).toBeNull();
    expect(tok.specialTokenIds()).toContain(151644);
    expect(tok.vocabSize).toBe(151669);
  });

  it('encodes a ChatML prompt with special tokens as single ids and decodes it back', () => {
    const tok = qwen3Tokenizer();
    const prompt = '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n';
    const ids = tok.encode(prompt);
    // 872 = "user", 6023 = "hi", 77091 = "assistant", 271 = "\n\n".
    expect(ids).toEqual([151644, 872, 198, 6023, 151645, 198, 151644, 77091, 198, 151667, 271, 151668, 271]);
    expect(tok.decode(ids)).toBe(prompt);
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('user\nhi\nassistant\n<think>\n\n</think>\n\n');
  });

  it('round-trips env text and adds nothing when asked for special tokens (Qwen has no BOS)', () => {
    const tok = qwen3Tokenizer();
    const text = '0: # _ X O _ #\nRow 1: ? ? 1 . . ?\n<action>(2, 3)</action> √';
    expect(tok.decode(tok.encode(text))).toBe(text);
    expect(tok.encode(text, { addSpecialTokens: true })).toEqual(tok.encode(text));
    expect(tok.tokens('Hello, world!')).toEqual(['Hello', ',', 'Ġworld', '!']);
  });

  it('loads a model directory (tokenizer.json, tokenizer_config.json with its chat template)', async () => {
    const loaded = await loadTokenizerDir(QWEN3_DIR);
    expect(loaded.tokenizer.encode('Hello, world!')).toEqual([9707, 11, 1879, 0]);
    expect(loaded.chatTemplate).not.toBeNull();
    expect(loaded.config.eos_token).toBe('<|im_end|>');
  });
});

describe('loader errors and layouts', () => {
  const tinyBpe = {
    model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: [['a', 'b']] },
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: null,
  };

  it('names the missing tokenizer.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lamer-tok-'));
    await expect(loadTokenizerDir(dir)).rejects.toThrow(TokenizerError);
    await expect(loadTokenizerDir(dir)).rejects.toThrow(/has no tokenizer\.json/);
  });

  it('reports a tokenizer.json that is not JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lamer-tok-'));
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
    await expect(loadTokenizerDir(dir)).rejects.toThrow(ParseError);
  });

  it('rejects an object that is not a tokenizer file', () => {
    expect(() => TextTokenizer.fromJson({ vocab: {} })).toThrow(/"model" field/);
  });

  it('works without a config and lets chat_template.jinja win over the config template', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lamer-tok-'));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tinyBpe));
    const bare = await loadTokenizerDir(dir);
    expect(bare.chatTemplate).toBeNull();
    expect(bare.tokenizer.encode('ab')).toEqual([2]);

    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ chat_template: 'config' }));
    writeFileSync(join(dir, 'chat_template.jinja'), '{% for m in messages %}[{{ m.content }}]{% endfor %}');
    const loaded = await loadTokenizerDir(dir);
    expect(loaded.chatTemplate?.render([{ role: 'user', content: 'x' }])).toBe('[x]');
  });

  it('fails loudly on a chat template that does not parse', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lamer-tok-'));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tinyBpe));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ chat_template: '{% for %}' }));
    await expect(loadTokenizerDir(dir)).rejects.toThrow(/chat template does not parse/);
  });
});
