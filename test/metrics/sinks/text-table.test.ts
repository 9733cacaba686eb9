import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { colorEnabled, tableStyle, textTable } from '../../../src/metrics/sinks/text-table.js';

const tty = { write: () => true, isTTY: true };
const pipe = { write: () => true };
const ansi = /\x1b\[/;

describe('tableStyle and colorEnabled', () => {
  it('draws boxes and colours only on a terminal', () => {
    expect(tableStyle(tty, {})).toEqual({ box: true, color: true });
    expect(tableStyle(pipe, {})).toEqual({ box: false, color: false });
  });

  it('honours NO_COLOR, FORCE_COLOR and TERM=dumb', () => {
    expect(colorEnabled(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled(tty, { TERM: 'dumb' })).toBe(false);
    expect(colorEnabled(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorEnabled(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled(tty, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(false);
    expect(tableStyle(tty, { NO_COLOR: '1' })).toEqual({ box: true, color: false });
  });
});

describe('textTable', () => {
  const head = ['env', 'turns'];
  const rows = [
    ['MineSweeper-v0', '7'],
    ['Sokoban-v0', '10'],
  ];

  it('colours the box only when asked', () => {
    expect(textTable(head, rows, { box: true, color: true })).toMatch(ansi);
    const plainBox = textTable(head, rows, { box: true, color: false });
    expect(plainBox).not.toMatch(ansi);
    expect(plainBox).toContain('│ MineSweeper-v0 │ 7     │');
  });

  it('prints plain aligned columns without a box or escapes in a pipe', () => {
    expect(textTable(head, rows, { box: false, color: false })).toBe(
      'env             turns\nMineSweeper-v0  7\nSokoban-v0      10',
    );
  });

  it('keeps every cell, one line per row, no trailing spaces (property)', () => {
    const cell = fc.stringMatching(/^[a-z0-9=@ .-]{0,12}$/);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.array(cell, { minLength: 5, maxLength: 5 })),
        (n, raw) => {
          const h = Array.from({ length: n }, (_, j) => `c${j}`);
          const body = raw.map((r) => r.slice(0, n));
          const lines = textTable(h, body, { box: false, color: false }).split('\n');
          expect(lines).toHaveLength(body.length + 1);
          for (const line of lines) expect(line).toBe(line.trimEnd());
          lines.slice(1).forEach((line, i) => {
            for (const c of body[i]!) expect(line).toContain(c.trim());
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
