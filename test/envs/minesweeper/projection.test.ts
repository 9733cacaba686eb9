import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { wrapAction } from '../../../src/envs/core/tags.js';
import { generateBoard, minesweeper } from '../../../src/envs/minesweeper/index.js';

describe('projection: reference examples', () => {
  const act = (text: string) => minesweeper.project(text);
  it('reads the first (row, col) between the first <action> and the first </action>', () => {
    expect(act('I think <action>(2, 3)</action>')).toEqual({ kind: 'action', action: { row: 2, col: 3 } });
    expect(act('<action> ( 4 ,5 ) </action>')).toEqual({ kind: 'action', action: { row: 4, col: 5 } });
    expect(act('<action>reveal (1,6) then (2, 2)</action>')).toEqual({
      kind: 'action',
      action: { row: 1, col: 6 },
    });
    expect(act('<action>(1, 2)</action> <action>(3, 4)</action>')).toEqual({
      kind: 'action',
      action: { row: 1, col: 2 },
    });
    // First </action> closes the span: the second pair is not seen.
    expect(act('<action>none</action><action>(3, 4)</action>').kind).toBe('invalid');
    expect(act('<action>(12, 0)</action>')).toEqual({ kind: 'action', action: { row: 12, col: 0 } });
  });
  it('is invalid without both tags or without the pattern', () => {
    for (const text of [
      '(2, 3)',
      '<action>(2, 3)',
      '(2, 3)</action>',
      '<action>2, 3</action>',
      '<action>(-1, 2)</action>',
      '<action>( 2 , x)</action>',
      '',
    ]) {
      expect(act(text).kind).toBe('invalid');
    }
    // Spaces are allowed around the comma and before the closing parenthesis.
    expect(act('<action>(2,  3 )</action>')).toEqual({ kind: 'action', action: { row: 2, col: 3 } });
  });
  it('describes actions as the reference history does', () => {
    expect(minesweeper.describeAction({ row: 2, col: 3 })).toBe('(2, 3)');
    expect(minesweeper.describeAction(null)).toBe('no operation');
    expect(minesweeper.formatAction({ row: 6, col: 1 })).toBe('(6, 1)');
  });
  it('parses reflections between the LAST <remark> and the LAST </remark>', () => {
    expect(minesweeper.parseReflection('<remark>a</remark> then <remark> b </remark>')).toEqual({
      kind: 'reflection',
      text: 'b',
    });
    expect(minesweeper.parseReflection('<remark>x</remark>y</remark>')).toEqual({
      kind: 'reflection',
      text: 'x</remark>y',
    });
    expect(minesweeper.parseReflection(`<remark>${'z'.repeat(3000)}</remark>`)).toEqual({
      kind: 'reflection',
      text: 'z'.repeat(2000),
    });
    expect(minesweeper.parseReflection('no tags').kind).toBe('invalid');
  });
});

describe('projection: properties', () => {
  const pieces = fc.constantFrom(
    '<action>',
    '</action>',
    '(',
    ')',
    ',',
    ' ',
    '1',
    '23',
    '-',
    'x',
    '<remark>',
    '</remark>',
    '\n',
  );
  const hostile = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.array(pieces, { maxLength: 40 }).map((p) => p.join('')),
  );
  test.prop([hostile], { numRuns: 200 })('any text gives an action or invalid, never a throw', (text) => {
    const p = minesweeper.project(text);
    expect(['action', 'invalid']).toContain(p.kind);
    if (p.kind === 'action') {
      expect(Number.isSafeInteger(p.action.row) && p.action.row >= 0).toBe(true);
      expect(Number.isSafeInteger(p.action.col) && p.action.col >= 0).toBe(true);
      expect(minesweeper.describeAction(p.action)).toMatch(/^\(\d+, \d+\)$/);
    }
    expect(['reflection', 'invalid']).toContain(minesweeper.parseReflection(text).kind);
  });

  test.prop([fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom('default', '6x6-5', '8x8-8')], {
    numRuns: 200,
  })('every admissible action string parses back to itself and names an unopened cell', (seed, preset) => {
    const s = generateBoard(seed, minesweeper.presets[preset]!);
    const adm = minesweeper.admissible(s);
    expect(adm.length).toBe([...s.board].filter((c) => c === '?').length);
    for (const a of adm) {
      const p = minesweeper.project(wrapAction(a));
      expect(p.kind).toBe('action');
      if (p.kind !== 'action') continue;
      expect(minesweeper.formatAction(p.action)).toBe(a);
      expect(s.board[(p.action.row - 1) * s.cols + p.action.col - 1]).toBe('?');
    }
  });
});
