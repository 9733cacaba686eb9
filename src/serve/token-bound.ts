/**
 * A lower bound on how many tokens a text takes, read off the tokenizer file,
 * so `lamer serve` refuses a prompt far over the context without tokenizing
 * it (tokenizing megabytes takes seconds and gigabytes). Sound only where no
 * token can stand for more bytes than its own text: byte-level BPE, whose
 * every token is the bytes it names, after normalizers that shrink a
 * character's UTF-8 by at most 4× (NFC/NFD/NFKC/NFKD, lowercasing: 𝐀 → a) and
 * pre-tokenizers that drop nothing. Any other tokenizer gets no bound (null):
 * its prompts are always tokenized (off the main thread all the same).
 */

/** UTF-8 bytes one character can lose to the normalizers allowed here (𝐀, 4 bytes → a, 1). */
const NORMALIZER_SHRINK = 4;
const SHRINKING_NORMALIZERS = new Set(['NFC', 'NFD', 'NFKC', 'NFKD', 'Lowercase']);
const KEEPING_PRE_TOKENIZERS = new Set(['ByteLevel', 'Split', 'Digits', 'Punctuation']);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null;

/** The components of a (possibly Sequence) normalizer or pre-tokenizer. */
function parts(node: unknown, list: 'normalizers' | 'pretokenizers'): Json[] | null {
  if (node === null || node === undefined) return [];
  if (!isObject(node)) return null;
  if (node.type !== 'Sequence') return [node];
  const children = node[list];
  if (!Array.isArray(children)) return null;
  const out: Json[] = [];
  for (const c of children) {
    const p = parts(c, list);
    if (p === null) return null;
    out.push(...p);
  }
  return out;
}

/**
 * `text → fewest tokens it can take`, or null when this tokenizer allows no such bound.
 * `tokenizerJson` is the parsed tokenizer.json.
 */
export function tokenLowerBound(tokenizerJson: unknown): ((text: string) => number) | null {
  if (!isObject(tokenizerJson) || !isObject(tokenizerJson.model)) return null;
  const model = tokenizerJson.model;
  if (model.type !== 'BPE' || !isObject(model.vocab)) return null;
  const normalizers = parts(tokenizerJson.normalizer, 'normalizers');
  const preTokenizers = parts(tokenizerJson.pre_tokenizer, 'pretokenizers');
  if (normalizers === null || preTokenizers === null) return null;
  if (!normalizers.every((n) => SHRINKING_NORMALIZERS.has(String(n.type)))) return null;
  if (!preTokenizers.some((p) => p.type === 'ByteLevel')) return null;
  const drops = (p: Json) =>
    !KEEPING_PRE_TOKENIZERS.has(String(p.type)) ||
    (p.type === 'Split' && String(p.behavior).toLowerCase() === 'removed');
  if (preTokenizers.some(drops)) return null;
  // Byte-level vocabulary entries spell one byte per character; added tokens match raw text.
  let longest = 1;
  for (const token of Object.keys(model.vocab)) longest = Math.max(longest, token.length);
  const added = Array.isArray(tokenizerJson.added_tokens) ? tokenizerJson.added_tokens : [];
  for (const t of added) {
    if (isObject(t) && typeof t.content === 'string')
      longest = Math.max(longest, Buffer.byteLength(t.content, 'utf8'));
  }
  const perToken = longest * (normalizers.length > 0 ? NORMALIZER_SHRINK : 1);
  return (text) => Math.ceil(Buffer.byteLength(text, 'utf8') / perToken);
}
