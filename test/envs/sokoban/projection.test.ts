import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sokoban } from '../../../src/envs/sokoban/index.js';
import {
  describeSokobanAction,
  formatSokobanAction,
  parseSokobanReflection,
  projectAction,
} from '../../../src/envs/sokoban/projection.js';

const move = fc.constantFrom('up', 'down', 'left', 'right');

describe('sokoban projection', () => {
  it.each([
    ['<think>box left of target</think><action>Up, LEFT, down</action>', ['up', 'left', 'down']],
    ['<action>move upward, go down, left, right</action>', ['up', 'down', 'left']],
    // First <action> to LAST </action>: the middle tags become part of one piece.
    ['<action>up</action> then <action>right</action>', ['up']],
    ['<action>left</action> then <action>right, down</action>', ['left', 'down']],
    // Each piece maps to the first keyword in the order up, down, left, right, still.
    ['<action>download, rightleft, stillup</action>', ['down', 'left', 'up']],
    ['<action>still</action>', ['still']],
    ['<action> right ,, jump, up </action>', ['right', 'up']],
  ])('%s → %j', (text, expected) => {
    expect(projectAction(text)).toEqual({ kind: 'action', action: expected });
  });

  it.each([
    'up, left',
    '<action>jump, wait</action>',
    '<action></action>',
    '</action>up<action>',
    '<action>up',
    '',
  ])('%j is invalid', (text) => {
    expect(projectAction(text).kind).toBe('invalid');
  });

  it('never throws and always yields 1..3 known moves or invalid', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'grapheme' }),
          fc
            .tuple(fc.string(), fc.array(fc.oneof(move, fc.string()), { maxLength: 6 }), fc.string())
            .map(([a, ms, b]) => `${a}<action>${ms.join(',')}</action>${b}`),
        ),
        (text) => {
          const p = sokoban.project(text);
          if (p.kind === 'action') {
            expect(p.action.length).toBeGreaterThanOrEqual(1);
            expect(p.action.length).toBeLessThanOrEqual(3);
            for (const m of p.action) expect(['up', 'down', 'left', 'right', 'still']).toContain(m);
          } else {
            expect(p.kind).toBe('invalid');
          }
          const r = sokoban.parseReflection(text);
          expect(['reflection', 'invalid']).toContain(r.kind);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('parses every action in the reference format back to itself', () => {
    fc.assert(
      fc.property(fc.array(move, { minLength: 1, maxLength: 3 }), (moves) => {
        const text = `<action>${formatSokobanAction(moves)}</action>`;
        expect(projectAction(text)).toEqual({ kind: 'action', action: moves });
      }),
      { numRuns: 200 },
    );
    for (const a of sokoban.admissible(sokoban.initial(1, sokoban.presets.default!))) {
      const p = projectAction(`<action>${a}</action>`);
      expect(p.kind === 'action' && formatSokobanAction(p.action)).toBe(a);
    }
  });

  it('describes actions as a Python list repr', () => {
    expect(describeSokobanAction(['up', 'left', 'down'])).toBe("['up', 'left', 'down']");
    expect(describeSokobanAction(null)).toBe("['still']");
    expect(formatSokobanAction(['up', 'left', 'down'])).toBe('up, left, down');
    expect(sokoban.admissible(sokoban.initial(1, sokoban.presets.default!))).toEqual([
      'up',
      'down',
      'left',
      'right',
    ]);
  });

  it('parses reflections from the FIRST <remark> to the FIRST </remark>, stripped and capped', () => {
    expect(parseSokobanReflection('x <remark> a </remark> b </remark>')).toEqual({
      kind: 'reflection',
      text: 'a',
    });
    expect(parseSokobanReflection('<remark>one</remark><remark>two</remark>')).toEqual({
      kind: 'reflection',
      text: 'one',
    });
    expect(parseSokobanReflection('no tags').kind).toBe('invalid');
    const long = parseSokobanReflection(`<remark>${'a'.repeat(3000)}</remark>`);
    expect(long.kind === 'reflection' && long.text.length).toBe(2000);
  });
});
