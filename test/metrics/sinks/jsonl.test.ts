import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concat, from, lastValueFrom, throwError, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { jsonlSink, readJsonl, toJsonLine } from '../../../src/metrics/sinks/jsonl.js';

const dir = mkdtempSync(join(tmpdir(), 'lamer-jsonl-'));

describe('jsonlSink', () => {
  it('writes one line per value with sorted keys and passes values through', async () => {
    const path = join(dir, 'nested', 'a.jsonl');
    const values = [{ b: 1, a: { d: [2, { z: 1, y: 0 }], c: 'x' } }, { a: null }];
    const out = await lastValueFrom(from(values).pipe(jsonlSink({ path }), toArray()));
    expect(out).toEqual(values);
    expect(readFileSync(path, 'utf8')).toBe('{"a":{"c":"x","d":[2,{"y":0,"z":1}]},"b":1}\n{"a":null}\n');
    expect(readJsonl(path)).toEqual(values);
  });

  it('gives byte-identical files for the same values in any key insertion order', async () => {
    const p1 = join(dir, 'x.jsonl');
    const p2 = join(dir, 'y.jsonl');
    await lastValueFrom(from([{ x: 1, y: [1, 2] }]).pipe(jsonlSink({ path: p1 })));
    await lastValueFrom(from([{ y: [1, 2], x: 1 }]).pipe(jsonlSink({ path: p2, fsync: 'line' })));
    expect(readFileSync(p1)).toEqual(readFileSync(p2));
  });

  it('replaces an old file by default and appends when asked', async () => {
    const path = join(dir, 'c.jsonl');
    await lastValueFrom(from([1, 2]).pipe(jsonlSink({ path })));
    await lastValueFrom(from([3]).pipe(jsonlSink({ path })));
    expect(readJsonl(path)).toEqual([3]);
    await lastValueFrom(from([4]).pipe(jsonlSink({ path, append: true })));
    expect(readJsonl(path)).toEqual([3, 4]);
  });

  it('keeps every line written before the stream failed', async () => {
    const path = join(dir, 'd.jsonl');
    const failing = concat(
      from([{ n: 1 }, { n: 2 }]),
      throwError(() => new Error('policy crashed')),
    );
    await expect(lastValueFrom(failing.pipe(jsonlSink({ path })))).rejects.toThrow('policy crashed');
    expect(readJsonl(path)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('rejects values with no JSON form', () => {
    expect(() => toJsonLine(undefined)).toThrow(TypeError);
    expect(toJsonLine({ a: undefined, b: 1 })).toBe('{"b":1}');
  });
});
