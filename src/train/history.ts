/**
 * The training history: one JSON line per step in `<out>/history.jsonl` (step 0 = the validation
 * before training). The whole file is rewritten atomically after each step (temp file, fsync,
 * rename: a few hundred kB at most), so a kill leaves the previous version or the new one, never a
 * cut line; `--resume` reconciles it with the newest checkpoint (resume.ts).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type AtomicWriteOptions, writeFileAtomic } from '../learner/atomic-write.js';
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
  /** The checkpoint saved after this step (written right after this line). */
  checkpoint?: string;
}

/** The file's text: one line per entry (JSON has no NaN: a step without updates has NaN means, written as null). */
export function historyText(entries: readonly HistoryEntry[]): string {
  return entries.map((e) => `${JSON.stringify(e, (_k, v) => (Number.isNaN(v) ? null : v))}\n`).join('');
}

/** Replace the history file with `entries`, atomically. */
export async function writeHistory(
  path: string,
  entries: readonly HistoryEntry[],
  options: AtomicWriteOptions = {},
): Promise<void> {
  await writeFileAtomic(path, historyText(entries), options);
}

export interface HistoryFile {
  entries: HistoryEntry[];
  /** Line number of a last line cut short (left by a kill mid-append of an older lamer), dropped. */
  cutLine?: number;
}

/** The entries of a history file ([] when there is none); see `readHistoryFile`. */
export async function readHistory(path: string): Promise<HistoryEntry[]> {
  return (await readHistoryFile(path)).entries;
}

/** A history file (empty when there is none); a damaged line other than a cut last line is a ParseError naming it. */
export async function readHistoryFile(path: string): Promise<HistoryFile> {
  if (!existsSync(path)) return { entries: [] };
  const text = await readFile(path, 'utf8');
  const lines = text.split('\n');
  const read: HistoryFile = { entries: [] };
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      read.entries.push(JSON.parse(line) as HistoryEntry);
    } catch (error) {
      // Only the last line can be cut short by a kill (it has no newline after it).
      if (i === lines.length - 1 && !text.endsWith('\n')) {
        read.cutLine = i + 1;
        return;
      }
      throw new ParseError(
        `${path} line ${i + 1} is not valid JSON: the history is damaged; restore it, or start over with --restart`,
        { cause: error },
      );
    }
  });
  return read;
}
