/**
 * From the bytes of a chat-completions request to what the batcher needs:
 * UTF-8 → JSON → the zod schema → the model name → the prompt's token ids
 * (the chat template and tokenizer of the served model) → the context check.
 * All the CPU work a request costs before generation, in one pure function
 * that runs in the prepare worker (prepare-worker.ts), off the server's event
 * loop. A problem is an answer (status and message), never a throw.
 */
import { promptLengthProblem } from '../policy/onnx/requests.js';
import { type PromptCodec, promptTokens, renderPrompt } from '../policy/onnx/tokens.js';
import { type ChatCompletionRequest, chatCompletionRequest, contentText, describeIssue } from './schema.js';

/** The prompt side of the served model, when the server tokenizes for it. */
export interface PromptSide {
  codec: PromptCodec;
  /** Context length (prompt and reply), or null. */
  maxPositions: number | null;
  /** Fewest tokens a text can take (token-bound.ts), or null. */
  lowerBound: ((text: string) => number) | null;
}

export interface ParseSettings {
  /** The model id clients must name; null: not checked here (the server checks it). */
  model: string | null;
  prompt: PromptSide | null;
}

/** A request ready to batch: the validated body, its messages as text, and its prompt ids when tokenized. */
export interface ParsedRequest {
  ok: true;
  body: ChatCompletionRequest;
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
  promptIds: number[] | null;
}

/** A request refused: an HTTP status and an OpenAI-style error type and message. */
export interface RefusedRequest {
  ok: false;
  status: number;
  type: string;
  message: string;
}

export type ParseResult = ParsedRequest | RefusedRequest;

const refuse = (status: number, message: string, type = 'invalid_request_error'): RefusedRequest => ({
  ok: false,
  status,
  type,
  message,
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseCompletionRequest(bytes: Uint8Array, settings: ParseSettings): ParseResult {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return refuse(400, 'request body is not valid UTF-8; send JSON encoded as UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return refuse(400, `request body is not JSON (${(error as Error).message})`);
  }
  const parsed = chatCompletionRequest.safeParse(json);
  if (!parsed.success) return refuse(400, describeIssue(parsed.error));
  const body = parsed.data;
  if (settings.model !== null && body.model !== settings.model) {
    return refuse(
      404,
      `The model "${body.model}" does not exist; this server serves "${settings.model}"`,
      'not_found_error',
    );
  }
  const messages = body.messages.map((m) => ({ role: m.role, content: contentText(m.content) }));
  const side = settings.prompt;
  if (side === null) return { ok: true, body, messages, promptIds: null };
  const prompt = renderPrompt(side.codec, messages);
  const atLeast = side.lowerBound?.(prompt) ?? 0;
  if (side.maxPositions !== null && atLeast >= side.maxPositions) {
    return refuse(
      400,
      `the prompt has at least ${atLeast} tokens; the model takes at most ${side.maxPositions} (prompt and reply)`,
    );
  }
  const promptIds = promptTokens(side.codec, messages);
  const problem = promptLengthProblem(promptIds.length, side.maxPositions);
  if (problem !== null) return refuse(400, problem);
  return { ok: true, body, messages, promptIds };
}
