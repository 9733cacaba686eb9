/**
 * JSONL file sink: one JSON object per line, keys in sorted order
 * (safe-stable-stringify, deterministic mode), so the same values give a
 * byte-identical file.
 *
 * "Nothing is lost": the file is opened when the stream is subscribed (parent
 * folders created; truncated, or appended to with `append: true`) and every
 * value is written as one whole line by a single synchronous write before it
 * is passed downstream. So a value that left the sink is in the file even if
 * the process dies right after; a crash can cut at most the line being
 * written. We chose append-as-you-go over temp + rename: a run that dies half
 * way keeps the trials it finished. On completion, error or unsubscribe the
 * file is fsync'ed and closed (`fsync: 'line'` also fsyncs every line, for
 * machines that may lose power).
 */
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { Observable, type OperatorFunction } from 'rxjs';
import stringify from 'safe-stable-stringify';
import { makeDirs } from '../../util/output-path.js';

const stable = stringify.configure({ deterministic: true, circularValue: TypeError, bigint: false });

/** Options of {@link jsonlSink}. */
export interface JsonlSinkOptions {
  /** The file to write (parent folders are created). */
  path: string;
  /** Append to an existing file instead of replacing it (default false). */
  append?: boolean;
  /** When to fsync: only at the end (default) or after every line. */
  fsync?: 'end' | 'line';
}

/** One value as its JSONL line (sorted keys, no trailing newline). */
export function toJsonLine(value: unknown): string {
  const line = stable(value);
  if (line === undefined) throw new TypeError('jsonl: value has no JSON form (undefined or a function)');
  return line;
}

/** Write every value to a JSONL file and pass it on unchanged. */
export function jsonlSink<T>(options: JsonlSinkOptions): OperatorFunction<T, T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      makeDirs(dirname(options.path));
      let fd: number | null = openSync(options.path, options.append ? 'a' : 'w');
      const close = () => {
        if (fd === null) return;
        const open = fd;
        fd = null;
        try {
          fsyncSync(open);
        } finally {
          closeSync(open);
        }
      };
      const subscription = source.subscribe({
        next: (value) => {
          try {
            writeWhole(fd!, `${toJsonLine(value)}\n`);
            if (options.fsync === 'line') fsyncSync(fd!);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          subscriber.next(value);
        },
        error: (err) => {
          close();
          subscriber.error(err);
        },
        complete: () => {
          try {
            close();
          } catch (err) {
            subscriber.error(err);
            return;
          }
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        close();
      };
    });
}

function writeWhole(fd: number, text: string): void {
  const buffer = Buffer.from(text, 'utf8');
  let offset = 0;
  while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
}

/** Read a JSONL file back (one parsed value per non-empty line). */
export function readJsonl<T = unknown>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);
}
