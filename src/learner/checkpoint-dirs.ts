/**
 * Checkpoint folders under a checkpoints root: names (`step-000123`), the manifest that marks a
 * checkpoint complete, listing, resume (`latestCheckpoint`) and keep-last-K pruning.
 * The folder layout is documented in checkpoint.ts.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError } from './safetensors.js';

/** The file names inside a `step-NNNNNN/` checkpoint folder. */
export const CHECKPOINT_FILES = {
  model: 'model.safetensors',
  config: 'config.json',
  optimizer: 'optimizer.safetensors',
  trainerState: 'trainer_state.json',
  manifest: 'checkpoint.json',
} as const;

export const MANIFEST_FORMAT = 'lamer-checkpoint';
const STEP_DIR = /^step-(\d+)$/;

/** `checkpoint.json`, written last: marks a checkpoint complete and lists each file's size and sha256. */
export interface CheckpointManifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  step: number;
  files: Record<string, { bytes: number; sha256: string }>;
}

/** A complete checkpoint found on disk: its step and folder. */
export interface CheckpointRef {
  step: number;
  dir: string;
}

/** `step-000123`: zero-padded so folders sort by name; steps past 999999 just get more digits. */
export function checkpointDirName(step: number): string {
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new CheckpointError(`checkpoint step must be a non-negative integer, got ${step}.`);
  }
  return `step-${String(step).padStart(6, '0')}`;
}

export async function readOrFail(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new CheckpointError(
      `${path}: cannot be read (${String(cause)}). Check the path and the checkpoint folder.`,
      { file: path },
      { cause },
    );
  }
}

export async function readManifest(dir: string): Promise<CheckpointManifest> {
  const path = join(dir, CHECKPOINT_FILES.manifest);
  const text = (await readOrFail(path)).toString('utf8');
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(text) as CheckpointManifest;
  } catch (cause) {
    throw new CheckpointError(
      `${path}: not valid JSON; this checkpoint is damaged, use an older one.`,
      { file: path },
      { cause },
    );
  }
  if (
    manifest?.format !== MANIFEST_FORMAT ||
    manifest.version !== 1 ||
    !Number.isSafeInteger(manifest.step)
  ) {
    throw new CheckpointError(
      `${path}: not a lamer checkpoint manifest (format ${MANIFEST_FORMAT}, version 1).`,
      { file: path },
    );
  }
  return manifest;
}

/** All `step-N` folders under `root`, oldest first; `complete` means a valid manifest for that step exists. */
export async function listCheckpoints(root: string): Promise<Array<CheckpointRef & { complete: boolean }>> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const found: Array<CheckpointRef & { complete: boolean }> = [];
  for (const name of names) {
    const match = STEP_DIR.exec(name);
    if (!match) continue;
    const dir = join(root, name);
    const step = Number(match[1]);
    const complete = await readManifest(dir).then(
      (m) => m.step === step,
      (error: unknown) => {
        if (error instanceof CheckpointError) return false;
        throw error;
      },
    );
    found.push({ step, dir, complete });
  }
  return found.sort((a, b) => a.step - b.step);
}

/** The newest complete checkpoint under `root`, or null when there is none (start from scratch). */
export async function latestCheckpoint(root: string): Promise<CheckpointRef | null> {
  const complete = (await listCheckpoints(root)).filter((c) => c.complete);
  const last = complete.at(-1);
  return last ? { step: last.step, dir: last.dir } : null;
}

/** Keep the newest `keepLast` complete checkpoints; delete older ones and incomplete folders older than the newest. */
export async function pruneCheckpoints(root: string, keepLast: number): Promise<string[]> {
  if (!Number.isSafeInteger(keepLast) || keepLast < 1) {
    throw new CheckpointError(`keepLast must be an integer ≥ 1, got ${keepLast}.`);
  }
  const all = await listCheckpoints(root);
  const complete = all.filter((c) => c.complete);
  const newest = complete.at(-1)?.step ?? -1;
  const keep = new Set(complete.slice(-keepLast).map((c) => c.dir));
  const remove = all.filter((c) => !keep.has(c.dir) && (c.complete || c.step < newest));
  for (const c of remove) await rm(c.dir, { recursive: true, force: true });
  return remove.map((c) => c.dir);
}
