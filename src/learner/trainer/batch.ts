/**
 * From turn samples to padded token batches for the train-step graphs: one
 * sequence per turn (prompt + response, lamer.md §1: every turn is an
 * independent single-turn sequence), a loss mask over the response tokens
 * only, the sample's advantage broadcast to each of its response tokens
 * (§6.2 step 4), old log-probs at the response positions; and the split of a
 * batch into mini-batches (§7) and micro-batches.
 */
import type { TurnSample } from '../../streams/types.js';
import { LamerError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';
import type { TensorValue } from '../session-core.js';

/** A sample cannot be trained on as given (missing tokens, too long, ...); the message names it. */
export class TrainerError extends LamerError {}

/** The token ids of one turn as the learner trains on them. */
export interface TurnTokens {
  promptTokens: number[];
  responseTokens: number[];
  /** Sampling log-probs of the response tokens, when the policy returned them. */
  logprobs?: number[];
}

/** One training sequence. */
export interface TrainSequence {
  /** `trialId/attempt/turn/phase` (or `example N` for supervised examples), for messages. */
  label: string;
  /** Prompt then response ids. */
  tokens: number[];
  /** Index in `tokens` of the first response token (>= 1: a response token is predicted from the ones before it). */
  responseStart: number;
  /** Advantage of every response token (0 for supervised examples). */
  advantage: number;
  /** Old log-prob of each response token (PPO); filled before the update. */
  oldLogprobs?: number[];
  /**
   * PPO without `oldLogprobs`: they are the log-probs of the weights being trained, taken in the
   * update's own forward pass (fed as NaN; only in the step's first mini-batch, before any update).
   */
  onPolicy?: boolean;
  /** Log-prob of each response token under the KL penalty's reference policy (PPO with klCoef > 0). */
  refLogprobs?: number[];
}

export const sampleLabel = (s: TurnSample): string => `${s.trialId}/${s.attempt}/${s.turn}/${s.phase}`;

/** The recorded ids of a sample (what a trainable policy stores on it); an error names the sample when they are missing. */
export function recordedTokens(sample: TurnSample): TurnTokens {
  if (sample.promptTokens === undefined || sample.responseTokens === undefined)
    throw new TrainerError(
      `turn ${sampleLabel(sample)} has no prompt/response token ids: train only on turns of a trainable (ONNX) ` +
        "policy, or pass the policy's `trainingTokens` as the trainer's `tokens` option",
    );
  const out: TurnTokens = { promptTokens: sample.promptTokens, responseTokens: sample.responseTokens };
  if (sample.logprobs !== undefined) out.logprobs = sample.logprobs;
  return out;
}

/**
 * A sequence from a turn's tokens. Longer than `maxSeqLen`: a TrainerError naming the turn and
 * the limit, or with `overlong: 'truncate-prompt'` the prompt loses tokens from its left
 * (its start: the oldest part of the rendered history) until the sequence fits.
 */
export function toSequence(
  label: string,
  t: TurnTokens,
  advantage: number,
  maxSeqLen: number,
  overlong: 'error' | 'truncate-prompt',
): TrainSequence {
  const { responseTokens: response } = t;
  let prompt = t.promptTokens;
  if (response.length === 0) throw new TrainerError(`turn ${label}: the response has no tokens`);
  if (prompt.length === 0)
    throw new TrainerError(
      `turn ${label}: the prompt has no tokens (the first response token needs context)`,
    );
  const total = prompt.length + response.length;
  if (total > maxSeqLen) {
    if (overlong === 'error' || response.length >= maxSeqLen)
      throw new TrainerError(
        `turn ${label} has ${total} tokens (prompt ${prompt.length} + response ${response.length}), more than the ` +
          `model's maxSeqLen ${maxSeqLen}: use a shorter prompt style or history window, fewer max tokens, ` +
          "a model with a larger maxSeqLen, or the trainer option overlong: 'truncate-prompt'",
      );
    prompt = prompt.slice(total - maxSeqLen);
  }
  return { label, tokens: [...prompt, ...response], responseStart: prompt.length, advantage };
}

/**
 * Padded feeds of a list of sequences for the window graphs (train-step.ts): `input_ids` and
 * `attention_mask` [B, T], right-padded with id 0 and attention 0; one column per response token,
 * [B, R] with R the longest response: `target_index` (flat index b·T + t − 1 of the position that
 * predicts response token t), `target_ids`, `loss_mask` (0 on padding), and the advantages, old and
 * reference log-probs asked for. A padding column points at position b·T, masked out.
 */
export function padSequences(
  seqs: readonly TrainSequence[],
  include: { advantages?: boolean; oldLogprobs?: boolean; refLogprobs?: boolean; seqMean?: boolean } = {},
): { feeds: Record<string, TensorValue>; tokens: number } {
  const B = seqs.length;
  const T = Math.max(...seqs.map((s) => s.tokens.length));
  const R = Math.max(...seqs.map((s) => s.tokens.length - s.responseStart));
  const ids = new BigInt64Array(B * T);
  const attention = new BigInt64Array(B * T);
  const targetIndex = new BigInt64Array(B * R);
  const targetIds = new BigInt64Array(B * R);
  const lossMask = new Float32Array(B * R);
  const adv = include.advantages ? new Float32Array(B * R) : undefined;
  const old = include.oldLogprobs ? new Float32Array(B * R) : undefined;
  const ref = include.refLogprobs ? new Float32Array(B * R) : undefined;
  let tokens = 0;
  seqs.forEach((s, b) => {
    s.tokens.forEach((id, t) => {
      ids[b * T + t] = BigInt(id);
      attention[b * T + t] = 1n;
    });
    const n = s.tokens.length - s.responseStart;
    // seq-mean-token-mean: each response token weighs 1/length, so a sample's tokens sum to 1
    const weight = include.seqMean ? 1 / n : 1;
    for (let j = 0; j < R; j++) {
      const at = b * R + j;
      if (j >= n) {
        targetIndex[at] = BigInt(b * T);
        continue;
      }
      const t = s.responseStart + j;
      targetIndex[at] = BigInt(b * T + t - 1);
      targetIds[at] = BigInt(s.tokens[t]!);
      lossMask[at] = weight;
      if (adv) adv[at] = s.advantage;
      if (old) {
        const lp = s.oldLogprobs?.[j] ?? (s.onPolicy ? Number.NaN : undefined);
        if (lp === undefined) throw new TrainerError(`turn ${s.label}: old log-probs are missing`);
        old[at] = lp;
      }
      if (ref) {
        const lp = s.refLogprobs?.[j];
        if (lp === undefined) throw new TrainerError(`turn ${s.label}: reference log-probs are missing`);
        ref[at] = lp;
      }
    }
    tokens += n;
  });
  const dims = [B, R];
  const feeds: Record<string, TensorValue> = {
    input_ids: { type: 'int64', dims: [B, T], data: ids },
    attention_mask: { type: 'int64', dims: [B, T], data: attention },
    target_index: { type: 'int64', dims, data: targetIndex },
    target_ids: { type: 'int64', dims, data: targetIds },
    loss_mask: { type: 'float32', dims, data: lossMask },
  };
  if (adv) feeds.advantages = { type: 'float32', dims, data: adv };
  if (old) feeds.old_logprobs = { type: 'float32', dims, data: old };
  if (ref) feeds.ref_logprobs = { type: 'float32', dims, data: ref };
  return { feeds, tokens };
}

/** The response log-probs of each row from a window log-prob graph output [B, R] (column j scores response token j). */
export function responseLogprobs(seqs: readonly TrainSequence[], logprobs: Float32Array): number[][] {
  const R = Math.max(...seqs.map((s) => s.tokens.length - s.responseStart));
  return seqs.map((s, b) => Array.from(logprobs.subarray(b * R, b * R + s.tokens.length - s.responseStart)));
}

/** How a batch is cut into mini-batches: size, shuffled or not, and what to do with a short last one (pad with copies, or keep it partial). */
export interface MiniBatchPlan {
  miniBatchSize: number;
  shuffle: boolean;
  lastMiniBatch: 'copy' | 'partial';
}

/**
 * Indices of each mini-batch, in order. 'copy' first pads the list to a multiple of
 * the mini-batch size with the first indices again (the reference's adjust_batch, mode copy);
 * `shuffle` then permutes with `rng` (the reference does not shuffle).
 */
export function planMiniBatches(n: number, plan: MiniBatchPlan, rng: Rng): number[][] {
  if (n === 0) return [];
  let order = Array.from({ length: n }, (_, i) => i);
  const size = plan.miniBatchSize;
  if (plan.lastMiniBatch === 'copy' && n % size !== 0)
    for (let i = 0; order.length % size !== 0; i = (i + 1) % n) order.push(i);
  if (plan.shuffle) order = rng.shuffle(order);
  const out: number[][] = [];
  for (let i = 0; i < order.length; i += size) out.push(order.slice(i, i + size));
  return out;
}

/**
 * Chunks of at most `size` sequences grouped by length: each chunk is padded to its longest row, so
 * grouping wastes ~no compute, and a gradient summed over the chunks changes only in the order of that
 * sum. Sorted by length (stable), cut into full chunks plus one short chunk where the short one costs
 * least, so it never pads more than consecutive chunks of the same list. One LaMer step's turns (64–640
 * tokens, play and reflection prompts mixed) padded in plan order cost 1.41× their real tokens; here 1.00×.
 */
export function lengthChunks(seqs: readonly TrainSequence[], size: number): TrainSequence[][] {
  const sorted = seqs
    .map((s, i) => [s, i] as const)
    .sort((a, b) => a[0].tokens.length - b[0].tokens.length || a[1] - b[1])
    .map(([s]) => s);
  const n = sorted.length;
  const m = Math.ceil(n / size);
  const short = n - (m - 1) * size;
  // the chunk bounds with the short chunk at position p (ascending lengths: a chunk's last row is its longest)
  const bounds = (p: number) =>
    Array.from({ length: m }, (_, j) => {
      const start = j * size - (j > p ? size - short : 0);
      return [start, start + (j === p ? short : size)] as const;
    });
  const cost = (p: number) => bounds(p).reduce((t, [a, b]) => t + (b - a) * sorted[b - 1]!.tokens.length, 0);
  let best = 0;
  for (let p = 1; p < m; p++) if (cost(p) < cost(best)) best = p;
  return m === 0 ? [] : bounds(best).map(([a, b]) => sorted.slice(a, b));
}

/** Consecutive chunks of at most `size` items. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
