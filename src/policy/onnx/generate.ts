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
import type { RowOutcome, RowSpec, WorkerProfile } from './protocol.js';
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

const specOf = (r: RowRequest): RowSpec => ({
  promptIds: [...r.promptIds],
  sampler: r.sampler,
  maxTokens: r.maxTokens,
  stop: [...r.stop],
  seed: r.seed,
});

/**
 * Withdrawal flags of `requests` in shared memory (flag i set when request i's signal aborts), and a
 * function that removes the listener of request i (all with no argument).
 */
function abortFlags(requests: readonly RowRequest[]): { aborted: Int32Array; unlisten(i?: number): void } {
  const aborted = new Int32Array(new SharedArrayBuffer(4 * requests.length));
  const listeners = requests.map((r, i) => {
    const withdraw = () => Atomics.store(aborted, i, 1);
    if (r.signal?.aborted) withdraw();
    else r.signal?.addEventListener('abort', withdraw, { once: true });
    return withdraw;
  });
  const unlisten = (i: number) => requests[i]!.signal?.removeEventListener('abort', listeners[i]!);
  return {
    aborted,
    unlisten: (i) => {
      if (i !== undefined) unlisten(i);
      else for (let k = 0; k < requests.length; k++) unlisten(k);
    },
  };
}

/** The worker's phases of a batch into the context's profile (the part after `before`, a report of the same batch). */
function profiled(
  ctx: GenerateContext,
  rows: number,
  w: WorkerProfile,
  start: number,
  before?: WorkerProfile,
): void {
  const p = ctx.profile;
  p.rows += rows;
  const d = { ...w };
  if (before === undefined) p.calls++;
  else for (const k of Object.keys(d) as (keyof WorkerProfile)[]) d[k] -= before[k];
  addPhases(p, d);
  p.messageMs += performance.now() - start - d.workMs - d.joinMs;
}

/** Generate replies for a batch of prompts (one generation at a time per engine). */
export async function generateRows(
  ctx: GenerateContext,
  requests: readonly RowRequest[],
): Promise<RowResult[]> {
  const start = performance.now();
  const flags = abortFlags(requests);
  let batch: Awaited<ReturnType<LmEngine['generate']>>;
  try {
    batch = await ctx.engine.generate(
      requests.map(specOf),
      [...ctx.endIds],
      ctx.padId,
      ctx.maxPositions,
      flags.aborted,
    );
  } finally {
    flags.unlisten();
  }
  profiled(ctx, requests.length, batch.profile, start);
  const results = batch.rows.map((o, i) => finish(ctx, requests[i]!.stop, o));
  ctx.profile.totalMs += performance.now() - start;
  return results;
}

/**
 * A continuous batch (engine.ts `generateContinuous`): `requests` start it; at every step where rows
 * end, `exchange` gets their results (with the index of each row: the requests as given, then joined
 * ones in order) and resolves to the requests that join at the next step. Resolves when no row is left.
 */
export async function generateRowsContinuous(
  ctx: GenerateContext,
  requests: readonly RowRequest[],
  exchange: (done: { row: number; result: RowResult }[]) => Promise<readonly RowRequest[]>,
): Promise<void> {
  const start = performance.now();
  const rows: { request: RowRequest; unlisten(): void }[] = [];
  const add = (joining: readonly RowRequest[]): Int32Array => {
    const flags = abortFlags(joining);
    joining.forEach((request, i) => {
      rows.push({ request, unlisten: () => flags.unlisten(i) });
    });
    return flags.aborted;
  };
  const aborted = add(requests);
  let joined = requests.length;
  let last: WorkerProfile | undefined;
  let since = start;
  /** The batch's profile up to `w` into the context's (at each exchange, so it is current while the batch runs). */
  const report = (w: WorkerProfile) => {
    profiled(ctx, joined, w, since, last);
    ctx.profile.totalMs += performance.now() - since;
    last = w;
    joined = 0;
    since = performance.now();
  };
  try {
    const batch = await ctx.engine.generateContinuous(
      requests.map(specOf),
      [...ctx.endIds],
      ctx.padId,
      ctx.maxPositions,
      aborted,
      async (finished, profile) => {
        report(profile);
        const done = finished.map(({ row, outcome }) => {
          const r = rows[row]!;
          r.unlisten();
          return { row, result: finish(ctx, r.request.stop, outcome) };
        });
        const joining = await exchange(done);
        joined += joining.length;
        return { rows: joining.map(specOf), aborted: add(joining) };
      },
    );
    report(batch.profile);
  } finally {
    for (const r of rows) r.unlisten();
  }
}
