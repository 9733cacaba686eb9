/**
 * A small deterministic byte-level BPE trainer for the built-in model's
 * tokenizer. Hand-written because `@huggingface/tokenizers` (JS) cannot train
 * and no maintained JS library trains byte-level BPE.
 *
 * Input: pre-tokenized words in byte-level form (each byte of UTF-8 mapped to
 * one printable character, GPT-2 style) with their counts. Output: the ordered
 * merge list of a Hugging Face `BPE` model.
 */

/** GPT-2's byte → printable character table (the `ByteLevel` pre-tokenizer's alphabet). */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table = new Array<string>(256);
  for (const b of printable) table[b] = String.fromCodePoint(b);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCodePoint(256 + next++);
  }
  return table;
}

const BYTE_CHARS = bytesToUnicode();

/** The byte-level form of a string: one character per UTF-8 byte. */
export function toByteLevel(text: string): string {
  let out = '';
  for (const b of Buffer.from(text, 'utf8')) out += BYTE_CHARS[b];
  return out;
}

export type Merge = [string, string];

export interface BpeTrainOptions {
  /** Byte-level words (pre-tokenizer output) and how often each occurs. */
  words: ReadonlyMap<string, number>;
  /** Stop after this many merges. */
  maxMerges: number;
  /** A pair must occur at least this often to be merged (default 2). */
  minFrequency?: number;
  /**
   * Characters (plain text) that must each become a single token. Their merges
   * come first, so every one of them encodes to exactly one token.
   */
  wholeChars?: readonly string[];
}

/**
 * Learn merges: first the merges that make each of `wholeChars` one token
 * (in the given order), then repeatedly the most frequent adjacent pair, ties
 * broken by the pair's text (code-unit order), so the result depends only on
 * the input, never on map iteration order.
 */
export function trainBpe(options: BpeTrainOptions): Merge[] {
  const minFrequency = options.minFrequency ?? 2;
  const merges: Merge[] = [];
  const known = new Set<string>();
  const add = (a: string, b: string): boolean => {
    const key = `${a} ${b}`;
    if (known.has(key)) return false;
    known.add(key);
    merges.push([a, b]);
    return true;
  };

  for (const ch of options.wholeChars ?? []) {
    const symbols = [...toByteLevel(ch)];
    let acc = symbols[0] ?? '';
    for (let i = 1; i < symbols.length && merges.length < options.maxMerges; i++) {
      add(acc, symbols[i] as string);
      acc += symbols[i];
    }
  }

  // Words as symbol arrays, with the char-level merges already applied.
  const words: { symbols: string[]; count: number }[] = [];
  const sortedWords = [...options.words.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  for (const [word, count] of sortedWords) {
    let symbols = [...word];
    for (const [a, b] of merges) symbols = applyMerge(symbols, a, b);
    words.push({ symbols, count });
  }

  while (merges.length < options.maxMerges) {
    const counts = new Map<string, number>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        counts.set(key, (counts.get(key) ?? 0) + count);
      }
    }
    let bestKey = '';
    let bestCount = 0;
    for (const [key, count] of counts) {
      if (known.has(key)) continue;
      if (count > bestCount || (count === bestCount && key < bestKey)) {
        bestKey = key;
        bestCount = count;
      }
    }
    if (bestCount < minFrequency) break;
    // Byte-level symbols never contain a space (space is `Ġ`), so the split is exact.
    const [a, b] = bestKey.split(' ') as [string, string];
    add(a, b);
    for (const w of words) w.symbols = applyMerge(w.symbols, a, b);
  }
  return merges;
}

/** Merge every non-overlapping occurrence of `a b`, left to right. */
export function applyMerge(symbols: string[], a: string, b: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (symbols[i] === a && symbols[i + 1] === b) {
      out.push(a + b);
      i++;
    } else {
      out.push(symbols[i] as string);
    }
  }
  return out;
}
