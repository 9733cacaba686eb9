import { afterEach, describe, expect, it } from 'vitest';
import {
  checkEnvContract,
  getEnv,
  registerEnv,
  resolveParams,
  unregisterEnv,
} from '../../../src/envs/core/index.js';
import type { EnvDefinition } from '../../../src/envs/core/types.js';
import { ConfigError, ContractViolationError, UnknownIdError } from '../../../src/util/errors.js';
import {
  type CorridorAction,
  type CorridorParams,
  type CorridorState,
  corridor,
} from '../../fixtures/corridor-env.js';

type Corridor = EnvDefinition<CorridorState, CorridorAction, CorridorParams>;

describe('checkEnvContract', () => {
  it('passes a conforming env', () => {
    const report = checkEnvContract(corridor);
    expect(report.seeds).toBe(5);
    expect(report.projections).toBeGreaterThan(50);
  });

  it('catches a step that mutates its input', () => {
    const bad: Corridor = {
      ...corridor,
      step(s, a) {
        s.steps += 1; // mutation: a restart would no longer equal the initial state
        return corridor.step(s, a);
      },
    };
    expect(() => checkEnvContract(bad)).toThrow(ContractViolationError);
    expect(() => checkEnvContract(bad)).toThrow(/mutated/);
  });

  it('catches a projection that throws', () => {
    const bad: Corridor = {
      ...corridor,
      project(text) {
        if (text.length > 1000) throw new Error('too long');
        return corridor.project(text);
      },
    };
    expect(() => checkEnvContract(bad)).toThrow(/project threw/);
  });

  it('catches nondeterministic initial states', () => {
    let calls = 0;
    const bad: Corridor = {
      ...corridor,
      initial: (seed, p) => ({ ...corridor.initial(seed, p), steps: calls++ }),
    };
    expect(() => checkEnvContract(bad)).toThrow(/not deterministic/);
  });

  it('catches state that does not survive JSON', () => {
    const bad: Corridor = {
      ...corridor,
      initial: (seed, p) => ({ ...corridor.initial(seed, p), pos: Number.NaN }) as CorridorState,
    };
    expect(() => checkEnvContract(bad)).toThrow(/JSON round trip/);
  });

  it('catches won without done and admissible actions that do not round-trip', () => {
    const wonNotDone: Corridor = {
      ...corridor,
      step: (s, a) => ({ ...corridor.step(s, a), won: true, done: false }),
    };
    expect(() => checkEnvContract(wonNotDone)).toThrow(/won without done/);
    const badFormat: Corridor = { ...corridor, formatAction: (a) => a.toUpperCase() };
    expect(() => checkEnvContract(badFormat)).toThrow(/projects to/);
  });
});

describe('registry', () => {
  afterEach(() => {
    unregisterEnv('Corridor-v0');
    unregisterEnv('Corridor-v1');
  });

  it('resolves ids and aliases to the highest version', () => {
    registerEnv(corridor);
    registerEnv({ ...corridor, id: 'Corridor-v1' });
    expect(getEnv('Corridor-v0').id).toBe('Corridor-v0');
    expect(getEnv('corridor').id).toBe('Corridor-v1');
    expect(getEnv('CORRIDOR').id).toBe('Corridor-v1');
  });

  it('rejects bad ids, duplicates and unknown names with a list of envs', () => {
    registerEnv(corridor);
    expect(() => registerEnv(corridor)).toThrow(/already registered/);
    expect(() => registerEnv({ ...corridor, id: 'corridor' })).toThrow(/Name-v0/);
    expect(() => getEnv('nope')).toThrow(UnknownIdError);
    expect(() => getEnv('nope')).toThrow(/Corridor-v0/);
  });

  it('validates params and names the bad field', () => {
    registerEnv(corridor);
    expect(resolveParams(corridor, 'long')).toEqual({ length: 12 });
    expect(resolveParams(corridor, undefined, { length: 3 })).toEqual({ length: 3 });
    expect(() => resolveParams(corridor, undefined, { length: 1 })).toThrow(ConfigError);
    expect(() => resolveParams(corridor, undefined, { length: 1 })).toThrow(/length/);
    expect(() => resolveParams(corridor, 'huge')).toThrow(/Presets: default, long/);
  });
});
