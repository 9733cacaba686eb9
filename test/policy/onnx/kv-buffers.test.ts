import { describe, expect, it } from 'vitest';
import { moveWindows, room } from '../../../src/policy/onnx/kv-buffers.js';

/** `count` blocks of `old` floats, block k holding 100k + i at index i. */
const blocks = (count: number, old: number, extra = 0) => {
  const a = new Float32Array(count * old + extra);
  for (let k = 0; k < count; k++) for (let i = 0; i < old; i++) a[k * old + i] = 100 * k + i;
  return a;
};

/** What moveWindows must give, built element by element. */
function expected(count: number, wide: number, src: number, dst: number, length: number, pad: number) {
  const out: number[] = [];
  for (let k = 0; k < count; k++)
    for (let i = 0; i < wide; i++) out.push(i >= dst && i < dst + length ? 100 * k + src + i - dst : pad);
  return out;
}

describe('moveWindows (the in-place cache relayout)', () => {
  it.each([
    ['widen in place', 5, 6, 9, 2, 5, 4],
    ['narrow in place', 5, 9, 6, 5, 1, 4],
    ['widen, window moving left', 4, 6, 10, 3, 0, 3],
    ['same width, window moving right', 3, 8, 8, 0, 4, 4],
  ])('%s keeps every block window and pads the rest', (_name, count, old, wide, src, dst, length) => {
    const buf = blocks(count, old, Math.max(0, count * (wide - old)));
    moveWindows(buf, buf, count, old, wide, src, dst, length, -1);
    expect([...buf.subarray(0, count * wide)]).toEqual(expected(count, wide, src, dst, length, -1));
  });

  it('copies into a larger buffer when the old one has no room; room keeps a buffer that fits', () => {
    const from = blocks(3, 4);
    const to = room(from, 3 * 7);
    expect(to).not.toBe(from);
    expect(to.length).toBeGreaterThanOrEqual(21);
    moveWindows(from, to, 3, 4, 7, 1, 4, 3, 0);
    expect([...to.subarray(0, 21)]).toEqual(expected(3, 7, 1, 4, 3, 0));
    expect(room(to, 10)).toBe(to);
  });
});
