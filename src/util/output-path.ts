/**
 * Output paths checked before any work starts, and folders created without
 * hanging.
 *
 * Why not `mkdir(dir, { recursive: true })`: on Node 20 it never returns when
 * a parent refuses new entries with ENOENT (`/proc/x/y`: both the sync and the
 * promise form spin forever). `makeDirs` creates one level at a time from the
 * nearest existing ancestor, so every failure is an error with its code.
 */
import { closeSync, mkdirSync, openSync, rmSync, type Stats, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LamerError } from './errors.js';

/** An output file or folder cannot be written; the message says why and what to do. */
export class OutputPathError extends LamerError {
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a file is part of the path, so nothing exists at it
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

/**
 * Create `dir` and its missing parents (like `mkdir -p`), one level at a time.
 * Throws the file system's error (with its `code`) for the first level that
 * cannot be created; ENOTDIR when a file stands where a folder should be.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    const stat = statOrNull(at);
    if (stat !== null) {
      if (!stat.isDirectory()) {
        throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${at}'`), {
          code: 'ENOTDIR',
          path: at,
        });
      }
      break;
    }
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const level of missing.reverse()) {
    try {
      mkdirSync(level);
    } catch (error) {
      // another process made it meanwhile
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statOrNull(level)?.isDirectory())
        throw error;
    }
  }
}

/** Why a file system call failed, in words, from its error code. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOTDIR':
    case 'EEXIST':
      return 'a file is in the way of the folder path';
    case 'EISDIR':
      return 'it is a folder';
    case 'ENOENT':
      return 'that place does not accept new files or folders';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Check that `path` can be written as a file before a run starts: its folder
 * is created, it is not a folder itself, and it can be opened for writing
 * (opened in append mode, so an existing file is left as it is; a file that
 * did not exist is removed again). Throws OutputPathError naming `option`.
 */
export function checkOutputFile(path: string, option: string): void {
  const fail = (why: string, error?: unknown): never => {
    throw new OutputPathError(
      `${option} ${path}: cannot write there (${why}); give a file path in a folder you can write to`,
      path,
      error === undefined ? undefined : { cause: error },
    );
  };
  if (path.trim() === '') fail('the path is empty');
  const existing = statOrNull(path);
  if (existing?.isDirectory()) {
    throw new OutputPathError(
      `${option} ${path} is a folder; give a file path, e.g. ${path.replace(/\/+$/, '')}/eval.jsonl`,
      path,
    );
  }
  try {
    makeDirs(dirname(path));
  } catch (error) {
    fail(describeFsError(error), error);
  }
  let fd: number | undefined;
  try {
    fd = openSync(path, 'a');
  } catch (error) {
    fail(describeFsError(error), error);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (existing === null) rmSync(path, { force: true });
}
