import { describe, expect, it } from 'vitest';
import { registerBuiltinEnvs } from '../../../src/envs/builtin.js';
import { checkEnvContract } from '../../../src/envs/core/contract.js';
import { getEnv, parseParams, resolveParams } from '../../../src/envs/core/registry.js';
import {
  boardFromLayout,
  formatLayout,
  layoutOf,
  layoutProblems,
  minesweeper,
  parseLayout,
  renderCompactBoard,
  renderState,
} from '../../../src/envs/minesweeper/index.js';
import { ConfigError, ParseError } from '../../../src/util/errors.js';

describe('MineSweeper-v0 definition', () => {
  it('passes the env contract for every preset', () => {
    for (const [name, params] of Object.entries(minesweeper.presets)) {
      const report = checkEnvContract(minesweeper, { params, seeds: [0, 1, 2, 3, 12345, 65536 + 7] });
      expect(report.env, name).toBe('MineSweeper-v0');
      expect(report.projections).toBeGreaterThan(100);
    }
  });

  it('is registered as a built-in env under its id and aliases', () => {
    registerBuiltinEnvs();
    for (const key of ['MineSweeper-v0', 'minesweeper', 'mines', 'MINESWEEPER'])
      expect(getEnv(key).id).toBe('MineSweeper-v0');
  });

  it('has the reference settings and a complete doc block', () => {
    expect(minesweeper.maxTurns).toBe(7);
    expect(minesweeper.presets).toEqual({
      default: { rows: 6, cols: 6, mines: 3 },
      '6x6-4': { rows: 6, cols: 6, mines: 4 },
      '6x6-5': { rows: 6, cols: 6, mines: 5 },
      '8x8-8': { rows: 8, cols: 8, mines: 8 },
    });
    for (const section of [
      'Description:',
      'Actions:',
      'Observation:',
      'Start:',
      'Rewards:',
      'End:',
      'Params:',
    ]) {
      expect(minesweeper.doc).toContain(section);
    }
    const s = minesweeper.initial(3, minesweeper.presets['default']!);
    expect(minesweeper.anchor(s)).toBe(minesweeper.observe(s));
    expect(minesweeper.observe(s).split('\n')).toHaveLength(6);
  });

  it('validates params, naming the field and the fix', () => {
    expect(() => resolveParams(minesweeper, 'default', { mines: 35 })).toThrow(
      /mines: a 6x6 board takes at most 34 mines/,
    );
    expect(() => resolveParams(minesweeper, 'default', { rows: 1 })).toThrow(ConfigError);
    expect(() => resolveParams(minesweeper, 'default', { mines: 2.5 })).toThrow(/mines/);
    expect(resolveParams(minesweeper, '8x8-8', { mines: 10 })).toEqual({ rows: 8, cols: 8, mines: 10 });
  });

  it('seeds decide everything; different seeds give different boards', () => {
    const p = minesweeper.presets['default']!;
    expect(minesweeper.initial(77, p)).toEqual(minesweeper.initial(77, p));
    const boards = new Set(
      Array.from({ length: 20 }, (_, seed) => JSON.stringify(minesweeper.initial(seed, p).mines)),
    );
    expect(boards.size).toBeGreaterThan(15);
  });
});

describe('layouts', () => {
  const text = '. . * .\n. @ . .\n* . . .';

  it('parse, format and replay a board; the layout params override the seed', () => {
    const layout = parseLayout(text);
    expect(layout).toEqual({
      rows: 3,
      cols: 4,
      mines: [
        [1, 3],
        [3, 1],
      ],
      firstClick: [2, 2],
    });
    expect(formatLayout(layout)).toBe(text);
    const s = boardFromLayout(layout);
    expect(renderState(s)).toBe('Row 1: ? ? ? ?\nRow 2: ? 2 ? ?\nRow 3: ? ? ? ?');
    expect(renderCompactBoard(s)).toBe(
      'Row 1:(1, 1)(1, 2)(1, 3)(1, 4)\nRow 2:(2, 1) 2(2, 3)(2, 4)\nRow 3:(3, 1)(3, 2)(3, 3)(3, 4)',
    );
    expect(layoutOf(s)).toEqual(layout);
    const params = resolveParams(minesweeper, 'default', { layout });
    expect(minesweeper.initial(1, params)).toEqual(s);
    expect(minesweeper.initial(999, params)).toEqual(s);
    // A generated board saved as a layout replays identically.
    const g = minesweeper.initial(5, minesweeper.presets['default']!);
    expect(boardFromLayout(layoutOf(g))).toEqual(g);
  });

  it('reject unplayable layouts with a message saying what to fix', () => {
    const base = {
      rows: 3,
      cols: 3,
      mines: [[1, 1]] as [number, number][],
      firstClick: [3, 3] as [number, number],
    };
    expect(layoutProblems({ ...base, mines: [[1, 1]], firstClick: [2, 2] })).toEqual([]);
    expect(layoutProblems({ ...base, firstClick: [1, 1] })).toEqual([
      'first click (1, 1) is a mine; move the click or the mine',
    ]);
    expect(layoutProblems({ ...base, mines: [[4, 1]], firstClick: [2, 2] })[0]).toMatch(
      /mine \(4, 1\) is off the 3x3 board/,
    );
    expect(
      layoutProblems({
        ...base,
        mines: [
          [1, 1],
          [1, 1],
        ],
        firstClick: [2, 2],
      })[0],
    ).toMatch(/listed twice/);
    expect(layoutProblems({ ...base, firstClick: [0, 2] })[0]).toMatch(/first click \(0, 2\) is off/);
    const crowded = [1, 2, 3]
      .flatMap((r) => [1, 2, 3].map((c) => [r, c] as [number, number]))
      .filter(([r, c]) => r + c < 6);
    expect(layoutProblems({ ...base, mines: crowded.slice(0, 8), firstClick: [3, 3] }).join(' ')).toMatch(
      /at most 7/,
    );
    expect(layoutProblems(base)[0]).toMatch(/already reveals every safe cell/);
    expect(() => boardFromLayout({ ...base, firstClick: [1, 1] })).toThrow(ConfigError);
    expect(() =>
      parseParams(minesweeper, { rows: 6, cols: 6, mines: 3, layout: { ...base, firstClick: [1, 1] } }),
    ).toThrow(/layout: first click \(1, 1\) is a mine/);
    expect(() => parseLayout('. * x')).toThrow(ParseError);
    expect(() => parseLayout('. * .\n. .')).toThrow(/row 2 has 2 cells/);
    expect(() => parseLayout('. * .\n. . .')).toThrow(/exactly one first click/);
  });
});
