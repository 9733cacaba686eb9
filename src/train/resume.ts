/**
 * What `lamer train` does with an output folder that already holds a run, and what `--resume`
 * keeps of its history. The invariants (docs/architecture.md, Training):
 * - a step's history line is written (atomically, the whole file) before the step's checkpoint, so
 *   every step a checkpoint covers has its line;
 * - a resumed run keeps the history up to the newest usable checkpoint's step and re-does the steps
 *   after it (a seeded run re-does them identically);
 * - `--resume` that finds nothing usable is an error, unless `--restart` is given too: then the
 *   folder's checkpoints, history and report are removed and the run starts over; `--restart` alone
 *   always starts over; neither refuses a folder that holds a checkpoint.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeTemporaries } from '../learner/atomic-write.js';
import { latestCheckpoint } from '../learner/checkpoint-dirs.js';
import { loadTrainerCheckpoint, type TrainerCheckpoint } from '../learner/trainer/index.js';
import { LamerError } from '../util/errors.js';
import type { HistoryEntry, HistoryFile } from './history.js';
import type { SavedModel } from './model-setup.js';

/** A run folder cannot be resumed, or holds a run that a new run would overwrite. */
export class ResumeError extends LamerError {}

/** What `lamer train` does with a folder that holds a run: `--resume`, `--restart`, both, or neither. */
export interface RunMode {
  /** Continue from the newest usable checkpoint (`--resume`); an error when there is none. */
  resume?: boolean;
  /** Discard the folder's run and start over (`--restart`); with `resume`, only when nothing is usable. */
  restart?: boolean;
}

/** The files of a run under its output folder. */
export function runFiles(out: string) {
  return {
    checkpoints: join(out, 'checkpoints'),
    history: join(out, 'history.jsonl'),
    reportJson: join(out, 'report.json'),
    reportHtml: join(out, 'report.html'),
  };
}

/** Remove a run's checkpoints, history and report; returns the paths that were there. */
export async function discardRun(out: string): Promise<string[]> {
  const f = runFiles(out);
  const found = [f.checkpoints, f.history, f.reportJson, f.reportHtml].filter((p) => existsSync(p));
  for (const p of found) await rm(p, { recursive: true, force: true });
  return found;
}

/**
 * Decide, before any work, whether the run resumes (the checkpoint to resume from) or starts
 * (null), per `mode`; says what it does through `log`. Throws ResumeError when `--resume` finds nothing usable (without
 * `--restart`) and when a new run would overwrite a checkpoint (without `--restart`).
 */
export async function openRunFolder(
  out: string,
  model: SavedModel,
  mode: RunMode,
  log: (message: string) => void,
): Promise<TrainerCheckpoint | null> {
  const files = runFiles(out);
  const dir = files.checkpoints;
  // What a writer killed mid-write left (never read: the files themselves are replaced atomically).
  for (const p of [files.history, files.reportJson, files.reportHtml]) await removeTemporaries(p);
  if (mode.resume) {
    let damaged = 0;
    const found = await loadTrainerCheckpoint(model, { dir }, (m) => {
      damaged++;
      log(m);
    });
    if (found) return found;
    const why =
      damaged > 0
        ? `all ${damaged} checkpoint(s) under ${dir} are damaged (above)`
        : `no checkpoint under ${dir}`;
    if (!mode.restart)
      throw new ResumeError(
        `--resume: nothing to resume in ${out}: ${why}. Add --restart to discard what is there and start over` +
          (damaged > 0 ? '' : ', or run without --resume'),
      );
    log(`nothing to resume in ${out} (${why}); --restart: starting over`);
  }
  if (mode.restart) {
    const removed = await discardRun(out);
    if (removed.length > 0) log(`--restart: removed ${removed.join(', ')}`);
    return null;
  }
  const last = await latestCheckpoint(dir);
  if (last)
    throw new ResumeError(
      `${out} already holds a run (checkpoint step ${last.step}): add --resume to continue it, ` +
        '--restart to discard it and start over, or choose another --out',
    );
  return null;
}

/** "3", "3–5", "1, 4–6": steps as ranges. */
export function stepRanges(steps: readonly number[]): string {
  const s = [...new Set(steps)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    parts.push(i === j ? `${s[i]}` : `${s[i]}–${s[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/**
 * The history of a run resumed from the checkpoint of step `step`: every line up to `step` in step
 * order (the steps after it are re-done). `notes` say what was dropped. A line of step 1..`step`
 * that is missing or repeated is a ResumeError: it cannot be re-made without redoing the steps
 * before it. A missing step-0 line (the validation before training) is only noted.
 */
export function reconcileHistory(
  file: HistoryFile,
  path: string,
  step: number,
  stepZero: boolean,
): { entries: HistoryEntry[]; notes: string[] } {
  const notes: string[] = [];
  if (file.cutLine !== undefined)
    notes.push(`${path}: line ${file.cutLine} was cut short (the run was killed writing it) and is dropped`);
  const kept = file.entries.filter((e) => e.step <= step).sort((a, b) => a.step - b.step);
  const after = file.entries.filter((e) => e.step > step).map((e) => e.step);
  if (after.length > 0)
    notes.push(
      `${path}: step(s) ${stepRanges(after)} came after the checkpoint of step ${step}: re-doing them`,
    );
  const seen = new Map<number, number>();
  for (const e of kept) seen.set(e.step, (seen.get(e.step) ?? 0) + 1);
  const missing: number[] = [];
  for (let s = 1; s <= step; s++) if (!seen.has(s)) missing.push(s);
  const repeated = [...seen].filter(([, n]) => n > 1).map(([s]) => s);
  if (missing.length > 0 || repeated.length > 0) {
    const what = [
      missing.length > 0 ? `lacks step(s) ${stepRanges(missing)}` : '',
      repeated.length > 0 ? `repeats step(s) ${stepRanges(repeated)}` : '',
    ].filter(Boolean);
    throw new ResumeError(
      `${path} ${what.join(' and ')} of the ${step} the newest checkpoint covers: a step's record cannot be re-made ` +
        'without redoing it. Restore the file, or discard the run with --restart',
    );
  }
  if (stepZero && !seen.has(0))
    notes.push(`${path}: no validation before training (step 0); it is not re-done`);
  return { entries: kept, notes };
}
