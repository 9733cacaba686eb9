/**
 * Atomic file writes: the data goes to a temporary file in the same directory, is flushed to disk
 * (fsync), then renamed over the final path, and the directory entry is flushed too. A crash or an
 * error mid-write leaves the previous file at the final path untouched; the temporary file is removed
 * on error (after a hard crash a `.NAME.*.tmp` file may remain; it is never read).
 */

import type { FileHandle } from 'node:fs/promises';
import { open, readdir, rename, rm } from 'node:fs/promises';
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

/** Write one chunk completely (the default `AtomicWriteIo.write`). */
export async function writeFully(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

/** Writes that call `before()` ahead of each chunk: tests kill the process there to leave a half-written file. */
export function beforeEachWrite(before: () => void): AtomicWriteOptions {
  return {
    io: {
      write: async (handle, chunk) => {
        before();
        await writeFully(handle, chunk);
      },
    },
  };
}

let counter = 0;

/** The temporary path used for `path`: hidden, same directory (rename is atomic only within one file system). */
export function temporaryPathFor(path: string): string {
  counter += 1;
  return join(dirname(path), `.${basename(path)}.${process.pid}-${threadId}-${counter}.tmp`);
}

/** Remove the temporary files a killed writer of `path` left (`temporaryPathFor` names); returns how many. */
export async function removeTemporaries(path: string): Promise<number> {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  const stale = names.filter((n) => n.startsWith(prefix) && n.endsWith('.tmp'));
  for (const n of stale) await rm(join(dir, n), { force: true });
  return stale.length;
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
