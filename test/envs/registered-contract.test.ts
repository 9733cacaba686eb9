/**
 * The contract checker over every registered env and preset (Gymnasium's
 * `check_env` over the whole registry): a new built-in env is covered by
 * registering it, with no test to write.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_ENVS, registerBuiltinEnvs } from '../../src/envs/builtin.js';
import { checkEnvContract, listEnvs } from '../../src/envs/core/index.js';

registerBuiltinEnvs();

describe('every registered env keeps the env contract', () => {
  it('registers every built-in env', () => {
    const ids = listEnvs().map((e) => e.id);
    for (const env of BUILTIN_ENVS) expect(ids).toContain(env.id);
    expect(ids).toEqual(expect.arrayContaining(['Sokoban-v0', 'MineSweeper-v0', 'WebShop-v0']));
  });

  for (const env of listEnvs()) {
    for (const preset of Object.keys(env.presets)) {
      it(`${env.id} / ${preset}`, () => {
        // Two seeds per preset keeps the big presets (10×10 Sokoban) fast; the envs' own tests use more.
        const report = checkEnvContract(env, { params: env.presets[preset], seeds: [11, 70_000] });
        expect(report.seeds).toBe(2);
      });
    }
  }
});
