import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateLevel } from '../../../src/envs/sokoban/generator.js';
import { sokoban } from '../../../src/envs/sokoban/index.js';
import { renderGrid } from '../../../src/envs/sokoban/render.js';
import { solve } from '../../../src/envs/sokoban/solver.js';
import { allOnTargets, playMoves } from './helpers.js';

const base = { searchDepth: 100, minSolutionSteps: 5, maxSolutionSteps: 21 };

function checkLevel(seed: number, width: number, height: number, numBoxes: number): void {
  const level = generateLevel(seed, { width, height, numBoxes, ...base });
  expect(level.layout.length).toBe(width * height);
  expect(level.boxes.length).toBe(numBoxes);
  expect([...level.layout].filter((c) => c === 'O').length).toBe(numBoxes);
  // Walls all around, as the reference's topology sets them.
  for (let c = 0; c < width * height; c++) {
    const r = Math.floor(c / width);
    const col = c % width;
    if (r === 0 || r === height - 1 || col === 0 || col === width - 1) expect(level.layout[c]).toBe('#');
  }
  // Reverse play leaves every target empty of boxes.
  for (const b of level.boxes) expect(level.layout[b]).toBe('_');
  expect(level.boxes).not.toContain(level.player);
  // An accepted level's shortest solution is within the bounds and solves it.
  if (level.solutionLength !== null && level.solutionLength >= 5) {
    const plan = solve(level, 100)!;
    expect(plan.length).toBe(level.solutionLength);
    expect(plan.length).toBeLessThanOrEqual(21);
    expect(allOnTargets(playMoves(level, plan))).toBe(true);
  } else {
    // Only the 10th try may be kept out of bounds.
    expect(level.tries).toBe(10);
  }
}

describe('sokoban generator', () => {
  it('6x6 levels with 2 boxes: walled, boxes off targets, solution length within 5..21', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 2 }), (seed) => checkLevel(seed, 6, 6, 2)),
      { numRuns: 200 },
    );
  });

  it('6x6 levels with 3 boxes and 8x8 levels with 3 boxes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65534 }), fc.boolean(), (seed, big) =>
        big ? checkLevel(seed, 8, 8, 3) : checkLevel(seed, 6, 6, 3),
      ),
      { numRuns: 200 },
    );
  });

  it('10x10 levels with 4 boxes (a few seeds: generation is the slow part)', () => {
    for (const seed of [0, 5]) checkLevel(seed, 10, 10, 4);
  });

  it('is deterministic per seed and differs across seeds', () => {
    const p = { width: 6, height: 6, numBoxes: 2, ...base };
    expect(generateLevel(77, p)).toEqual(generateLevel(77, p));
    const grids = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((s) => renderGrid(generateLevel(s, p))));
    expect(grids.size).toBeGreaterThan(4);
  });

  it('stores the shortest solution length as the initial state bound', () => {
    const s = sokoban.initial(9, sokoban.presets.default!);
    expect(s.bound).toBe(solve(s, 100)!.length);
    expect(s.steps).toBe(0);
  });
});
