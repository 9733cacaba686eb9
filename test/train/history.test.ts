/**
 * The history file (issue 25.3): rewritten atomically, so a failed write leaves the previous
 * version; a last line cut short (by a kill mid-append of an older lamer) is dropped and reported,
 * any other damaged line is an error that names it.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type HistoryEntry, readHistoryFile, writeHistory } from '../../src/train/history.js';
import { ParseError } from '../../src/util/errors.js';

const e = (step: number): HistoryEntry => ({ step, seconds: step * 2 });
const fresh = () => join(mkdtempSync(join(tmpdir(), 'lamer-history-')), 'history.jsonl');

describe('history.jsonl', () => {
  it('reads back what it wrote, NaN means as null', async () => {
    const path = fresh();
    const entries: HistoryEntry[] = [e(0), { ...e(1), train: { loss: Number.NaN } as HistoryEntry['train'] }];
    await writeHistory(path, entries);
    const read = await readHistoryFile(path);
    expect(read.cutLine).toBeUndefined();
    expect(read.entries.map((x) => x.step)).toEqual([0, 1]);
    expect(read.entries[1]!.train!.loss).toBeNull();
    expect(await readHistoryFile(join(path, '..', 'none.jsonl'))).toEqual({ entries: [] });
  });

  it('a write that fails midway leaves the previous file whole, and no temporary', async () => {
    const path = fresh();
    await writeHistory(path, [e(0), e(1)]);
    const before = readFileSync(path, 'utf8');
    const failing = {
      io: {
        write: async () => {
          throw new Error('disk gone');
        },
      },
    };
    await expect(writeHistory(path, [e(0), e(1), e(2)], failing)).rejects.toThrow('disk gone');
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(readdirSync(join(path, '..'))).toEqual(['history.jsonl']);
  });

  it('drops a cut last line and says which; a damaged line before it is a ParseError naming it', async () => {
    const path = fresh();
    const two = `${JSON.stringify(e(0))}\n${JSON.stringify(e(1))}\n`;
    writeFileSync(path, `${two}{"step":2,"seco`);
    expect(await readHistoryFile(path)).toEqual({ entries: [e(0), e(1)], cutLine: 3 });
    // a complete last line without its newline is kept
    writeFileSync(path, `${two}${JSON.stringify(e(2))}`);
    expect((await readHistoryFile(path)).entries).toEqual([e(0), e(1), e(2)]);
    // damage that a kill cannot leave: an error, not a silent drop
    writeFileSync(path, `${JSON.stringify(e(0))}\n{"step":1,"seco\n${JSON.stringify(e(2))}\n`);
    await expect(readHistoryFile(path)).rejects.toThrow(ParseError);
    await expect(readHistoryFile(path)).rejects.toThrow(/line 2 is not valid JSON: .*--restart/);
    // a damaged last line that ends in a newline was written whole: damaged, not cut
    writeFileSync(path, `${JSON.stringify(e(0))}\n{"step":1,"seco\n`);
    await expect(readHistoryFile(path)).rejects.toThrow(/line 2 is not valid JSON/);
  });
});
