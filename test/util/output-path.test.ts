import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOutputFile, makeDirs, OutputPathError } from '../../src/util/output-path.js';

const root = mkdtempSync(join(tmpdir(), 'lamer-out-'));
const file = join(root, 'plain.txt');
writeFileSync(file, 'keep me');

/** The error `fn` throws (fails the test when it returns). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('makeDirs', () => {
  it('creates missing parents and accepts an existing folder', () => {
    const deep = join(root, 'a', 'b', 'c');
    makeDirs(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    makeDirs(deep);
  });

  it('fails with ENOTDIR when a file stands in the path', () => {
    expect((thrown(() => makeDirs(join(file, 'x', 'y'))) as NodeJS.ErrnoException).code).toBe('ENOTDIR');
  });

  // Node 20's recursive mkdir never returns here (it retries ENOENT forever): this test would time out.
  it.runIf(existsSync('/proc/self'))('returns an error under /proc instead of hanging', () => {
    expect((thrown(() => makeDirs('/proc/lamer-x/y')) as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});

describe('checkOutputFile', () => {
  it('accepts a new file in a new folder and leaves no file behind', () => {
    const path = join(root, 'new', 'eval.jsonl');
    checkOutputFile(path, '--out');
    expect(existsSync(path)).toBe(false);
    expect(statSync(join(root, 'new')).isDirectory()).toBe(true);
  });

  it('leaves an existing file as it is', () => {
    checkOutputFile(file, '--out');
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it.each([
    ['a folder', root, /is a folder; give a file path, e\.g\. .*\/eval\.jsonl/],
    ['a file in the folder path', join(file, 'x.jsonl'), /a file is in the way of the folder path/],
    ['an empty path', ' ', /the path is empty/],
  ])('names %s in one line', (_what, path, message) => {
    const error = thrown(() => checkOutputFile(path, '--out'));
    expect(error).toBeInstanceOf(OutputPathError);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/^--out /);
    expect(error.message).not.toContain('\n');
  });

  it.runIf(existsSync('/proc/self'))(
    'refuses a place that takes no new files (/proc) without hanging',
    () => {
      expect(thrown(() => checkOutputFile('/proc/lamer-x/y.jsonl', '--out')).message).toMatch(
        /cannot write there \(that place does not accept new files or folders\)/,
      );
    },
  );
});
