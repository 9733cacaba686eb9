/**
 * The ONNX policy's continuous batch (`OnnxPolicy.generateContinuous`, the Policy contract's optional
 * `generateContinuous`): requests become rows of one running batch in the worker (generate.ts
 * `generateRowsContinuous`); at every step where rows end their replies go to the caller's `join`,
 * and the requests it answers with join the batch at its next step. A request the model cannot take
 * (requests.ts) is answered at once with its error, in the same exchange loop, and never becomes a row.
 *
 * Why: a rollout's lock-step calls ran each call to its longest reply, so half of a rollout's decode
 * steps ran a few rows while the trials answered early waited (docs/experiments.md); in one running
 * batch the next turns fill the rows that ended.
 */
import { PolicyError } from '../errors.js';
import type { AnsweredRequest, Generation, GenerationRequest, JoinRequests } from '../types.js';
import { type GenerateContext, generateRowsContinuous, type RowRequest, type RowResult } from './generate.js';

/** What a continuous batch needs of its policy. */
export interface ContinuousHost {
  ctx: GenerateContext;
  /** Version of the weights the batch runs with. */
  version: number;
  /** The request's row, or why the model cannot take it. */
  rowOf(request: GenerationRequest): RowRequest | PolicyError;
  /** False while other work waits for the policy (the batch then takes no new rows and runs out). */
  open(): boolean;
  /** Counts a reply (tokens generated, rows aborted). */
  count(result: RowResult): void;
  /** Counts rows that start or join the batch. */
  ran(rows: number): void;
}

/** The generation of a request that ran as `row` with `result` (an aborted row is an error: no answer). */
export function generationOf(row: RowRequest, r: RowResult, version: number): Generation {
  return {
    text: r.text,
    promptTokens: [...row.promptIds],
    responseTokens: r.tokens,
    logprobs: r.logprobs,
    policyVersion: version,
    // An aborted row is no answer: 'error' keeps it out of caches and scores.
    finishReason: r.finishReason === 'abort' ? 'error' : r.finishReason,
  };
}

/** The generation of a request the model cannot take: an error naming why (requests.ts), no tokens. */
export function refusalOf(error: PolicyError, version: number): Generation {
  return { text: '', policyVersion: version, finishReason: 'error', error };
}

/** Run a continuous batch from `requests` (see the module comment). */
export async function runContinuous(
  host: ContinuousHost,
  requests: GenerationRequest[],
  join: JoinRequests,
): Promise<void> {
  const { version } = host;
  /** The rows of the batch, by row index (the engine's order: first rows, then joined ones). */
  const rows: { request: GenerationRequest; row: RowRequest }[] = [];
  /** `next`'s rows (queued in `rows`), and its refusals as answers. */
  const split = (next: GenerationRequest[]) => {
    const live: RowRequest[] = [];
    const refused: AnsweredRequest[] = [];
    for (const request of next) {
      const row = host.rowOf(request);
      if (row instanceof PolicyError) refused.push({ request, generation: refusalOf(row, version) });
      else {
        rows.push({ request, row });
        live.push(row);
      }
    }
    return { live, refused };
  };
  /** Answer `answered`, then refusals at once, until `join` gives no refusal: the rows that join. */
  const exchange = async (answered: AnsweredRequest[]): Promise<RowRequest[]> => {
    const live: RowRequest[] = [];
    for (;;) {
      const next = split(await join(answered, host.open()));
      live.push(...next.live);
      if (next.refused.length === 0) {
        if (live.length > 0) host.ran(live.length);
        return live;
      }
      answered = next.refused;
    }
  };
  let first = split(requests);
  while (first.live.length === 0) {
    if (first.refused.length === 0) return;
    first = split(await join(first.refused, host.open()));
  }
  let carried = first.refused; // answered at the first exchange
  host.ran(first.live.length);
  await generateRowsContinuous(host.ctx, first.live, (done) => {
    const answered = carried.concat(
      done.map(({ row, result }) => {
        host.count(result);
        const r = rows[row]!;
        return { request: r.request, generation: generationOf(r.row, result, version) };
      }),
    );
    carried = [];
    return exchange(answered);
  });
}
