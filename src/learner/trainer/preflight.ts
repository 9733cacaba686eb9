/**
 * Checks of an output folder before training starts, so a run does not fail
 * at its first checkpoint after minutes of work: the folder can be created,
 * a probe file can be created, written, flushed (fsync) and removed, and the
 * file system has room for the checkpoints the run will keep.
 */
import type { FileHandle } from 'node:fs/promises';
import { open, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { LamerError } from '../../util/errors.js';
import { describeFsError, makeDirs } from '../../util/output-path.js';
import type { Trainable } from '../train-state.js';
import { trainableShapes } from '../weights.js';

/** Why an output folder cannot be used (see {@link OutputDirError}). */
export type OutputDirProblem = 'unwritable' | 'no-space';

/** The output folder cannot hold the run's files; `problem` says why. */
export class OutputDirError extends LamerError {
  constructor(
    message: string,
    readonly dir: string,
    readonly problem: OutputDirProblem,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** File-system calls the check makes; tests replace them to simulate a full or failing disk. */
export interface PreflightIo {
  /** Free blocks and block size of the file system holding `dir`. */
  statfs(dir: string): Promise<{ bavail: number | bigint; bsize: number | bigint }>;
  /** Writes `data` to an open file (the probe write). */
  write(handle: FileHandle, data: Uint8Array): Promise<void>;
}

const defaultIo: PreflightIo = {
  statfs: (dir) => statfs(dir),
  write: async (handle, data) => {
    await handle.write(data);
  },
};

const MB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

/** Bytes of one checkpoint: the trained tensors and both AdamW moments in float32, plus headers and JSON files. */
export function checkpointBytes(t: Trainable): number {
  const shapes = Object.values(trainableShapes('model' in t ? t : { model: t }));
  const values = shapes.reduce((n, s) => n + s.reduce((p, x) => p * x, 1), 0);
  return 3 * 4 * values + 3 * 160 * shapes.length + 16 * 1024;
}

function problemOf(error: unknown): { problem: OutputDirProblem; why: string } {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return { problem: 'no-space', why: 'the disk is full' };
  return { problem: 'unwritable', why: describeFsError(error) };
}

function fail(dir: string, step: string, error: unknown): never {
  const { problem, why } = problemOf(error);
  const next =
    problem === 'no-space'
      ? 'free some space or choose another output folder'
      : 'choose a folder you can write to, or fix its permissions';
  throw new OutputDirError(`output folder ${dir}: cannot ${step} (${why}): ${next}.`, dir, problem, {
    cause: error,
  });
}

/**
 * Make sure `dir` exists, is writable and has `bytesNeeded` free; throws an OutputDirError
 * saying what is wrong and what to do. Returns the free bytes.
 */
export async function checkOutputDir(
  dir: string,
  bytesNeeded: number,
  io: Partial<PreflightIo> = {},
): Promise<{ freeBytes: number }> {
  const { statfs: statfsOf, write } = { ...defaultIo, ...io };
  try {
    makeDirs(dir);
  } catch (error) {
    fail(dir, 'create the folder', error);
  }
  const probe = join(dir, `.lamer-probe-${process.pid}-${threadId}`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(probe, 'w');
    await write(handle, new Uint8Array(4096).fill(1));
    await handle.sync();
  } catch (error) {
    fail(dir, 'write a test file', error);
  } finally {
    await handle?.close();
    await rm(probe, { force: true });
  }
  let freeBytes: number;
  try {
    const s = await statfsOf(dir);
    freeBytes = Number(s.bavail) * Number(s.bsize);
  } catch (error) {
    fail(dir, 'read the free space', error);
  }
  if (freeBytes < bytesNeeded)
    throw new OutputDirError(
      `output folder ${dir}: ${mb(freeBytes)} free, but the run needs about ${mb(bytesNeeded)} for its checkpoints: ` +
        'free some space, choose another output folder, or keep fewer checkpoints.',
      dir,
      'no-space',
    );
  return { freeBytes };
}
