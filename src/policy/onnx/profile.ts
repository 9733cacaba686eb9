/**
 * Where a generation's time goes (`OnnxPolicy.stats.profile`, printed by `npm run bench:generate`):
 * wall-clock milliseconds per phase, summed over calls. Decode phases are per decode step (one token
 * for every live row); `rowSteps` counts rows × steps, so per-row costs can be told from per-step ones.
 * Types and small pure helpers only, so the worker can load it.
 */

/** A generation's counts and worker milliseconds by phase: what one batch's worker reports and the profile sums. */
export interface WorkerPhases {
  /** Decode steps (one token for every live row) and the sum of live rows over them. */
  steps: number;
  rowSteps: number;
  /** Prompt tokens run by the prefill, and reused from stored sequences or repeated prompts (prefix-store.ts). */
  prefillTokens: number;
  reusedTokens: number;
  /** The prompt pass: onnxruntime runs, cache assembly and the logits out, in the worker. */
  prefillMs: number;
  /** onnxruntime decode runs (session.run, the inputs' wrapping and outputs' copies included). */
  runMs: number;
  /** Building a decode run's inputs: token/position/mask arrays, cache compaction (finished rows) and growth. */
  feedMs: number;
  /** Reading a decode run's outputs: new keys/values written into the cache, logits out. */
  fetchMs: number;
  /** Finished rows' keys/values copied into the prefix store (prefix-store.ts), the last step's rows included. */
  keepMs: number;
  /** Drawing the next token of every live row (sampling.ts). */
  sampleMs: number;
  /** End-token, stop-string, budget and context checks. */
  stopMs: number;
  /** A continuous batch waiting for the main thread's joining rows after rows ended (not work: excluded from `workMs`). */
  joinMs: number;
}

/** The phases summed over calls, with what only the calling side sees. */
export interface DecodeProfile extends WorkerPhases {
  /** generate calls and rows. */
  calls: number;
  rows: number;
  /** Crossing threads: time the caller waited beyond the worker's own work (postMessage, queueing). */
  messageMs: number;
  /** The whole generate calls, wall clock (the rest: prompt packing, results). */
  totalMs: number;
}

/** All phases at zero. */
export const emptyPhases = (): WorkerPhases => ({
  steps: 0,
  rowSteps: 0,
  prefillTokens: 0,
  reusedTokens: 0,
  prefillMs: 0,
  runMs: 0,
  feedMs: 0,
  fetchMs: 0,
  keepMs: 0,
  sampleMs: 0,
  stopMs: 0,
  joinMs: 0,
});

/** An empty profile (every count and time 0). */
export const emptyProfile = (): DecodeProfile => ({
  calls: 0,
  rows: 0,
  ...emptyPhases(),
  messageMs: 0,
  totalMs: 0,
});

/** `into` += `p`, field by field. */
export function addProfile(into: DecodeProfile, p: Readonly<DecodeProfile>): void {
  for (const k of Object.keys(into) as (keyof DecodeProfile)[]) into[k] += p[k];
}

const PHASES = Object.keys(emptyPhases()) as (keyof WorkerPhases)[];

/** `into`'s phases += `p`'s (a batch's worker report into the summed profile). */
export function addPhases(into: WorkerPhases, p: Readonly<WorkerPhases>): void {
  for (const k of PHASES) into[k] += p[k];
}

/** `a` − `b`, field by field (the profile of the calls between two snapshots). */
export function profileSince(a: Readonly<DecodeProfile>, b: Readonly<DecodeProfile>): DecodeProfile {
  const out = emptyProfile();
  for (const k of Object.keys(out) as (keyof DecodeProfile)[]) out[k] = a[k] - b[k];
  return out;
}
