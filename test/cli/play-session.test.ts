import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlaySession } from '../../src/cli/play-session.js';
import { registerEnv, unregisterEnv } from '../../src/envs/core/index.js';
import { corridor } from '../fixtures/corridor-env.js';

beforeAll(() => registerEnv(corridor));
afterAll(() => unregisterEnv(corridor.id));

describe('PlaySession', () => {
  it('plays by typed actions, shows rewards and reports a win', () => {
    const s = new PlaySession({ envId: 'corridor', params: { length: 5 }, seed: 1 });
    expect(s.intro()).toContain('P_G__');
    expect(s.handle('right')).toContain('reward -0.10');
    expect(s.handle('<action>right</action>')).toMatch(/reward 1 .*\n.*Solved in 2 turn/);
    expect(s.context.won).toBe(true);
    expect(s.handle('right')).toMatch(/attempt is over/);
  });

  it('answers bad input with a message instead of crashing or stepping', () => {
    const s = new PlaySession({ envId: 'corridor', params: { length: 5 }, seed: 1 });
    expect(s.handle('jump')).toMatch(/Not understood/);
    expect(s.handle('')).toMatch(/Type an action/);
    expect(s.handle(':bogus')).toMatch(/Unknown command/);
    expect(s.context.turn).toBe(0);
  });

  it('restarts the same level and moves to the next seed', () => {
    const s = new PlaySession({ envId: 'corridor', params: { length: 5 }, seed: 3 });
    s.handle('right');
    expect(s.handle(':restart')).toContain('identical initial state');
    expect(s.context.turn).toBe(0);
    s.handle(':new');
    expect(s.context.seed).toBe(4);
    expect(s.handle(':actions')).toBe('left\nright');
    expect(s.handle(':quit')).toBe('Bye.');
    expect(s.finished).toBe(true);
  });
});

describe('PlaySession on the built-in envs', () => {
  it('lets a person complete a WebShop purchase, showing the instruction', async () => {
    const { registerBuiltinEnvs } = await import('../../src/envs/builtin.js');
    registerBuiltinEnvs();
    const s = new PlaySession({ envId: 'webshop', params: { catalog: 'synthetic-300' }, seed: 70_001 });
    expect(s.intro()).toMatch(/Task: .+/);
    let out = '';
    for (let turn = 0; turn < 12 && !s.context.done; turn++) {
      const action = s.env.expertAction!(s.context.state);
      out = s.handle(s.env.formatAction(action));
    }
    expect(s.context.won).toBe(true);
    expect(out).toMatch(/reward 10 .*\n.*Solved/);
  });
});
