/**
 * The whole generation of a batch, inside the worker thread: prefill, then one decode step per token
 * for every row still running, each row sampled with its own seeded generator (sampling.ts: one
 * draw per token, so a row's tokens do not depend on the rows beside it) and checked for its end
 * (end token, stop string, budget, context length). The main thread sends the batch and gets the
 * finished rows back: one thread crossing per batch instead of two per token. A row withdrawn by
 * the main thread (its flag in shared memory) leaves before its next token, like a finished row.
 *
 * Finished rows leave the batch by compaction: the last running rows move into their slots (one
 * row's cache copied per finished row, not the whole cache), so the cache's running rows stay a
 * prefix that the next step feeds as it is.
 *
 * A continuous batch (`join`): rows that end are handed back at the step they end, and the rows the
 * main thread sends in answer (the next turns of the trials just answered) are prefilled after the
 * running rows and step with them; the main thread answers every such exchange before the batch
 * steps again, so which rows step together is fixed by the rows' own ends, never by timing.
 */
import { Rng } from '../../util/rng.js';
import type { PrefillStats, PromptBatch } from './prefill.js';
import type { KvPages, PrefixStore } from './prefix-store.js';
import type { FinishedRow, JoiningRows, RowOutcome, RowSpec, WorkerProfile } from './protocol.js';
import { drawWeighted, isUntruncated, sampleToken } from './sampling.js';

/** A decode step's outputs: logits [rows, vocab], and the untruncated draw's weights [rows, vocab] when the step computes them. */
export interface StepOutput {
  /** Empty when the step was told that no row draws from them (`step`'s `logits` false) and it has weights. */
  logits: Float32Array;
  /** exp(logits / T − max / T) per row with the row's `invTemperature` (sampling.ts `drawWeighted`), or null. */
  weights: Float64Array | null;
}

/** A KV cache and the runs over it (kv-cache.ts: fixed capacity written in place; hf-cache.ts: the HF layout). */
export interface Stepper {
  /**
   * Prompt pass (prefill.ts; prompts left-padded to the longest, reusing `store`'s prefixes); returns
   * the last position's logits [batch, vocab]. The prompts become cache rows after the running ones
   * (cache row `running + i` = batch row i); `live`, the longest running row (prompt and tokens fed),
   * is given when rows are running: only a cache with `joins` takes new rows then.
   */
  prefill(
    batch: PromptBatch,
    store: PrefixStore | null,
    stats: PrefillStats,
    live?: number,
  ): Promise<Float32Array>;
  /** Whether rows can join a running batch (`prefill` with rows running): the in-place cache. */
  readonly joins: boolean;
  /** Copy cache row `slot`'s last `length` keys/values before the next write into `into` (prefix-store.ts `rowKv`). */
  rowKv(slot: number, length: number, into: KvPages): void;
  /**
   * Keep `order.length` rows: new row i is old row `order[i]`, where every `order[i]` is i or at
   * least `order.length` (holes filled from the tail, so moves never overwrite a row still to move).
   */
  compact(order: readonly number[]): void;
  /**
   * One token per cache row ([rows] ids and positions, and 1 / T of each row's sampler); returns their
   * logits, and the untruncated draw's weights if the step computes them (the built-in decode graph).
   * `logits` false: every row draws from the weights, so a step that computes them may skip the logits.
   */
  step(
    tokens: BigInt64Array,
    positions: BigInt64Array,
    invTemperature: Float64Array,
    logits: boolean,
  ): Promise<StepOutput>;
  /** Drop the batch (buffers may be kept for the next one). */
  release(): void;
}

export interface BatchSpec {
  rows: readonly RowSpec[];
  /** Per row: 1 once the row is withdrawn (shared memory, written by the main thread). */
  aborted: Int32Array;
  endIds: readonly number[];
  padId: number;
  maxPositions: number | null;
  vocabSize: number;
}

/** Does the decoded tail of `tokens` contain one of `stops`? (Loaded only when a row has stop strings.) */
export type StopFinder = (tokens: readonly number[], stops: readonly string[], window: number) => boolean;

/** A continuous batch's exchange: the rows that ended at a step → the rows that join (JOIN_DELAY steps later). */
export type Join = (finished: FinishedRow[]) => Promise<JoiningRows>;

/**
 * Decode steps between an exchange and its rows joining, while ADMIT_ROWS or more rows run: the running
 * rows take these steps while the main thread answers (its env steps and prompts overlap the worker's
 * runs on the other core; with 1 step the worker still waited ~1 s a bench:rollout step for the
 * answers, with 10 ~0.1–0.3 s). A fixed count, so which rows step together never depends on which
 * thread was faster. Fewer rows running: one step (an underfull batch gains nothing by waiting).
 */
export const JOIN_DELAY = 10;

/**
 * Due exchanges' rows join together once they answered this many rows (or the oldest waited
 * ADMIT_WAIT steps, or fewer rows run): a prompt pass costs ~1 ms of fixed work, as much as a 90-token
 * row's own. Counted in rows answered, known when the exchange is sent (a trial answered asks its next
 * turn or ends), so the decision never waits for the answer.
 */
export const ADMIT_ROWS = 8;
export const ADMIT_WAIT = 14;

interface Row {
  spec: RowSpec;
  rng: Rng;
  untruncated: boolean;
  /** Longest stop string, in UTF-16 units (0: none). */
  stopWindow: number;
  tokens: number[];
  logprobs: number[];
  out: RowOutcome | null;
  /** Its withdrawal flag: `aborted[flag]`. */
  aborted: Int32Array;
  flag: number;
}

/** After a row's new token: its outcome if it ended, else null. */
function check(row: Row, token: number, b: BatchSpec, ends: ReadonlySet<number>, stops: StopFinder | null) {
  const done = (finishReason: 'stop' | 'length', endToken: boolean): RowOutcome => ({
    tokens: row.tokens,
    logprobs: row.logprobs,
    finishReason,
    endToken,
  });
  if (ends.has(token)) return done('stop', true);
  if (row.stopWindow > 0 && stops !== null && stops(row.tokens, row.spec.stop, row.stopWindow))
    return done('stop', false);
  const atLimit = b.maxPositions !== null && row.spec.promptIds.length + row.tokens.length >= b.maxPositions;
  if (row.tokens.length >= row.spec.maxTokens || atLimit) return done('length', false);
  return null;
}

/** Keys/values of a row in the cache: its prompt and the tokens fed (every sampled token but the last). */
const cached = (row: Row) => row.spec.promptIds.length + row.tokens.length - 1;

/**
 * Generate every row of `b` to its end. `stops()` must give the stop finder when a row has stop
 * strings. Rows that end leave their prompt and reply keys/values in `store` for later prompts that
 * repeat them. Adds the phases it times to `prof` (the stepper adds its runs, feeds and fetches).
 *
 * With `join` (a continuous batch, stepper.joins): at every step where rows end, they go to `join` at
 * once, the running rows step on, and the rows it answers with are prefilled into the cache beside
 * the running ones (JOIN_DELAY, ADMIT_ROWS, ADMIT_WAIT say when), taking their first token before the
 * next step; the batch ends when no row runs and no answer is outstanding. Where rows join depends
 * only on where rows ended, never on time. Returns the outcomes of rows not given to `join` (all of
 * them without it, none with it).
 */
export async function decodeBatch(
  stepper: Stepper,
  b: BatchSpec,
  stops: () => StopFinder | null,
  prof: WorkerProfile,
  store: PrefixStore | null,
  join: Join | null = null,
): Promise<RowOutcome[]> {
  const ends = new Set(b.endIds);
  const V = b.vocabSize;
  const rows: (Row | undefined)[] = []; // by row index; a continuous batch's ended rows are dropped
  let slots: number[] = []; // row of each cache row
  /** The prompt pass of joining rows (the first ones too): their logits; they become the last cache rows. */
  const admit = async (joining: readonly JoiningRows[]): Promise<Float32Array> => {
    const t0 = performance.now();
    const live = slots.reduce((m, r) => Math.max(m, cached(rows[r]!)), 0);
    const specs: RowSpec[] = [];
    for (const { rows: joined, aborted } of joining)
      for (const [i, spec] of joined.entries()) {
        specs.push(spec);
        slots.push(rows.length);
        rows.push({
          spec,
          rng: Rng.seeded(spec.seed),
          untruncated: isUntruncated(spec.sampler, V),
          stopWindow: Math.max(0, ...spec.stop.map((x) => x.length)),
          tokens: [],
          logprobs: [],
          out: null,
          aborted,
          flag: i,
        });
      }
    const batch = { prompts: specs.map((r) => r.promptIds), padId: b.padId };
    const logits = await stepper.prefill(batch, store, prof, live);
    prof.prefillMs += performance.now() - t0;
    return logits;
  };
  let out: StepOutput = { logits: await admit([{ rows: [...b.rows], aborted: b.aborted }]), weights: null };
  let from = 0; // cache rows [from, slots.length) draw from `out` (their row j - from)
  let steps = 0;
  /** Exchanges sent and not yet admitted, oldest first, with the decode steps run when each was sent. */
  const exchanges: { at: number; answered: number; joining: Promise<JoiningRows> }[] = [];
  try {
    for (;;) {
      let t0 = performance.now();
      let stopMs = 0;
      const ended: number[] = []; // cache rows
      const finder = stops();
      for (let j = from; j < slots.length; j++) {
        const row = rows[slots[j]!]!;
        if (Atomics.load(row.aborted, row.flag) === 1) {
          row.out = { tokens: row.tokens, logprobs: row.logprobs, finishReason: 'abort', endToken: false };
          ended.push(j);
          continue;
        }
        const k = j - from;
        const s =
          out.weights !== null && row.untruncated
            ? drawWeighted(out.weights.subarray(k * V, (k + 1) * V), row.rng)
            : sampleToken(out.logits.subarray(k * V, (k + 1) * V), row.spec.sampler, row.rng);
        row.tokens.push(s.id);
        row.logprobs.push(s.logprob);
        const t = performance.now();
        row.out = check(row, s.id, b, ends, finder);
        stopMs += performance.now() - t;
        if (row.out !== null) ended.push(j);
      }
      prof.sampleMs += performance.now() - t0 - stopMs;
      prof.stopMs += stopMs;
      t0 = performance.now();
      if (ended.length > 0) {
        if (store !== null) {
          for (const j of ended) {
            const row = rows[slots[j]!]!;
            const prompt = row.spec.promptIds; // then every sampled token but the last (a row withdrawn before its first: less)
            const tokens = new Int32Array(cached(row));
            for (let i = 0; i < tokens.length; i++)
              tokens[i] = i < prompt.length ? prompt[i]! : row.tokens[i - prompt.length]!;
            store.add(tokens, (into) => stepper.rowKv(j, tokens.length, into));
          }
          const t = performance.now();
          prof.keepMs += t - t0;
          t0 = t;
        }
        const running: number[] = [];
        for (let j = 0; j < slots.length; j++) if (rows[slots[j]!]!.out === null) running.push(j);
        const finished = ended.map((j) => ({ row: slots[j]!, outcome: rows[slots[j]!]!.out! }));
        const order = compactionOrder(running, slots.length);
        stepper.compact(order); // times itself (feeds)
        slots = order.map((j) => slots[j]!);
        if (join !== null) {
          exchanges.push({ at: steps, answered: finished.length, joining: join(finished) });
          // the main thread has them now: a continuous batch runs a whole rollout, and its ended rows
          // (prompts, replies) kept the worker's heap growing, every full GC marking them again
          for (const f of finished) rows[f.row] = undefined;
        }
        t0 = performance.now();
      }
      // answers bring their rows in one prompt pass: at once when no row runs; after one step while
      // fewer than ADMIT_ROWS rows run (an underfull batch gains nothing by waiting); else after
      // JOIN_DELAY steps, once they answered ADMIT_ROWS rows or the oldest waited ADMIT_WAIT steps
      const full = slots.length >= ADMIT_ROWS;
      const delay = slots.length === 0 ? 0 : full ? JOIN_DELAY : 1;
      const ready = exchanges.findIndex((e) => e.at + delay > steps);
      const due = exchanges.slice(0, ready === -1 ? exchanges.length : ready);
      const answered = due.reduce((k, e) => k + e.answered, 0);
      if (due.length > 0 && (!full || answered >= ADMIT_ROWS || due[0]!.at + ADMIT_WAIT <= steps)) {
        exchanges.splice(0, due.length);
        const t = performance.now();
        const joining = (await Promise.all(due.map((e) => e.joining))).filter((j) => j.rows.length > 0);
        prof.joinMs += performance.now() - t;
        from = slots.length;
        if (joining.length > 0) out = { logits: await admit(joining), weights: null };
        continue;
      }
      const n = slots.length;
      if (n === 0) break;
      const tokens = new BigInt64Array(n);
      const positions = new BigInt64Array(n);
      const inv = new Float64Array(n);
      let truncated = false; // a row drawing from the logits
      for (let j = 0; j < n; j++) {
        const row = rows[slots[j]!]!;
        tokens[j] = BigInt(row.tokens[row.tokens.length - 1]!);
        positions[j] = BigInt(row.spec.promptIds.length + row.tokens.length - 1);
        inv[j] = row.untruncated ? 1 / row.spec.sampler.temperature : 1;
        truncated ||= !row.untruncated;
      }
      prof.feedMs += performance.now() - t0;
      out = await stepper.step(tokens, positions, inv, truncated);
      from = 0;
      steps++;
      prof.steps++;
      prof.rowSteps += n;
    }
  } finally {
    stepper.release();
  }
  return join === null ? rows.map((r) => r!.out!) : [];
}

/**
 * The order that keeps the `running` cache rows (ascending) of `count`: running rows below the new
 * size stay where they are, and the holes there are filled with the running rows above it, in order.
 */
export function compactionOrder(running: readonly number[], count: number): number[] {
  const n = running.length;
  const order = new Array<number>(n);
  const keep = new Uint8Array(count);
  for (const j of running) keep[j] = 1;
  let donor = n; // next candidate above the new size
  for (let i = 0; i < n; i++) {
    if (keep[i]) {
      order[i] = i;
      continue;
    }
    while (!keep[donor]) donor++;
    order[i] = donor++;
  }
  return order;
}
