/**
 * Batched generation with the KV cache, from the main thread: the rows go to
 * the engine's worker, which runs the whole decode loop (decode-loop.ts:
 * prefill, then one token per step for every row still running; a row stops at
 * an end token, a stop string, its token budget or the model's context length,
 * and leaves the batch), and the finished rows come back. A row whose signal
 * aborts leaves the same way at the worker's next step, unfinished (its flag
 * is set in memory shared with the worker).
 *
 * What a row returns: `tokens` = every sampled id, the end token or the token
 * that completed a stop string included (exactly what the learner trains on);
 * `logprobs` = one per token (sampling.ts says under which distribution);
 * `text` = the decoded tokens without the end token, cut before the first
 * stop string (the stop string is not part of the text).
 */
import type { TextTokenizer } from '../tokenizer.js';
import type { LmEngine } from './engine.js';
import { addPhases, type DecodeProfile } from './profile.js';
import type { RowOutcome } from './protocol.js';
import type { SamplerSettings } from './sampling.js';
import { findStop } from './stops.js';

export interface RowRequest {
  promptIds: readonly number[];
  sampler: SamplerSettings;
  /** Token budget (≥ 1). */
  maxTokens: number;
  stop: readonly string[];
  seed: number;
  /** Withdraws this row alone: it leaves the batch before its next token (finishReason 'abort'). */
  signal?: AbortSignal;
}

export interface RowResult {
  tokens: number[];
  logprobs: number[];
  text: string;
  /** 'abort': the row's signal fired; `tokens` are those sampled until then, `text` is empty. */
  finishReason: 'stop' | 'length' | 'abort';
}

export interface GenerateContext {
  engine: LmEngine;
  tokenizer: TextTokenizer;
  vocabSize: number;
  /** Ids that end a reply (generation_config eos_token_id and the tokenizer's eos). */
  endIds: ReadonlySet<number>;
  padId: number;
  /** Longest sequence the model takes, or null. */
  maxPositions: number | null;
  /** Where the time goes, summed over calls (profile.ts). */
  profile: DecodeProfile;
}

function finish(ctx: GenerateContext, stop: readonly string[], o: RowOutcome): RowResult {
  if (o.finishReason === 'abort')
    return { tokens: o.tokens, logprobs: o.logprobs, text: '', finishReason: 'abort' };
  let text = ctx.tokenizer.decode(o.endToken ? o.tokens.slice(0, -1) : o.tokens);
  const cut = findStop(text, stop);
  if (cut !== null) text = text.slice(0, cut);
  return { tokens: o.tokens, logprobs: o.logprobs, text, finishReason: o.finishReason };
}

/** Generate replies for a batch of prompts (one generation at a time per engine). */
export async function generateRows(
  ctx: GenerateContext,
  requests: readonly RowRequest[],
): Promise<RowResult[]> {
  const start = performance.now();
  const specs = requests.map((r) => ({
    promptIds: [...r.promptIds],
    sampler: r.sampler,
    maxTokens: r.maxTokens,
    stop: [...r.stop],
    seed: r.seed,
  }));
  const aborted = new Int32Array(new SharedArrayBuffer(4 * requests.length));
  const listeners = requests.map((r, i) => {
    const withdraw = () => Atomics.store(aborted, i, 1);
    if (r.signal?.aborted) withdraw();
    else r.signal?.addEventListener('abort', withdraw, { once: true });
    return withdraw;
  });
  let batch: Awaited<ReturnType<LmEngine['generate']>>;
  try {
    batch = await ctx.engine.generate(specs, [...ctx.endIds], ctx.padId, ctx.maxPositions, aborted);
  } finally {
    requests.forEach((r, i) => {
      r.signal?.removeEventListener('abort', listeners[i]!);
    });
  }
  const { rows, profile: w } = batch;
  const p = ctx.profile;
  p.calls++;
  p.rows += requests.length;
  addPhases(p, w);
  p.messageMs += performance.now() - start - w.workMs;
  const results = rows.map((o, i) => finish(ctx, requests[i]!.stop, o));
  p.totalMs += performance.now() - start;
  return results;
}
