/**
 * The training history: one JSON line per step in `<out>/history.jsonl`
 * (step 0 = the validation before training), appended as the run goes, so a
 * killed run keeps what it did and `--resume` continues the same file.
 */
import { existsSync } from 'node:fs';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { ParseError } from '../util/errors.js';
import type { RolloutSummary } from './evaluate.js';
import type { LogprobShift } from './logprob-shift.js';

/** One line of `<out>/history.jsonl`: a training step's time, rollout metrics, learner stats and, on validation steps, the validation summary. */
export interface HistoryEntry {
  step: number;
  /** Wall time of the step (rollout + update + validation). */
  seconds: number;
  rolloutSeconds?: number;
  /** Metrics of the step's training rollout. */
  rollout?: RolloutSummary;
  /** The learner's stats of the update (means over the mini-batches). */
  train?: {
    loss: number;
    pgLoss: number;
    entropy: number;
    clipFrac: number;
    approxKl: number;
    /** KL to the reference weights (the warm start), only with `ppo.klCoef` > 0. */
    kl?: number;
    gradNorm: number;
    samples: number;
    tokens: number;
    updates: number;
    stopped: boolean;
    policyVersion: number;
  };
  advantages?: { mean: number; meanAbs: number; std: number; nonZero: number };
  /** Mean change of play replies' log-prob over the step, by advantage sign (logprob-shift.ts). */
  shift?: LogprobShift;
  /** Validation on the fixed set, when this step validated. */
  validation?: RolloutSummary;
  checkpoint?: string;
}

/** Append entries (or, with `truncate`, replace the file with them). */
export async function appendHistory(
  path: string,
  entries: readonly HistoryEntry[],
  options: { truncate?: boolean } = {},
): Promise<void> {
  // JSON has no NaN: a step without updates has NaN means; write them as null.
  const text = entries.map((e) => `${JSON.stringify(e, (_k, v) => (Number.isNaN(v) ? null : v))}\n`).join('');
  if (options.truncate) await writeFile(path, text);
  else await appendFile(path, text);
}

/** The entries of a history file ([] when there is none); a damaged line is a ParseError naming it. */
export async function readHistory(path: string): Promise<HistoryEntry[]> {
  if (!existsSync(path)) return [];
  const lines = (await readFile(path, 'utf8')).split('\n');
  const out: HistoryEntry[] = [];
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    try {
      out.push(JSON.parse(text) as HistoryEntry);
    } catch (error) {
      // The last line of a killed run can be cut short: drop it, it is re-done on resume.
      if (i >= lines.length - 2) return;
      throw new ParseError(`${path} line ${i + 1} is not valid JSON; delete that line to resume`, {
        cause: error,
      });
    }
  });
  return out;
}
