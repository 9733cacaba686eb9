/**
 * Tokenizers: any Hugging Face tokenizer.json (BPE, WordPiece, Unigram) through
 * `@huggingface/tokenizers`, and the built-in model's own byte-level BPE
 * (src/policy/assets/, rebuilt by `npm run build:tokenizer`).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { LamerError, ParseError } from '../util/errors.js';
import builtinTokenizerJson from './assets/lamer-tokenizer.json' with { type: 'json' };
import builtinConfigJson from './assets/lamer-tokenizer_config.json' with { type: 'json' };
import { ChatTemplate, ChatTemplateError, specialTokenText, type TokenizerConfig } from './chat-template.js';
import { PieceCache, piecewiseExact } from './piecewise.js';
import type { BuiltinTokenizerFiles } from './vocab/builtin.js';

/** A tokenizer file is missing or of a kind the library cannot load. */
export class TokenizerError extends LamerError {}

/** Options of {@link TextTokenizer.encode}. */
export interface EncodeOptions {
  /** Let the tokenizer's post-processor add BOS/EOS etc. Default false: chat templates write them. */
  addSpecialTokens?: boolean;
}

/** Options of {@link TextTokenizer.decode}. */
export interface DecodeOptions {
  /** Drop special tokens (`<|im_end|>`, ...) from the text. Default false. */
  skipSpecialTokens?: boolean;
}

/** A loaded tokenizer with the operations the policies need. */
export class TextTokenizer {
  /** One more than the largest token id (model vocabulary and added tokens). */
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  /** Line-by-line encoding with cached lines, where it is exactly whole encoding (`piecewise.ts`); else null. */
  private readonly pieces: PieceCache | null;

  private constructor(
    private readonly inner: Tokenizer,
    readonly config: TokenizerConfig,
    piecewise: boolean,
  ) {
    this.pieces = piecewise ? new PieceCache((text) => this.encodeWhole(text, false)) : null;
    let max = -1;
    for (const id of inner.get_vocab(true).values()) if (id > max) max = id;
    this.vocabSize = max + 1;
    this.bosTokenId = this.idOf(specialTokenText(config.bos_token));
    this.eosTokenId = this.idOf(specialTokenText(config.eos_token));
    this.padTokenId = this.idOf(specialTokenText(config.pad_token));
  }

  /** From the parsed contents of tokenizer.json and tokenizer_config.json. */
  static fromJson(tokenizerJson: unknown, config: TokenizerConfig = {}): TextTokenizer {
    if (typeof tokenizerJson !== 'object' || tokenizerJson === null || !('model' in tokenizerJson)) {
      throw new TokenizerError(
        'tokenizer.json must be an object with a "model" field (a Hugging Face tokenizer file)',
      );
    }
    try {
      const piecewise = piecewiseExact(tokenizerJson, config as Record<string, unknown>);
      return new TextTokenizer(new Tokenizer(tokenizerJson, config), config, piecewise);
    } catch (error) {
      throw new TokenizerError(
        `could not build the tokenizer: ${error instanceof Error ? error.message : String(error)}. ` +
          'Supported models: BPE, WordPiece, Unigram',
        { cause: error },
      );
    }
  }

  /**
   * Token ids of `text` (no special tokens added unless `addSpecialTokens`).
   * Without special tokens, a tokenizer `piecewiseExact` accepts encodes line by
   * line from a cache of lines (the same ids; a rollout's prompts repeat most lines).
   */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const addSpecialTokens = options.addSpecialTokens ?? false;
    if (this.pieces !== null && !addSpecialTokens) return this.pieces.encode(text);
    return this.encodeWhole(text, addSpecialTokens);
  }

  /** Token ids of `text` encoded whole by the library (no line cache). */
  encodeWhole(text: string, addSpecialTokens = false): number[] {
    return this.inner.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  /** The token strings of `text` (byte-level form for byte-level BPEs). */
  tokens(text: string, options: EncodeOptions = {}): string[] {
    return this.inner.encode(text, { add_special_tokens: options.addSpecialTokens ?? false }).tokens;
  }

  /** The text of token ids. */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    if (ids.length === 0) return '';
    return this.inner.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  /** The id of a token string, or undefined when it is not in the vocabulary. */
  tokenToId(token: string): number | undefined {
    return this.inner.token_to_id(token);
  }

  /** The token string of an id, or undefined when out of range. */
  idToToken(id: number): string | undefined {
    return this.inner.id_to_token(id);
  }

  /** Ids of the added tokens marked special (`<|im_end|>`, ...). */
  specialTokenIds(): number[] {
    return [...this.inner.get_added_tokens_decoder().entries()]
      .filter(([, token]) => token.special)
      .map(([id]) => id)
      .sort((a, b) => a - b);
  }

  private idOf(token: string | null): number | null {
    return token === null ? null : (this.inner.token_to_id(token) ?? null);
  }
}

/** A model directory's tokenizer, its chat template, and tokenizer_config.json. */
export interface LoadedTokenizer {
  tokenizer: TextTokenizer;
  /** The chat template (tokenizer_config.json or chat_template.jinja), or null when there is none. */
  chatTemplate: ChatTemplate | null;
  config: TokenizerConfig;
}

/**
 * Load a model directory's tokenizer.json, tokenizer_config.json (optional)
 * and chat_template.jinja (optional; it wins over the config's template, as in
 * `transformers`).
 */
export async function loadTokenizerDir(dir: string): Promise<LoadedTokenizer> {
  const tokenizerPath = join(dir, 'tokenizer.json');
  if (!existsSync(tokenizerPath)) {
    throw new TokenizerError(
      `${dir} has no tokenizer.json; save it there (transformers: tokenizer.save_pretrained(dir)) or point at the model directory`,
    );
  }
  const tokenizerJson = await readJson(tokenizerPath);
  const configPath = join(dir, 'tokenizer_config.json');
  const config = (existsSync(configPath) ? await readJson(configPath) : {}) as TokenizerConfig;
  const jinjaPath = join(dir, 'chat_template.jinja');
  if (existsSync(jinjaPath)) config.chat_template = await readFile(jinjaPath, 'utf8');
  return fromFiles(tokenizerJson, config);
}

let builtin: LoadedTokenizer | null = null;

/** The built-in model's tokenizer and chat template (shipped files; cached). */
export function loadBuiltinTokenizer(): LoadedTokenizer {
  builtin ??= fromFiles(builtinTokenizerJson, builtinConfigJson as TokenizerConfig);
  return builtin;
}

/**
 * The shipped tokenizer.json and tokenizer_config.json contents, e.g. to write
 * next to an exported built-in model (fresh copies; safe to mutate).
 */
export function builtinTokenizerFiles(): BuiltinTokenizerFiles {
  return structuredClone({ tokenizer: builtinTokenizerJson, config: builtinConfigJson });
}

function fromFiles(tokenizerJson: unknown, config: TokenizerConfig): LoadedTokenizer {
  const tokenizer = TextTokenizer.fromJson(tokenizerJson, config);
  let chatTemplate: ChatTemplate | null = null;
  try {
    chatTemplate = ChatTemplate.fromConfig(config);
  } catch (error) {
    // No template is allowed (plain LMs); a template that does not parse is not.
    if (!(error instanceof ChatTemplateError) || config.chat_template !== undefined) throw error;
  }
  return { tokenizer, chatTemplate, config };
}

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ParseError(
      `${path} is not valid JSON (${(error as Error).message}); re-download or re-export it`,
      {
        cause: error,
      },
    );
  }
}
