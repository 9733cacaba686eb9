/**
 * Exact piecewise encoding: a prompt cut into lines where the tokenizer always
 * splits, each line's ids cached, the ids concatenated. Consecutive prompts of a
 * trial share most of their lines (the header, the reflections, the board rows),
 * so a rollout's tokenizer encodes each distinct line about once.
 *
 * Where it is exact. `encode(a + b) = encode(a) ++ encode(b)` when `a` ends with
 * `\n` and `b` starts with a printable ASCII character other than the space
 * (U+0021–U+007E), for a tokenizer of this shape (`piecewiseExact` checks the
 * tokenizer.json and config at construction; any other falls back to whole
 * encoding):
 * - no normalizer, no `remove_space` / `do_lowercase_and_remove_accent` in the
 *   config: the text reaches the splitters unchanged;
 * - added tokens without `\r` or `\n` and without lstrip / rstrip / single_word:
 *   the added-token scan (leftmost, then longest) finds no token across the cut
 *   (it would contain the `\n` before it), so the scan reaches the cut with the
 *   same matches as in `a` alone and goes on from it as in `b` alone; the text
 *   between added tokens around the cut is `x + y` with `x` (non-empty: it holds
 *   the `\n`) the end of `a`'s last section and `y` the start of `b`'s first;
 * - a Split pre-tokenizer (Isolated, not inverted) with one of `SPLIT_PATTERNS`,
 *   then ByteLevel without its own regex or prefix space: every piece is a regex
 *   match (the alternatives cover every character), and no match of those
 *   patterns holds a `\n` and goes on past a non-whitespace character: the
 *   contractions, the letter run (its optional first character is not `\r`/`\n`)
 *   and the digits hold no `\n`; the punctuation run ends with `[\r\n]*`;
 *   `\s*[\r\n]+` ends at the last line break of its whitespace run; `\s+(?!\S)`
 *   and `\s+` are tried only where `\s*[\r\n]+` failed, i.e. on a run without a
 *   line break. So every match that starts before the cut ends at or before it,
 *   reads nothing after it (only those two ways through the `\n` read on, and
 *   they stop at `b`'s first character as at the end of `a`), and one ends at
 *   the cut. The patterns have no look-behind and no anchors, so the matches
 *   from the cut on are those of `y` alone. Hence pre-tokens(x + y) =
 *   pre-tokens(x) ++ pre-tokens(y);
 * - a BPE model without dropout (each pre-token's ids depend on it alone) and a
 *   ByteLevel or no post-processor, with no special tokens added.
 * The tests compare it with whole encoding on random texts of prompt-like
 * pieces and on every registered env's real prompts.
 */

/** The Split patterns the cut is shown exact for (GPT-2-like; Qwen2/Llama-3 differ only in the digit run). */
export const SPLIT_PATTERNS: readonly string[] = [
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+| ?\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
];

type Json = Record<string, unknown>;

const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const absentOrFalse = (x: unknown): boolean => x === undefined || x === null || x === false;

/**
 * Whether encoding a text line by line (cut after a `\n` followed by printable
 * non-space ASCII) gives exactly the ids of encoding it whole, for this
 * tokenizer.json and tokenizer_config.json (the module comment says why).
 */
export function piecewiseExact(tokenizerJson: unknown, config: Json = {}): boolean {
  if (!isObject(tokenizerJson)) return false;
  if (!absentOrFalse(config.remove_space) || !absentOrFalse(config.do_lowercase_and_remove_accent))
    return false;
  if (!absentOrFalse(tokenizerJson.normalizer)) return false;
  const model = tokenizerJson.model;
  if (!isObject(model) || model.type !== 'BPE' || !absentOrFalse(model.dropout)) return false;
  const post = tokenizerJson.post_processor;
  if (!absentOrFalse(post) && !(isObject(post) && post.type === 'ByteLevel')) return false;
  const added = tokenizerJson.added_tokens ?? [];
  if (!Array.isArray(added)) return false;
  for (const token of added as unknown[]) {
    if (!isObject(token) || typeof token.content !== 'string' || /[\r\n]/.test(token.content)) return false;
    if (!absentOrFalse(token.lstrip) || !absentOrFalse(token.rstrip) || !absentOrFalse(token.single_word)) {
      return false;
    }
  }
  const pre = tokenizerJson.pre_tokenizer;
  if (!isObject(pre) || pre.type !== 'Sequence' || !Array.isArray(pre.pretokenizers)) return false;
  const [split, byteLevel, ...rest] = pre.pretokenizers as unknown[];
  if (rest.length > 0 || !isObject(split) || !isObject(byteLevel)) return false;
  const pattern = split.pattern;
  if (
    split.type !== 'Split' ||
    split.behavior !== 'Isolated' ||
    split.invert !== false ||
    !isObject(pattern) ||
    typeof pattern.Regex !== 'string' ||
    !SPLIT_PATTERNS.includes(pattern.Regex)
  ) {
    return false;
  }
  return (
    byteLevel.type === 'ByteLevel' &&
    byteLevel.use_regex === false &&
    absentOrFalse(byteLevel.add_prefix_space)
  );
}

/** Where `text` may be cut: after a `\n` followed by printable ASCII other than the space. */
export function linePieces(text: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  let nl = text.indexOf('\n');
  while (nl !== -1 && nl + 1 < text.length) {
    const next = text.charCodeAt(nl + 1);
    if (next >= 0x21 && next <= 0x7e) {
      pieces.push(text.slice(start, nl + 1));
      start = nl + 1;
    }
    nl = text.indexOf('\n', nl + 1);
  }
  if (start < text.length) pieces.push(text.slice(start));
  return pieces;
}

/** Default budget of a {@link PieceCache}: cached pieces' characters. */
export const PIECE_CACHE_CHARS = 1 << 20;

/**
 * Ids of texts encoded line by line (`linePieces`), each line's ids kept in a
 * least-recently-used cache bounded by its lines' characters; a line longer
 * than a sixteenth of the budget is encoded and not kept. A text longer than a
 * quarter of the budget is encoded whole: line by line, a long text of lines
 * seen once (a served 1 MB prompt) cost up to ~1.3× its whole encoding (the
 * library's fixed cost per call), and it would flush the cache.
 */
export class PieceCache {
  private readonly lines = new Map<string, readonly number[]>();
  private chars = 0;

  constructor(
    private readonly encodeWhole: (text: string) => number[],
    private readonly maxChars: number = PIECE_CACHE_CHARS,
  ) {}

  /** The ids of `text`, equal to `encodeWhole(text)` for a tokenizer `piecewiseExact` accepts. */
  encode(text: string): number[] {
    if (text.length * 4 > this.maxChars) return this.encodeWhole(text);
    const ids: number[] = [];
    for (const piece of linePieces(text)) {
      const pieceIds = this.piece(piece);
      for (let i = 0; i < pieceIds.length; i++) ids.push(pieceIds[i]!);
    }
    return ids;
  }

  /** Lines kept now and their characters. */
  get size(): { lines: number; chars: number } {
    return { lines: this.lines.size, chars: this.chars };
  }

  private piece(piece: string): readonly number[] {
    const hit = this.lines.get(piece);
    if (hit !== undefined) {
      this.lines.delete(piece);
      this.lines.set(piece, hit);
      return hit;
    }
    const ids = this.encodeWhole(piece);
    if (piece.length * 16 > this.maxChars) return ids;
    this.lines.set(piece, ids);
    this.chars += piece.length;
    for (const [old] of this.lines) {
      if (this.chars <= this.maxChars) break;
      this.lines.delete(old);
      this.chars -= old.length;
    }
    return ids;
  }
}
