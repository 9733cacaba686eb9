/**
 * Atomic file writes: the data goes to a temporary file in the same directory, is flushed to disk
 * (fsync), then renamed over the final path, and the directory entry is flushed too. A crash or an
 * error mid-write leaves the previous file at the final path untouched; the temporary file is removed
 * on error (after a hard crash a `.NAME.*.tmp` file may remain; it is never read).
 */

import type { FileHandle } from 'node:fs/promises';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';

/** The file-system call {@link writeFileAtomic} makes per chunk (replaceable in tests). */
export interface AtomicWriteIo {
  /** Write one chunk completely to the open temporary file. Tests replace it to simulate a crash mid-write. */
  write(handle: FileHandle, chunk: Uint8Array): Promise<void>;
}

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  io?: Partial<AtomicWriteIo>;
  /** File mode of the new file (default 0o644). */
  mode?: number;
}

async function writeFully(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

let counter = 0;

/** The temporary path used for `path`: hidden, same directory (rename is atomic only within one file system). */
export function temporaryPathFor(path: string): string {
  counter += 1;
  return join(dirname(path), `.${basename(path)}.${process.pid}-${threadId}-${counter}.tmp`);
}

/** Flush a directory entry (a rename) to disk; platforms that cannot open directories skip it. */
export async function fsyncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Windows cannot open or fsync a directory; the rename is still atomic there.
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EACCES' && code !== 'EINVAL') throw error;
  } finally {
    await handle?.close();
  }
}

/** Write `data` (bytes, text, or a list of chunks) to `path` atomically. */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string | readonly Uint8Array[],
  options: AtomicWriteOptions = {},
): Promise<void> {
  const write = options.io?.write ?? writeFully;
  const chunks =
    typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
  const tmp = temporaryPathFor(path);
  const handle = await open(tmp, 'wx', options.mode ?? 0o644);
  try {
    try {
      for (const chunk of chunks) await write(handle, chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await fsyncDirectory(dirname(path));
}
