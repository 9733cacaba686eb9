import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { prefillGroups } from '../../../src/policy/onnx/prefill-groups.js';

describe('prefillGroups', () => {
  it('groups rows shortest first, each as wide as its longest prompt', () => {
    expect(prefillGroups([5, 1, 9, 2, 5], () => 100, 2)).toEqual([
      { rows: [1, 3], width: 2 },
      { rows: [0, 4], width: 5 },
      { rows: [2], width: 9 },
    ]);
  });

  it("cuts where a run's fixed work costs less than the padding it saves, not only at the size limit", () => {
    // four short prompts and two long ones: one run would pad the short rows to 300 columns
    expect(prefillGroups([10, 300, 10, 10, 300, 10], () => 100, 16)).toEqual([
      { rows: [0, 2, 3, 5], width: 10 },
      { rows: [1, 4], width: 300 },
    ]);
    // nearly equal lengths stay one run: a second run costs more than the little padding
    expect(prefillGroups([100, 104, 98, 101], () => 100, 16)).toEqual([{ rows: [2, 0, 3, 1], width: 104 }]);
  });

  test.prop([
    fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 80 }),
    fc.integer({ min: 1, max: 20 }),
    fc.integer({ min: 1, max: 4000 }),
  ])(
    'covers every row once, within the group size and the memory budget at its width',
    (lengths, size, budget) => {
      const maxRows = (w: number) => Math.floor(budget / w);
      const groups = prefillGroups(lengths, maxRows, size);
      expect(groups.flatMap((g) => g.rows).sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
      for (const g of groups) {
        expect(g.width).toBe(Math.max(...g.rows.map((r) => lengths[r]!)));
        expect(g.rows.length).toBeLessThanOrEqual(Math.max(1, Math.min(size, maxRows(g.width))));
      }
    },
  );
});
