import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  type KvPages,
  MIN_PREFIX,
  PAGE,
  PrefixStore,
  readKv,
  rowKv,
} from '../../../src/policy/onnx/prefix-store.js';

/** One key and one value tensor of 1 head × tokens × 1 float per sequence. */
const SHAPE = { tensors: 2, kvHeads: 1, headDim: 1 };
/** Writes a sequence's keys/values: its token ids (key) and ids + 1000 (value), a cache row of them read as the decode caches do. */
const kvOf = (tokens: Int32Array) => (into: KvPages) => {
  const row = (j: number) => Float32Array.from(tokens, (t) => t + 1000 * j);
  rowKv([row(0), row(1)], 1, 1, tokens.length, { slot: 0, start: 0, length: tokens.length }, into);
};
/** Positions 0..n of tensor j of a stored sequence. */
const valuesOf = (from: KvPages, j: number, n: number) => {
  const out = new Float32Array(n);
  readKv(from, SHAPE, j, 0, n, out, 0);
  return Array.from(out);
};
const add = (store: PrefixStore, tokens: Int32Array) => store.add(tokens, kvOf(tokens));
const seq = (...parts: number[][]) => Int32Array.from(parts.flat());
const run = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('PrefixStore', () => {
  it('matches the longest stored prefix, never the whole prompt, never under MIN_PREFIX tokens', () => {
    const store = new PrefixStore(1 << 20, SHAPE);
    add(store, seq(run(0, 40)));
    add(store, seq(run(0, 20), run(100, 30)));
    expect(store.match([...run(0, 30), 7])?.length).toBe(30);
    expect(store.match([...run(0, 20), ...run(100, 5)])?.length).toBe(24); // the last prompt token always runs
    expect(store.match(run(0, 40))?.length).toBe(39);
    expect(store.match([...run(0, MIN_PREFIX - 1), 999, 1000])).toBeNull();
  });

  it('drops a sequence another one extends, and the least recently used over the budget', () => {
    const store = new PrefixStore(4 * 2 * 100, SHAPE); // 100 tokens of one float key + value
    add(store, seq(run(0, 30)));
    add(store, seq(run(0, 40))); // extends the first: it replaces it
    expect(store.size).toBe(1);
    add(store, seq(run(500, 40)));
    expect(store.match([...run(0, 35), 1])?.length).toBe(35); // the first is now the most recently used
    add(store, seq(run(900, 40))); // over budget: the 500.. sequence goes
    expect(store.match([...run(500, 35), 1])).toBeNull();
    expect(store.match([...run(0, 35), 1])?.length).toBe(35);
    store.clear();
    expect(store.match([...run(0, 35), 1])).toBeNull();
  });

  test.prop([
    fc.array(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 0, maxLength: 40 }), {
      minLength: 1,
      maxLength: 8,
    }),
    fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 40 }),
  ])(
    'the match is the longest common prefix with any kept sequence, capped below the prompt length',
    (stored, prompt) => {
      const store = new PrefixStore(1 << 20, SHAPE);
      const kept = stored.map((s) => Int32Array.from([...run(0, MIN_PREFIX), ...s]));
      for (const s of kept) add(store, s);
      const p = [...run(0, MIN_PREFIX), ...prompt];
      let best = 0;
      for (const s of kept) {
        let i = 0;
        while (i < s.length && i < p.length - 1 && s[i] === p[i]) i++;
        best = Math.max(best, i);
      }
      const m = store.match(p);
      expect(m?.length ?? 0).toBe(best >= MIN_PREFIX ? best : 0);
      if (m) expect(Array.from(m.entry.tokens.subarray(0, m.length))).toEqual(p.slice(0, m.length));
    },
  );

  it("reuses a dropped entry's pages for a later one of any length, which holds its own keys/values", () => {
    const store = new PrefixStore(1 << 20, SHAPE);
    add(store, seq(run(0, 40)));
    const first = store.match([...run(0, 40), 1])!.entry.pages;
    expect(first.length).toBe(1);
    add(store, seq(run(0, PAGE + 50))); // extends the first, which goes: two pages, its page among them
    const m = store.match([...run(0, PAGE + 50), 1])!;
    expect(m.entry.pages).toHaveLength(2);
    expect(m.entry.pages).toContain(first[0]);
    expect(valuesOf(m.entry, 0, PAGE + 50)).toEqual(run(0, PAGE + 50));
    expect(valuesOf(m.entry, 1, PAGE + 50)).toEqual(run(1000, PAGE + 50));
  });

  it('takes no new pages after a clear for sequences within the budget', () => {
    const store = new PrefixStore(4 * 2 * 4 * PAGE, SHAPE); // four pages' positions
    const pages = new Set<Float32Array>();
    const keep = (tokens: Int32Array) => {
      add(store, tokens);
      for (const p of store.match([...tokens, 1])!.entry.pages) pages.add(p);
    };
    keep(seq(run(0, 2 * PAGE)));
    keep(seq(run(5000, 2 * PAGE)));
    expect(pages.size).toBe(4);
    store.clear();
    keep(seq(run(900, 3 * PAGE - 5)));
    keep(seq(run(7000, 20)));
    expect(pages.size).toBe(4);
    expect(valuesOf(store.match([...run(900, 3 * PAGE - 5), 1])!.entry, 1, 3 * PAGE - 5)).toEqual(
      run(1900, 3 * PAGE - 5),
    );
  });
});
