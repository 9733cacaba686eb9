import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { type KvArrays, MIN_PREFIX, PrefixStore } from '../../../src/policy/onnx/prefix-store.js';

/** One key and one value tensor of 1 head × tokens × 1 float per sequence. */
const SHAPE = { tensors: 2, kvHeads: 1, headDim: 1 };
/** Writes a sequence's keys/values: its token ids (key) and ids + 1000 (value). */
const kvOf = (tokens: Int32Array) => (into: KvArrays) =>
  into.kv.forEach((t, j) => {
    for (let i = 0; i < tokens.length; i++) t[i] = tokens[i]! + 1000 * j;
  });
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

  it("reuses a dropped entry's arrays for a later one, which holds its own keys/values", () => {
    const store = new PrefixStore(1 << 20, SHAPE);
    add(store, seq(run(0, 40)));
    const first = store.match([...run(0, 40), 1])!.entry.kv;
    add(store, seq(run(0, 70))); // extends the first: its arrays are free now
    add(store, seq(run(300, 44))); // the same stride (48), so the first's arrays
    const m = store.match([...run(300, 44), 1])!;
    expect(m.entry.kv[0]).toBe(first[0]);
    expect(m.entry.stride).toBe(48);
    expect(Array.from(m.entry.kv[1]!.subarray(0, 44))).toEqual(run(1300, 44));
    expect(Array.from(store.match([...run(0, 70), 1])!.entry.kv[0]!.subarray(0, 70))).toEqual(run(0, 70));
  });
});
