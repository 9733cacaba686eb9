/**
 * Batched generation with the KV cache: prefill the left-padded batch, then
 * one token per step for every row still running; a row stops at an end
 * token, a stop string, its token budget or the model's context length, and
 * leaves the batch (its cache rows are dropped in the worker). A row whose
 * signal aborted leaves the same way at the next step, unfinished.
 *
 * What a row returns: `tokens` = every sampled id, the end token or the token
 * that completed a stop string included (exactly what the learner trains on);
 * `logprobs` = one per token (sampling.ts says under which distribution);
 * `text` = the decoded tokens without the end token, cut before the first
 * stop string (the stop string is not part of the text).
 */
import { Rng } from '../../util/rng.js';
import type { TextTokenizer } from '../tokenizer.js';
import type { LmEngine } from './engine.js';
import type { DecodeProfile } from './profile.js';
import { type SamplerSettings, sampleToken } from './sampling.js';

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

interface Row {
  req: RowRequest;
  rng: Rng;
  promptLen: number;
  /** Longest stop string, in UTF-16 units (0: none). */
  stopWindow: number;
  out: RowResult | null;
  tokens: number[];
  logprobs: number[];
}

/** The first stop string in `text` at or after `from`: [index, length], or null. */
function findStop(text: string, stops: readonly string[], from: number): number | null {
  let best: number | null = null;
  for (const s of stops) {
    if (s === '') continue;
    const i = text.indexOf(s, from);
    if (i !== -1 && (best === null || i < best)) best = i;
  }
  return best;
}

function finish(ctx: GenerateContext, row: Row, reason: 'stop' | 'length', endToken: boolean): RowResult {
  const body = endToken ? row.tokens.slice(0, -1) : row.tokens;
  let text = ctx.tokenizer.decode(body);
  const cut = findStop(text, row.req.stop, 0);
  if (cut !== null) text = text.slice(0, cut);
  return { tokens: row.tokens, logprobs: row.logprobs, text, finishReason: reason };
}

/** After a new token: did the row end? Stop strings are checked on the decoded tail only. */
function check(ctx: GenerateContext, row: Row, token: number): RowResult | null {
  if (ctx.endIds.has(token)) return finish(ctx, row, 'stop', true);
  if (row.stopWindow > 0) {
    // A token decodes to at least one byte; twice the stop length plus slack covers partial UTF-8 at the edge.
    const tail = ctx.tokenizer.decode(row.tokens.slice(-(2 * row.stopWindow + 8)));
    if (findStop(tail, row.req.stop, 0) !== null) return finish(ctx, row, 'stop', false);
  }
  const atLimit = ctx.maxPositions !== null && row.promptLen + row.tokens.length >= ctx.maxPositions;
  if (row.tokens.length >= row.req.maxTokens || atLimit) return finish(ctx, row, 'length', false);
  return null;
}

/** Generate replies for a batch of prompts (one generation at a time per engine). */
export async function generateRows(
  ctx: GenerateContext,
  requests: readonly RowRequest[],
): Promise<RowResult[]> {
  const prof = ctx.profile;
  const start = performance.now();
  prof.calls++;
  prof.rows += requests.length;
  const rows: Row[] = requests.map((req) => ({
    req,
    rng: Rng.seeded(req.seed),
    promptLen: req.promptIds.length,
    stopWindow: Math.max(0, ...req.stop.map((s) => s.length)),
    out: null,
    tokens: [],
    logprobs: [],
  }));
  const batch = rows.length;
  const seq = Math.max(...rows.map((r) => r.promptLen));
  const ids = new BigInt64Array(batch * seq).fill(BigInt(ctx.padId));
  const mask = new BigInt64Array(batch * seq);
  const positions = new BigInt64Array(batch * seq);
  rows.forEach((row, b) => {
    const offset = seq - row.promptLen;
    row.req.promptIds.forEach((id, t) => {
      ids[b * seq + offset + t] = BigInt(id);
      mask[b * seq + offset + t] = 1n;
      positions[b * seq + offset + t] = BigInt(t);
    });
  });
  // The prompt mask of each row, kept to rebuild the attention mask as tokens are added.
  const promptMask = rows.map((_, b) => mask.slice(b * seq, (b + 1) * seq));
  let live = rows.map((_, b) => b); // row index of each cache row, in cache order
  let t0 = performance.now();
  const first = await ctx.engine.prefill(ids, mask, positions, batch, seq);
  prof.prefillMs += first.timing.workMs;
  prof.messageMs += performance.now() - t0 - first.timing.workMs;
  let logits = first.logits;
  let failure: { error: unknown } | null = null;
  try {
    for (let step = 0; ; step++) {
      const next: number[] = [];
      let sampleMs = 0;
      t0 = performance.now();
      live.forEach((b, j) => {
        const row = rows[b]!;
        if (row.req.signal?.aborted) {
          row.out = { tokens: row.tokens, logprobs: row.logprobs, text: '', finishReason: 'abort' };
          return;
        }
        const t = performance.now();
        const s = sampleToken(
          logits.subarray(j * ctx.vocabSize, (j + 1) * ctx.vocabSize),
          row.req.sampler,
          row.rng,
        );
        sampleMs += performance.now() - t;
        row.tokens.push(s.id);
        row.logprobs.push(s.logprob);
        row.out = check(ctx, row, s.id);
        if (row.out === null) next.push(j);
      });
      const t1 = performance.now();
      prof.sampleMs += sampleMs;
      prof.stopMs += t1 - t0 - sampleMs;
      if (next.length === 0) break;
      const total = seq + step + 1; // past (prompt + tokens fed so far) + the new token
      const n = next.length;
      const tokens = new BigInt64Array(n);
      const stepMask = new BigInt64Array(n * total).fill(1n);
      const stepPos = new BigInt64Array(n);
      next.forEach((j, k) => {
        const row = rows[live[j]!]!;
        tokens[k] = BigInt(row.tokens[row.tokens.length - 1]!);
        stepMask.set(promptMask[live[j]!]!, k * total);
        stepPos[k] = BigInt(row.promptLen + row.tokens.length - 1);
      });
      const t2 = performance.now();
      const r = await ctx.engine.step(next, tokens, stepMask, stepPos);
      const { timing } = r;
      logits = r.logits;
      prof.steps++;
      prof.rowSteps += n;
      prof.feedMs += t2 - t1 + timing.feedMs;
      prof.runMs += timing.runMs;
      prof.fetchMs += timing.fetchMs;
      prof.messageMs += performance.now() - t2 - timing.workMs;
      live = next.map((j) => live[j]!);
    }
  } catch (error) {
    failure = { error };
  }
  try {
    await ctx.engine.release();
  } catch (error) {
    if (failure === null) throw error; // else the step's error is the one to report
  }
  prof.totalMs += performance.now() - start;
  if (failure !== null) throw failure.error;
  return rows.map((r) => r.out!);
}
