/**
 * Messages between the server (prepare.ts) and its prepare worker
 * (prepare-worker.ts). Type-only module.
 */
import type { ParseResult } from './parse.js';

/** Where the prompt side comes from: the served model's tokenizer files and its context length. */
export interface PromptSource {
  /** A model directory's tokenizer.json, tokenizer_config.json and chat template, or the built-in ones. */
  tokenizer: 'builtin' | { dir: string };
  /** Context length (prompt and reply), or null. */
  maxPositions: number | null;
}

export interface PrepareInit {
  /** The model id requests must name; null: any (the server checks it, e.g. against its LoRA adapters). */
  model: string | null;
  /** null: requests are parsed and validated but not tokenized (a policy that takes text). */
  prompt: PromptSource | null;
}

export type ToPrepareWorker = { id: number; body: Uint8Array };

export type FromPrepareWorker =
  | { type: 'ready' }
  | { type: 'init-error'; message: string }
  | { type: 'parsed'; id: number; result: ParseResult }
  | { type: 'failed'; id: number; message: string };
