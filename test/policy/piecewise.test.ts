import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { registerBuiltinEnvs } from '../../src/envs/builtin.js';
import { listEnvs } from '../../src/envs/core/registry.js';
import type {
  AnyEnvDefinition,
  AttemptMemory,
  HistoryRecord,
  Json,
  MemoryMode,
} from '../../src/envs/core/types.js';
import { renderPrompt } from '../../src/policy/onnx/tokens.js';
import { linePieces, PieceCache, piecewiseExact, SPLIT_PATTERNS } from '../../src/policy/piecewise.js';
import { builtinTokenizerFiles, loadBuiltinTokenizer, TextTokenizer } from '../../src/policy/tokenizer.js';
import { Rng } from '../../src/util/rng.js';
import { QWEN3_DIR, qwen3Config } from './qwen3-fixture.js';

type TokJson = Record<string, unknown> & { pre_tokenizer: { pretokenizers: Record<string, unknown>[] } };

const builtin = () =>
  builtinTokenizerFiles() as unknown as { tokenizer: TokJson; config: Record<string, unknown> };

/** The built-in tokenizer.json with one change. */
function changed(edit: (json: TokJson) => void): TokJson {
  const json = builtin().tokenizer;
  edit(json);
  return json;
}

/** Pieces that prompts are made of: line breaks, spaces, cell names, tags, punctuation, digits, unicode. */
const PIECES = [
  '\n',
  '\n\n',
  '\r\n',
  ' ',
  '  ',
  '\t',
  ' \n',
  '\n ',
  'Row 4:',
  '(4, 1)',
  '(9, 9)',
  '(1, 1)(1, 2)',
  ' 1',
  ' ?',
  '<action>',
  '</action>',
  '<remark>',
  '</remark>',
  '<|im_start|>',
  '<|im_end|>',
  'user',
  'assistant',
  '<think>',
  'Trial 2 turn 3.',
  'Attempt 1 reflection:',
  "don't",
  "'s",
  "'LL",
  ' mine',
  'Mine',
  '.',
  ',',
  ':',
  '-',
  '—',
  '...',
  '#',
  '_',
  '*',
  '√',
  'é',
  'ü',
  '日本',
  '🙂',
  '\u00a0',
  '\u0085',
  '\u2028',
  '\ufeff',
  '0',
  '12',
  '3.5',
  '[SEP]',
  '$12.99',
  'click[buy now]',
  '(',
  ')',
  '"',
  '`',
  '~',
  '\\',
  '<',
  '>',
];
const promptLike = fc
  .array(
    fc.oneof(
      fc.constantFrom(...PIECES),
      fc.string({ maxLength: 6 }),
      fc.string({ unit: 'grapheme', maxLength: 4 }),
    ),
    {
      maxLength: 60,
    },
  )
  .map((parts) => parts.join(''));
/** Short texts dense in line breaks, other whitespace and the characters around them. */
const DENSE = [
  '\n',
  '\n',
  '\r',
  ' ',
  ' ',
  '\t',
  '\u00a0',
  '\u0085',
  '\u2028',
  'a',
  'Z',
  '1',
  '.',
  "'",
  's',
  '(1, 1)',
  '<|im_end|>',
  'é',
  '🙂',
  '#',
];
const dense = fc.array(fc.constantFrom(...DENSE), { maxLength: 24 }).map((parts) => parts.join(''));

/** Qwen3's tokenizer without its NFC normalizer: the built-in's shape with ~150k merges, many over whitespace runs, so a wrong cut shows in the ids. */
let qwenBare: TextTokenizer | null = null;
function qwenWithoutNormalizer(): TextTokenizer {
  if (qwenBare === null) {
    const json = JSON.parse(readFileSync(`${QWEN3_DIR}tokenizer.json`, 'utf8')) as Record<string, unknown>;
    json.normalizer = null;
    qwenBare = TextTokenizer.fromJson(json, qwen3Config());
  }
  return qwenBare;
}

describe('which tokenizers encode piecewise', () => {
  it('accepts the built-in tokenizer and the other known split patterns', () => {
    const { tokenizer, config } = builtin();
    expect(piecewiseExact(tokenizer, config)).toBe(true);
    for (const pattern of SPLIT_PATTERNS) {
      expect(
        piecewiseExact(changed((j) => (j.pre_tokenizer.pretokenizers[0]!.pattern = { Regex: pattern }))),
      ).toBe(true);
    }
  });

  it('refuses whatever the cut is not shown exact for', () => {
    const { config } = builtin();
    const refused: TokJson[] = [
      changed((j) => (j.normalizer = { type: 'NFC' })),
      changed((j) => (j.pre_tokenizer.pretokenizers[0]!.pattern = { Regex: '\\s+|[^\\s]+' })),
      changed((j) => (j.pre_tokenizer.pretokenizers[0]!.behavior = 'Removed')),
      changed((j) => (j.pre_tokenizer.pretokenizers[0]!.invert = true)),
      changed((j) => (j.pre_tokenizer.pretokenizers[1]!.use_regex = true)),
      changed((j) => (j.pre_tokenizer.pretokenizers[1]!.add_prefix_space = true)),
      changed((j) => j.pre_tokenizer.pretokenizers.push({ type: 'Digits', individual_digits: true })),
      changed((j) => ((j.model as Record<string, unknown>).dropout = 0.1)),
      changed((j) => (j.post_processor = { type: 'TemplateProcessing' })),
      changed((j) =>
        (j.added_tokens as Record<string, unknown>[]).push({ id: 1023, content: 'a\nb', special: false }),
      ),
      changed((j) => ((j.added_tokens as Record<string, unknown>[])[12]!.lstrip = true)),
      changed((j) => ((j.added_tokens as Record<string, unknown>[])[12]!.rstrip = true)),
    ];
    for (const json of refused) expect(piecewiseExact(json, config)).toBe(false);
    expect(piecewiseExact(builtin().tokenizer, { ...config, remove_space: true })).toBe(false);
    expect(piecewiseExact(builtin().tokenizer, { ...config, do_lowercase_and_remove_accent: true })).toBe(
      false,
    );
    // Qwen3 normalizes (NFC): it encodes whole.
    const qwen = JSON.parse(readFileSync(`${QWEN3_DIR}tokenizer.json`, 'utf8')) as unknown;
    expect(piecewiseExact(qwen, qwen3Config() as Record<string, unknown>)).toBe(false);
  });
});

describe('line pieces', () => {
  test.prop([promptLike], { numRuns: 300 })(
    'cut only after a line break before printable ASCII, and join back',
    (text) => {
      const pieces = linePieces(text);
      expect(pieces.join('')).toBe(text);
      for (let i = 1; i < pieces.length; i++) {
        expect(pieces[i - 1]!.endsWith('\n')).toBe(true);
        expect(pieces[i]!.charCodeAt(0)).toBeGreaterThanOrEqual(0x21);
        expect(pieces[i]!.charCodeAt(0)).toBeLessThanOrEqual(0x7e);
      }
      expect(pieces.every((p) => p.length > 0)).toBe(true);
    },
  );
});

describe('piecewise encoding equals whole encoding', () => {
  const { tokenizer } = loadBuiltinTokenizer();

  test.prop([fc.array(promptLike, { minLength: 1, maxLength: 8 })], { numRuns: 300 })(
    'on random prompt-like texts, through one shared cache',
    (texts) => {
      for (const text of texts) expect(tokenizer.encode(text)).toEqual(tokenizer.encodeWhole(text));
    },
  );

  test.prop([fc.array(fc.oneof(dense, promptLike), { minLength: 1, maxLength: 6 })], { numRuns: 400 })(
    'on texts dense in whitespace, with a tokenizer of many whitespace merges',
    (texts) => {
      const qwen = qwenWithoutNormalizer();
      for (const text of texts) {
        expect(qwen.encode(text)).toEqual(qwen.encodeWhole(text));
        expect(tokenizer.encode(text)).toEqual(tokenizer.encodeWhole(text));
      }
    },
  );

  const others = SPLIT_PATTERNS.map((pattern) => {
    const { config } = builtin();
    const json = changed((j) => (j.pre_tokenizer.pretokenizers[0]!.pattern = { Regex: pattern }));
    return TextTokenizer.fromJson(json, config);
  });
  test.prop([promptLike], { numRuns: 200 })('with every accepted split pattern', (text) => {
    for (const tok of others) expect(tok.encode(text)).toEqual(tok.encodeWhole(text));
  });

  it('on the real prompts of every registered env (both prompt styles, every memory mode), chat template on', () => {
    registerBuiltinEnvs();
    const { chatTemplate } = loadBuiltinTokenizer();
    const codec = { tokenizer, chatTemplate: chatTemplate! };
    const qwen = qwenWithoutNormalizer();
    let prompts = 0;
    for (const env of listEnvs()) {
      for (const text of envPrompts(env)) {
        const rendered = renderPrompt(codec, [{ role: 'user', content: text }]);
        expect(tokenizer.encode(rendered)).toEqual(tokenizer.encodeWhole(rendered));
        expect(tokenizer.encode(text)).toEqual(tokenizer.encodeWhole(text));
        expect(qwen.encode(rendered)).toEqual(qwen.encodeWhole(rendered));
        prompts++;
      }
    }
    expect(prompts).toBeGreaterThan(300);
  });

  it('stays within its budget and exact while it evicts', () => {
    const cache = new PieceCache((text) => tokenizer.encodeWhole(text), 800);
    const rng = Rng.seeded(3);
    for (let i = 0; i < 300; i++) {
      const rows = Array.from(
        { length: 6 },
        (_, r) => `Row ${r + 1}:(${r + 1}, ${rng.int(1, 9)}) ${rng.int(0, 8)}\n`,
      );
      const text = `Trial ${rng.int(1, 3)} turn ${i % 7}.\n${rows.join('')}${'x'.repeat(rng.int(0, 40))}`;
      expect(cache.encode(text)).toEqual(tokenizer.encodeWhole(text));
      expect(cache.size.chars).toBeLessThanOrEqual(800);
    }
    expect(cache.size.lines).toBeGreaterThan(0);
    // A text over a quarter of the budget is encoded whole and leaves the cache as it was.
    const before = cache.size;
    const big = `${'Row 1:(1, 1) 2\n'.repeat(20)}end`;
    expect(cache.encode(big)).toEqual(tokenizer.encodeWhole(big));
    expect(cache.size).toEqual(before);
    // A line over a sixteenth of the budget is encoded, not kept.
    const long = new PieceCache((text) => tokenizer.encodeWhole(text), 160);
    expect(long.encode(`${'y'.repeat(20)}\nz`)).toEqual(tokenizer.encodeWhole(`${'y'.repeat(20)}\nz`));
    expect(long.size).toEqual({ lines: 1, chars: 1 });
  });

  it('encodes whole when special tokens are asked for, and whole for a tokenizer it cannot show exact', () => {
    const { config } = builtin();
    const nfc = TextTokenizer.fromJson(
      changed((j) => (j.normalizer = { type: 'NFC' })),
      config,
    );
    const text = 'Row 1:(1, 1)\ne\u0301\n';
    expect(nfc.encode(text)).toEqual(nfc.encodeWhole(text));
    expect(tokenizer.encode(text, { addSpecialTokens: true })).toEqual(tokenizer.encodeWhole(text, true));
  });
});

/** Play and reflect prompts of an env: seeded random play on every preset, both prompt styles, every memory mode. */
function envPrompts(env: AnyEnvDefinition): string[] {
  const out: string[] = [];
  const modes: MemoryMode[] = ['reflection_only', 'history_only', 'history_and_reflection', 'none'];
  for (const [p, preset] of Object.keys(env.presets).entries()) {
    const params = env.presets[preset];
    const rng = Rng.seeded(17 + p);
    const initial = env.initial(p, params) as Json;
    const memory: AttemptMemory[] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const records: HistoryRecord[] = [];
      let current = initial;
      for (let turn = 0; turn < Math.min(env.maxTurns, 6); turn++) {
        for (const style of ['faithful', 'compact'] as const) {
          const memoryMode = modes[(turn + attempt) % modes.length]!;
          out.push(
            env.prompts[style].play({ initial, current, attempt, history: records, memory, memoryMode }),
          );
        }
        const action = env.randomAction(current, rng);
        const step = env.step(current, action);
        records.push({
          action: env.describeAction(action),
          observation: env.observe(step.state),
          reward: step.reward,
          done: step.done,
          won: step.won,
        });
        current = step.state;
        if (step.done) break;
      }
      const ctx = { initial, current, attempt, history: records };
      for (const style of ['faithful', 'compact'] as const) out.push(env.prompts[style].reflect(ctx));
      memory.push({
        attempt,
        history: records,
        reflection: env.ruleReflection?.(ctx) ?? 'Try another first move.',
      });
    }
  }
  return out;
}
