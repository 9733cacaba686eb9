/**
 * Chat templates rendered with `@huggingface/jinja`: the `chat_template` of a
 * Hugging Face tokenizer_config.json (or a chat_template.jinja file), and the
 * built-in model's Qwen-style (ChatML) template.
 */
import { Template } from '@huggingface/jinja';
import { LamerError } from '../util/errors.js';
import type { ChatMessage } from './types.js';

/** A chat template is missing, does not parse, or failed while rendering. */
export class ChatTemplateError extends LamerError {}

/** The fields of a tokenizer_config.json this project reads. */
export interface TokenizerConfig {
  chat_template?: string | { name: string; template: string }[];
  bos_token?: SpecialTokenField;
  eos_token?: SpecialTokenField;
  pad_token?: SpecialTokenField;
  unk_token?: SpecialTokenField;
  add_bos_token?: boolean;
  add_eos_token?: boolean;
  [key: string]: unknown;
}

/** Special tokens appear as strings or as `{ content: "..." }` objects (AddedToken form). */
export type SpecialTokenField = string | { content: string } | null | undefined;

/** The text of a special-token field (`"<|im_end|>"` or `{ content: "<|im_end|>" }`), or null when unset. */
export function specialTokenText(field: SpecialTokenField): string | null {
  if (field === null || field === undefined) return null;
  return typeof field === 'string' ? field : field.content;
}

/**
 * The built-in model's template: Qwen3's layout (ChatML) without tools. With
 * `enable_thinking` false the assistant prefix gets Qwen3's empty think block,
 * as in the reference prompt (lamer.md §4).
 */
export const BUILTIN_CHAT_TEMPLATE = [
  '{%- for message in messages %}',
  "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}",
  '{%- endfor %}',
  '{%- if add_generation_prompt %}',
  "{{- '<|im_start|>assistant\\n' }}",
  '{%- if enable_thinking is defined and enable_thinking is false %}',
  "{{- '<think>\\n\\n</think>\\n\\n' }}",
  '{%- endif %}',
  '{%- endif %}',
].join('\n');

/** Options of {@link ChatTemplate.render}. */
export interface RenderOptions {
  /** Append the assistant prefix the model continues from (default true). */
  addGenerationPrompt?: boolean;
  /**
   * Passed to the template as `enable_thinking`. Default false, the reference's
   * setting (lamer.md §4); `null` leaves it undefined (the template's own default).
   */
  enableThinking?: boolean | null;
  /** Extra template variables (e.g. `tools`). */
  variables?: Record<string, unknown>;
}

/** A Hugging Face chat template (Jinja, run by @huggingface/jinja) that renders chat messages into a model's prompt text. Throws {@link ChatTemplateError} when the source does not parse. */
export class ChatTemplate {
  private readonly template: Template;

  /**
   * @param source the Jinja source
   * @param specialTokens `bos_token`, `eos_token`, ... as the template sees them
   */
  constructor(
    readonly source: string,
    private readonly specialTokens: Record<string, string | null> = {},
  ) {
    try {
      this.template = new Template(source);
    } catch (error) {
      throw new ChatTemplateError(`chat template does not parse: ${messageOf(error)}`, { cause: error });
    }
  }

  /**
   * The template of a tokenizer_config.json. A list of named templates picks
   * `name` (default `default`). Throws ChatTemplateError when there is none.
   */
  static fromConfig(config: TokenizerConfig, name = 'default'): ChatTemplate {
    const source = pickTemplate(config.chat_template, name);
    if (source === null) {
      throw new ChatTemplateError(
        `tokenizer_config.json has no chat_template${Array.isArray(config.chat_template) ? ` named "${name}"` : ''}; ` +
          'add one there, put a chat_template.jinja file next to it, or pass a template explicitly',
      );
    }
    return new ChatTemplate(source, specialTokensOf(config));
  }

  /** The prompt text for these messages, exactly as the model sees it. */
  render(messages: readonly ChatMessage[], options: RenderOptions = {}): string {
    const context: Record<string, unknown> = {
      ...this.specialTokens,
      ...options.variables,
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      add_generation_prompt: options.addGenerationPrompt ?? true,
    };
    const thinking = options.enableThinking === undefined ? false : options.enableThinking;
    if (thinking !== null) context.enable_thinking = thinking;
    try {
      return this.template.render(context);
    } catch (error) {
      // Includes the template's own `raise_exception(...)` calls (a jinja built-in).
      throw new ChatTemplateError(`chat template failed to render: ${messageOf(error)}`, { cause: error });
    }
  }
}

function pickTemplate(field: TokenizerConfig['chat_template'], name: string): string | null {
  if (typeof field === 'string') return field;
  if (Array.isArray(field)) return field.find((t) => t.name === name)?.template ?? null;
  return null;
}

function specialTokensOf(config: TokenizerConfig): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token'] as const) {
    out[key] = specialTokenText(config[key]);
  }
  return out;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
