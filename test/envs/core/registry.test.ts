import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { knownParams, parseParams, resolveParams } from '../../../src/envs/core/registry.js';
import type { EnvDefinition } from '../../../src/envs/core/types.js';
import { minesweeper } from '../../../src/envs/minesweeper/index.js';
import { sokoban } from '../../../src/envs/sokoban/index.js';
import { webshop } from '../../../src/envs/webshop/index.js';
import { ConfigError } from '../../../src/util/errors.js';
import { corridor } from '../../fixtures/corridor-env.js';

describe('env params', () => {
  it('rejects a param the env does not declare, listing the ones it has', () => {
    // zod drops unknown keys: before this check `mine=30` played the default 3 mines
    expect(() => resolveParams(minesweeper, 'default', { mine: 30 })).toThrow(ConfigError);
    expect(() => resolveParams(minesweeper, 'default', { mine: 30 })).toThrow(
      'unknown param "mine" for MineSweeper-v0; its params: rows, cols, mines, layout',
    );
    expect(() => parseParams(corridor, { length: 5, lenght: 6, goal: 2 })).toThrow(
      /unknown params "lenght", "goal" for Corridor-v0; its params: length/,
    );
  });

  it('knows the params of every built-in env, and accepts every preset', () => {
    for (const env of [minesweeper, sokoban, webshop, corridor] as EnvDefinition<
      unknown,
      unknown,
      unknown
    >[]) {
      const known = knownParams(env);
      expect(known).not.toBeNull();
      for (const preset of Object.keys(env.presets)) {
        for (const key of Object.keys(env.presets[preset] as object)) expect(known).toContain(key);
        expect(() => resolveParams(env, preset)).not.toThrow();
      }
    }
  });

  it('leaves envs whose schema is not an object alone', () => {
    const custom = { ...corridor, paramsSchema: z.any() } as unknown as EnvDefinition<
      unknown,
      unknown,
      unknown
    >;
    expect(knownParams(custom)).toBeNull();
    expect(parseParams(custom, { anything: 1 })).toEqual({ anything: 1 });
  });
});
