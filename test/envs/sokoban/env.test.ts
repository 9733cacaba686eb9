import { describe, expect, it } from 'vitest';
import { registerBuiltinEnvs } from '../../../src/envs/builtin.js';
import { checkEnvContract } from '../../../src/envs/core/contract.js';
import { getEnv, resolveParams } from '../../../src/envs/core/registry.js';
import type { HistoryRecord } from '../../../src/envs/core/types.js';
import type { Move } from '../../../src/envs/sokoban/board.js';
import { MAX_BOX_PLACEMENTS, maxGeneratedBoxes, sokoban } from '../../../src/envs/sokoban/index.js';
import { playedMoves } from '../../../src/envs/sokoban/reflection.js';
import type { SokobanState } from '../../../src/envs/sokoban/rules.js';
import { ConfigError } from '../../../src/util/errors.js';
import { allOnTargets, playMoves, stateFrom } from './helpers.js';

describe('Sokoban-v0 env definition', () => {
  it.each([
    ['default', [0, 1, 2, 3, 12345]],
    ['6x6-3', [0, 1, 2, 3, 12345]],
    ['8x8-3', [0, 7]],
    ['10x10-4', [0]],
  ])('passes the env contract with preset %s', (preset, seeds) => {
    const report = checkEnvContract(sokoban, { params: sokoban.presets[preset]!, seeds });
    expect(report.seeds).toBe(seeds.length);
    expect(report.projections).toBeGreaterThan(0);
  });

  it('is registered as a built-in with its alias and validated presets', () => {
    registerBuiltinEnvs();
    expect(getEnv('sokoban').id).toBe('Sokoban-v0');
    expect(getEnv('Sokoban-v0')).toBe(sokoban);
    expect(sokoban.maxTurns).toBe(7);
    for (const name of Object.keys(sokoban.presets))
      expect(resolveParams(sokoban, name)).toEqual(sokoban.presets[name]);
    expect(resolveParams(sokoban, 'default', { maxSteps: 50 }).maxSteps).toBe(50);
    expect(() => resolveParams(sokoban, 'default', { movesPerTurn: 4 })).toThrow(ConfigError);
    expect(() => resolveParams(sokoban, 'default', { minSolutionSteps: 30 })).toThrow(ConfigError);
    for (const section of ['Description', 'Actions', 'Observation', 'Start', 'Rewards', 'End', 'Params']) {
      expect(sokoban.doc).toContain(`${section}:`);
    }
  });

  it('expert actions solve generated levels within the turn budget', () => {
    for (const seed of [0, 1, 2, 3, 4, 5]) {
      let s = sokoban.initial(seed, sokoban.presets.default!);
      let won = false;
      for (let t = 0; t < sokoban.maxTurns && !won; t++) {
        const a = sokoban.expertAction!(s);
        expect(a).not.toBeNull();
        const r = sokoban.step(s, a!);
        s = r.state;
        won = r.won;
      }
      expect(won).toBe(true);
    }
  });
});

function history(
  initial: SokobanState,
  turns: string[][],
): { records: HistoryRecord[]; final: SokobanState } {
  let s = initial;
  const records: HistoryRecord[] = [];
  for (const t of turns) {
    const r = t.length === 0 ? sokoban.stepInvalid(s) : sokoban.step(s, t as never);
    s = r.state;
    records.push({
      action: sokoban.describeAction(t.length === 0 ? null : (t as never)),
      observation: sokoban.observe(s),
      reward: r.reward,
      done: r.done,
      won: r.won,
    });
    if (r.done) break;
  }
  return { records, final: s };
}

describe('Sokoban rule reflection', () => {
  it('names the cornered box and gives a plan that solves the level', () => {
    const initial = stateFrom(['######', '#    #', '#@$  #', '#   .#', '######']);
    const { records, final } = history(initial, [['down', 'right', 'up']]);
    const text = sokoban.ruleReflection!({ initial, current: final, attempt: 0, history: records });
    expect(text).toContain('The box at row 1, column 2');
    expect(text).toMatch(/against the wall at the top|corner/);
    expect(text).toContain('My move 1 was down, but a shortest solution goes right there.');
    const plan = /\(5 moves\): ([a-z, ]+)\./.exec(text)![1]!.split(', ') as Move[];
    expect(allOnTargets(playMoves(initial, plan))).toBe(true);
    expect(playedMoves(records.map((r) => r.action))).toEqual(['down', 'right', 'up']);
  });

  it('reports a box against a wall, running out of moves, and invalid turns', () => {
    const corner = stateFrom(['######', '#    #', '# $  #', '#@  .#', '######']);
    const pushUp = history(corner, [['right', 'up']]);
    const text = sokoban.ruleReflection!({
      initial: corner,
      current: pushUp.final,
      attempt: 0,
      history: pushUp.records,
    });
    expect(text).toContain('The box at row 1, column 2');
    const slow = history(corner, [[], ['left'], []]);
    const out = sokoban.ruleReflection!({
      initial: corner,
      current: slow.final,
      attempt: 0,
      history: slow.records,
    });
    expect(out).toContain('I ran out of moves with 0 of 1 boxes on targets.');
    expect(out).toContain('2 of my turns did nothing');
    expect(out).toContain('Next time, from the initial state play this shortest solution');
  });
});

describe('Sokoban-v0 generation bounds', () => {
  it('refuses generated rooms whose box placements the generator cannot search in reasonable time', () => {
    // accepted by the schema before: 30+ s per level, then steps ran out of memory
    expect(() => resolveParams(sokoban, 'default', { width: 16, height: 16, numBoxes: 8 })).toThrow(
      /numBoxes: a generated 16x16 level takes at most 3 boxes/,
    );
    expect(() => resolveParams(sokoban, 'default', { width: 12, height: 12, numBoxes: 4 })).toThrow(
      ConfigError,
    );
    expect(resolveParams(sokoban, 'default', { width: 16, height: 16, numBoxes: 3 }).numBoxes).toBe(3);
    expect(resolveParams(sokoban, '10x10-4').numBoxes).toBe(4);
  });

  it('bounds by C(interior cells, boxes) for every size the schema takes', () => {
    const choose = (n: number, k: number) => {
      let c = 1;
      for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
      return c;
    };
    for (let w = 4; w <= 16; w++)
      for (let h = 4; h <= 16; h++) {
        const most = maxGeneratedBoxes(w, h);
        const cells = (w - 2) * (h - 2);
        expect(most).toBeGreaterThanOrEqual(1);
        expect(most === 1 || choose(cells, most) <= MAX_BOX_PLACEMENTS).toBe(true);
        if (most + 2 < cells) expect(choose(cells, most + 1)).toBeGreaterThan(MAX_BOX_PLACEMENTS);
      }
  });

  it('does not bound a given level', () => {
    const level = ['#######', '#@$.  #', '#$.   #', '#.$   #', '#  $. #', '#######'].join('\n');
    expect(() =>
      resolveParams(sokoban, 'default', { width: 16, height: 16, numBoxes: 8, level }),
    ).not.toThrow();
  });
});
