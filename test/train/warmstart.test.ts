import { describe, expect, it } from 'vitest';
import { loadTrainConfig } from '../../src/train/config.js';
import { promptFingerprint, warmStartDir, warmStartProtocol } from '../../src/train/warmstart.js';

describe('warm-start folder', () => {
  const config = (overrides = {}) => loadTrainConfig({ preset: 'quick', overrides });

  it('is the same for settings the warm start does not depend on (algo, RL steps, PPO)', () => {
    const base = warmStartDir(config());
    expect(warmStartDir(config({ algo: 'gigpo', steps: 3, ppo: { lr: 0.01 } }))).toBe(base);
  });

  it('changes with the model, the warm-start settings, the env preset, the prompt style and the prompts', () => {
    const base = warmStartDir(config());
    const others = [
      config({ model: { dModel: 32 } }),
      config({ warmStart: { steps: 7 } }),
      config({ warmStart: { lossAgg: 'token-mean' } }),
      config({ envPreset: '6x6-4' }),
      config({ style: 'faithful' }),
      config({ env: 'sokoban' }),
    ].map(warmStartDir);
    for (const dir of others) expect(dir).not.toBe(base);
    // the prompts themselves are part of the key: a prompt set that renders differently is another model
    expect(promptFingerprint(config({ style: 'faithful' }))).not.toBe(promptFingerprint(config()));
    expect(promptFingerprint(config())).toBe(promptFingerprint(config()));
  });

  it('is the folder given in the config when there is one', () => {
    expect(warmStartDir(config({ warmStart: { dir: 'models/mine' } }))).toBe('models/mine');
  });

  it('single-attempt: one memory-less attempt, one folder for every memory mode and attempt count', () => {
    const single = (o = {}) => config({ warmStart: { mode: 'single-attempt' }, ...o });
    expect(warmStartProtocol(single())).toEqual({ attempts: 1, memoryMode: 'none' });
    expect(warmStartProtocol(config({ memoryMode: 'history_only' }))).toEqual({
      attempts: 3,
      memoryMode: 'history_only',
    });
    const dir = warmStartDir(single());
    expect(dir).not.toBe(warmStartDir(config()));
    expect(warmStartDir(single({ memoryMode: 'history_only' }))).toBe(dir);
    expect(warmStartDir(single({ attempts: 2, attemptBudget: 12 }))).toBe(dir);
    // the lessons warm start depends on the memory mode its prompts show
    expect(warmStartDir(config({ memoryMode: 'history_only' }))).not.toBe(warmStartDir(config()));
    // an explicit 'lessons' is the default's folder
    expect(warmStartDir(config({ warmStart: { mode: 'lessons' } }))).toBe(warmStartDir(config()));
  });
});
