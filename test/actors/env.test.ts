import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { envMachine } from '../../src/actors/env.js';
import { registerEnv, unregisterEnv } from '../../src/envs/core/index.js';
import { corridor } from '../fixtures/corridor-env.js';

beforeAll(() => registerEnv(corridor));
afterAll(() => unregisterEnv(corridor.id));

const input = { envId: 'Corridor-v0', params: { length: 5 }, seed: 2 };

describe('env actor', () => {
  it('steps the pure rules and reaches done on a win', () => {
    const actor = createActor(envMachine, { input }).start();
    expect(actor.getSnapshot().context.state).toEqual(corridor.initial(2, { length: 5 }));
    actor.send({ type: 'step', action: 'right' });
    actor.send({ type: 'act', text: '<action>right</action>' });
    actor.send({ type: 'act', text: '<action>right</action>' });
    const snap = actor.getSnapshot();
    expect(snap.value).toBe('done');
    expect(snap.context.won).toBe(true);
    expect(snap.context.turn).toBe(3);
    expect(snap.context.totalReward).toBeCloseTo(-0.2 + 1);
  });

  it('takes the invalid step on unparseable text and reports why', () => {
    const actor = createActor(envMachine, { input }).start();
    actor.send({ type: 'act', text: 'I think I will go right' });
    const { last, turn, state } = actor.getSnapshot().context;
    expect(last).toMatchObject({ valid: false, reward: -0.5, reason: 'missing <action> tags' });
    expect(turn).toBe(1);
    expect(state).toEqual(corridor.initial(2, { length: 5 }));
  });

  it('restarts from the identical initial state and counts attempts', () => {
    const actor = createActor(envMachine, { input }).start();
    actor.send({ type: 'step', action: 'right' });
    actor.send({ type: 'restart' });
    const c = actor.getSnapshot().context;
    expect(c.state).toEqual(c.initial);
    expect(c).toMatchObject({ attempt: 1, turn: 0, totalReward: 0, done: false });
  });

  it('has a plain-data snapshot that restores to the same continuation', () => {
    const a = createActor(envMachine, { input }).start();
    a.send({ type: 'step', action: 'right' });
    const persisted = JSON.parse(JSON.stringify(a.getPersistedSnapshot()));
    const b = createActor(envMachine, { input, snapshot: persisted }).start();
    a.send({ type: 'step', action: 'right' });
    b.send({ type: 'step', action: 'right' });
    expect(b.getSnapshot().context).toEqual(a.getSnapshot().context);
    expect(b.getSnapshot().value).toEqual(a.getSnapshot().value);
  });

  it('resets to a new seed', () => {
    const actor = createActor(envMachine, { input }).start();
    actor.send({ type: 'reset', seed: 3 });
    expect(actor.getSnapshot().context.state).toEqual(corridor.initial(3, { length: 5 }));
  });
});
