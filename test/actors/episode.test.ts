import { beforeAll, describe, expect, it } from 'vitest';
import { type AnyActorRef, type AnyMachineSnapshot, createActor, SimulatedClock } from 'xstate';
import { episodeMachine } from '../../src/actors/episode.js';
import { episodeWithPolicy, reflectorWithPolicy } from '../../src/actors/provide.js';
import { registerBuiltinEnvs } from '../../src/envs/builtin.js';
import { expertPolicy, scriptedTextPolicy } from '../../src/policy/scripted.js';
import type { TurnSample } from '../../src/streams/types.js';
import { act, pitCorridorEnv, withPitVariant } from '../fixtures/pit-corridor-env.js';
import { finished, PIT, registerPitCorridor, settle } from './helpers.js';

beforeAll(() => {
  registerPitCorridor();
  registerBuiltinEnvs();
});

describe('episode machine', () => {
  it('plays one attempt to the end, emitting each turn', async () => {
    const turns: TurnSample[] = [];
    const actor = createActor(episodeWithPolicy(expertPolicy()), {
      input: { envId: 'MineSweeper-v0', seed: 11 },
    });
    actor.on('turn', (e) => turns.push(e.sample));
    actor.start();
    await finished(actor);
    const out = actor.getSnapshot().output!;
    expect(out.samples).toEqual(turns);
    expect(out.history).toHaveLength(out.samples.length);
    expect(out.done || out.samples.length === 7).toBe(true);
    expect(out.samples.map((s) => s.turn)).toEqual(out.samples.map((_, i) => i));
    expect(out.reward).toBeCloseTo(out.samples.reduce((a, s) => a + s.reward, 0));
    // the anchor is the observation the turn was taken from
    expect(out.samples.slice(1).map((s) => s.anchor)).toEqual(
      out.history.slice(0, -1).map((h) => h.observation),
    );
  });

  it('ends at the turn budget and counts invalid replies', async () => {
    const actor = createActor(episodeWithPolicy(scriptedTextPolicy(['??', act('right'), 'nope'])), {
      input: { envId: PIT, seed: 1, maxTurns: 3 },
    }).start();
    await finished(actor);
    const out = actor.getSnapshot().output!;
    expect(out.samples.map((s) => s.valid)).toEqual([false, true, false]);
    expect(out.invalid).toBe(2);
    expect(out.done).toBe(false);
    expect(out.final).toMatchObject({ pos: 1 });
  });

  it('applies each reply and asks the next turn in one step, staying in asking until the attempt is over', async () => {
    const steps: string[] = [];
    const machine = episodeWithPolicy(scriptedTextPolicy(['??', act('left'), 'nope']));
    const actor = createActor(machine, {
      input: { envId: PIT, seed: 1, maxTurns: 3 },
      inspect: (e) => {
        // the episode's own steps (not its policy child's)
        if (e.type !== '@xstate.microstep' || e.event.type !== 'reply') return;
        if ((e.actorRef as AnyActorRef).src === machine)
          steps.push(String((e.snapshot as AnyMachineSnapshot).value));
      },
    });
    actor.start();
    await finished(actor);
    expect(actor.getSnapshot().output!.samples).toHaveLength(3);
    // one microstep a reply (no transient state between turns); the last one leaves for `done`
    expect(steps).toEqual(['asking', 'asking', 'asking', 'done']);
  });

  it('ends failed (as output, not a throw) when the env throws, keeping and reporting the turns before it', async () => {
    await withPitVariant(
      'BrittleEpisode-v0',
      {
        step: (s, a) => {
          if ((s as { pos: number }).pos !== 0) throw new Error('step boom');
          return pitCorridorEnv.step(s, a);
        },
      },
      async () => {
        const turns: TurnSample[] = [];
        const actor = createActor(episodeWithPolicy(scriptedTextPolicy([act('right'), act('right')])), {
          input: { envId: 'BrittleEpisode-v0', seed: 1, maxTurns: 5 },
        });
        actor.on('turn', (e) => turns.push(e.sample));
        actor.start();
        await finished(actor);
        const snap = actor.getSnapshot();
        expect(snap.status).toBe('done');
        expect(snap.value).toBe('failed');
        const out = snap.output!;
        expect(out.failed).toMatch(/step boom/);
        // the first turn stands (played from pos 0); the second reply could not be applied
        expect(out.samples.map((s) => s.turn)).toEqual([0]);
        expect(out.history).toHaveLength(1);
        expect(turns).toEqual(out.samples);
      },
    );
  });

  it('with a turn budget of 0 finishes without asking the policy', async () => {
    const actor = createActor(episodeMachine, { input: { envId: PIT, seed: 1, maxTurns: 0 } }).start();
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().output!.samples).toEqual([]);
  });

  it('without a policy, fails (as output, not a throw) and says how to provide one', async () => {
    const clock = new SimulatedClock();
    const actor = createActor(episodeMachine, {
      input: { envId: PIT, seed: 1, retry: { retries: 1, backoffMs: 5 } },
      clock,
    }).start();
    await settle();
    clock.increment(5);
    await finished(actor);
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().output!.failed).toMatch(/wire one in with episodeWithPolicy/);
  });
});

/** A reflection on a lost attempt of the pit corridor (the reflector tests' input). */
const REFLECT_INPUT = {
  envId: PIT,
  seed: 1,
  initial: { pos: 0, goal: 2, done: false, won: false },
  final: { pos: -2, goal: 2, done: true, won: false },
  attempt: 0,
  history: [],
};

describe('reflector machine', () => {
  it('parses <remark> (capped at 2000 characters) and emits the reflect turn', async () => {
    const turns: TurnSample[] = [];
    const input = REFLECT_INPUT;
    const actor = createActor(
      reflectorWithPolicy(scriptedTextPolicy([`<remark> ${'y'.repeat(2100)} </remark>`])),
      {
        input,
      },
    );
    actor.on('turn', (e) => turns.push(e.sample));
    actor.start();
    await finished(actor);
    const out = actor.getSnapshot().output!;
    expect(out.valid).toBe(true);
    expect(out.reflection).toBe('y'.repeat(2000));
    expect(turns).toEqual([out.sample]);
    expect(out.sample).toMatchObject({
      phase: 'reflect',
      anchor: 'reflection',
      reward: 0,
      attempt: 0,
      turn: 0,
    });
  });
});

describe('asking a policy that fails (the shared asking/backoff states of episode and reflector)', () => {
  const reflectInput = { ...REFLECT_INPUT, retry: { retries: 2, backoffMs: 10 } };
  /** A policy whose first `failures` calls throw, then `reply`. */
  const flaky = (failures: number, reply: string) =>
    scriptedTextPolicy((_req, i) => {
      if (i < failures) throw new Error(`server down (call ${i + 1})`);
      return reply;
    });
  /** Runs the clock through the backoffs: 10 ms, then 20 ms. */
  async function throughBackoffs(clock: SimulatedClock): Promise<void> {
    for (const ms of [10, 20]) {
      await settle();
      clock.increment(ms);
    }
  }

  it('tries again after the backoff and goes on when a try succeeds', async () => {
    const clock = new SimulatedClock();
    const episode = createActor(episodeWithPolicy(flaky(2, act('right'))), {
      input: { envId: PIT, seed: 1, maxTurns: 1, retry: { retries: 2, backoffMs: 10 } },
      clock,
    }).start();
    const reflector = createActor(reflectorWithPolicy(flaky(2, '<remark> go right </remark>')), {
      input: reflectInput,
      clock,
    }).start();
    await settle();
    clock.increment(9); // not yet: the first backoff is 10 ms
    await settle();
    expect(episode.getSnapshot().value).toBe('backoff');
    clock.increment(1);
    await throughBackoffs(clock);
    await Promise.all([finished(episode), finished(reflector)]);
    expect(episode.getSnapshot().output).toMatchObject({ failed: null, final: { pos: 1 } });
    expect(reflector.getSnapshot().output).toMatchObject({
      failed: null,
      reflection: 'go right',
      valid: true,
    });
  });

  it('after the last retry, ends failed (as output, not a throw) with the last error', async () => {
    const clock = new SimulatedClock();
    const episode = createActor(episodeWithPolicy(flaky(3, act('right'))), {
      input: { envId: PIT, seed: 1, retry: { retries: 2, backoffMs: 10 } },
      clock,
    }).start();
    const reflector = createActor(reflectorWithPolicy(flaky(3, '<remark> x </remark>')), {
      input: reflectInput,
      clock,
    }).start();
    await throughBackoffs(clock);
    await Promise.all([finished(episode), finished(reflector)]);
    for (const actor of [episode, reflector]) {
      expect(actor.getSnapshot().status).toBe('done');
      expect(actor.getSnapshot().output!.failed).toMatch(/server down \(call 3\)/);
    }
    expect(episode.getSnapshot().output!.samples).toEqual([]);
    expect(reflector.getSnapshot().output!.sample).toBeNull();
  });
});
