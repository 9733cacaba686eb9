import { beforeAll, describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { episodeMachine } from '../../src/actors/episode.js';
import type { RolloutEmitted } from '../../src/actors/events.js';
import { rolloutWithPolicy, runRollout, trialWithPolicy } from '../../src/actors/provide.js';
import { ROLLOUT_SYSTEM_ID } from '../../src/actors/shared.js';
import { composedTrialMachine, trialMachine } from '../../src/actors/trial.js';
import type { TrialInput } from '../../src/actors/trial-config.js';
import type { MemoryMode } from '../../src/envs/core/types.js';
import { randomPolicy } from '../../src/policy/scripted.js';
import type { GenerationRequest } from '../../src/policy/types.js';
import type { TurnSample } from '../../src/streams/types.js';
import { act, pitCorridorEnv, remark, withPitVariant } from '../fixtures/pit-corridor-env.js';
import { finished, PIT, registerPitCorridor } from './helpers.js';

beforeAll(registerPitCorridor);

async function play(machine: typeof trialMachine | typeof composedTrialMachine, input: TrialInput) {
  const turns: TurnSample[] = [];
  const actor = createActor(machine, { input });
  actor.on('turn', (e) => turns.push(e.sample));
  actor.start();
  await finished(actor);
  return { snapshot: actor.getSnapshot(), turns };
}

describe('default trial (own play/reflect states) vs composed trial (episode and reflector machines)', () => {
  const modes: MemoryMode[] = ['reflection_only', 'history_only', 'history_and_reflection', 'none'];

  it('give identical records and turn events for every memory mode', async () => {
    for (const memoryMode of modes) {
      for (const seed of [1, 2, 3, 4, 5, 6]) {
        const input: TrialInput = { envId: PIT, seed, memoryMode, attempts: 3, maxTurns: 3 };
        const own = await play(trialWithPolicy(randomPolicy()), input);
        const composed = await play(trialWithPolicy(randomPolicy(), composedTrialMachine), input);
        expect(own.snapshot.status).toBe('done');
        expect(JSON.stringify(own.snapshot.output)).toBe(JSON.stringify(composed.snapshot.output));
        expect(own.turns).toEqual(own.snapshot.output!.samples);
        expect(composed.turns).toEqual(own.turns);
      }
    }
  });

  it('give identical rollouts', async () => {
    const options = { envId: PIT, tasks: [1, 2, 3, 4].map((seed) => ({ seed })), trialsPerTask: 3 };
    const own = await runRollout({ ...options, policy: randomPolicy() });
    const composed = await runRollout({
      ...options,
      policy: randomPolicy(),
      trialMachine: composedTrialMachine,
    });
    expect(JSON.stringify(composed)).toBe(JSON.stringify(own));
  });

  it("give a rollout's events in the same order, the composed trials' turns one rollout event per batch", async () => {
    const options = { envId: PIT, tasks: [1, 2, 3, 4].map((seed) => ({ seed })), trialsPerTask: 3 };
    const events = async (trialMachine?: typeof composedTrialMachine) => {
      const emitted: RolloutEmitted[] = [];
      const received: string[] = [];
      const actor = createActor(
        rolloutWithPolicy(randomPolicy(), trialMachine ? { trial: trialMachine } : {}),
        {
          input: options,
          systemId: ROLLOUT_SYSTEM_ID,
          inspect: (e) => {
            if (e.type === '@xstate.event' && e.actorRef === actor) received.push(e.event.type);
          },
        },
      );
      actor.on('*', (e) => emitted.push(e));
      actor.start();
      await finished(actor);
      return { emitted, received };
    };
    const own = await events();
    const composed = await events(composedTrialMachine);
    expect(JSON.stringify(composed.emitted)).toBe(JSON.stringify(own.emitted));
    // the episodes' and reflectors' turns reach the rollout through its turn relay, not one event each
    const turns = composed.emitted.filter((e) => e.type === 'turn').length;
    expect(turns).toBeGreaterThan(30);
    expect(composed.received).not.toContain('turn');
    expect(composed.received.filter((t) => t === 'turns').length).toBeLessThan(turns / 2);
  });

  it('in a rollout without a system id (created by hand), their turns still reach it, through the trials', async () => {
    const input = { envId: PIT, tasks: [1, 2, 3].map((seed) => ({ seed })), trialsPerTask: 4 };
    const actor = createActor(rolloutWithPolicy(randomPolicy(), { trial: composedTrialMachine }), {
      input,
    });
    const turns: TurnSample[] = [];
    actor.on('turn', (e) => turns.push(e.sample));
    actor.start();
    await finished(actor);
    const records = actor.getSnapshot().output!;
    expect(records).toHaveLength(12);
    expect(turns).toHaveLength(records.reduce((n, r) => n + r.samples.length, 0));
  });

  it('an episode machine of your own (trialWithPolicy parts) runs the attempts', async () => {
    // an episode that stops after one turn, whatever the env says
    const oneTurn = episodeMachine.provide({
      guards: { over: ({ context }) => context.history.length >= 1 },
    });
    const machine = trialWithPolicy(randomPolicy(), trialMachine, { episode: oneTurn });
    const { snapshot } = await play(machine, { envId: PIT, seed: 4, attempts: 3, maxTurns: 5 });
    const plays = snapshot.output!.samples.filter((s) => s.phase === 'play');
    expect(plays.every((s) => s.turn === 0)).toBe(true);
    expect(plays.length).toBeGreaterThan(1);
  });
});

/**
 * The default and the composed trial over the same input, on their own and in a rollout: both end `done`
 * with the same record and turn events; returns the default trial's (on its own).
 */
async function playBoth(policy: Parameters<typeof trialWithPolicy>[0], input: TrialInput) {
  const own = await play(trialWithPolicy(policy), input);
  const composed = await play(trialWithPolicy(policy, composedTrialMachine), input);
  expect(own.snapshot.status).toBe('done');
  expect(composed.snapshot.status).toBe('done');
  expect(JSON.stringify(composed.snapshot.output)).toBe(JSON.stringify(own.snapshot.output));
  expect(composed.turns).toEqual(own.turns);
  const inRollout = async (trialMachine?: typeof composedTrialMachine) => {
    const turns: TurnSample[] = [];
    const records = await runRollout({
      envId: input.envId,
      tasks: [{ seed: input.seed }],
      trial: { attempts: input.attempts, maxTurns: input.maxTurns },
      policy,
      ...(trialMachine ? { trialMachine } : {}),
      attach: (actor) => actor.on('turn', (e) => turns.push(e.sample)),
    });
    return { records, turns };
  };
  const ownRollout = await inRollout();
  const composedRollout = await inRollout(composedTrialMachine);
  expect(JSON.stringify(composedRollout.records)).toBe(JSON.stringify(ownRollout.records));
  expect(composedRollout.turns).toEqual(ownRollout.turns);
  expect(ownRollout.turns).toEqual(ownRollout.records[0]!.samples);
  return { record: own.snapshot.output!, turns: own.turns };
}

describe('default and composed trial: an env that throws', () => {
  it('ends the trial failed (not in error), keeping the turns played before the throw', async () => {
    await withPitVariant(
      'Brittle2-v0',
      {
        step: (s, a) => {
          if ((s as { pos: number }).pos !== 0) throw new Error('boom');
          return pitCorridorEnv.step(s, a);
        },
      },
      async () => {
        const always = (text: string) => ({
          name: 'always',
          generate: async (requests: unknown[]) =>
            requests.map(() => ({ text, finishReason: 'stop' as const })),
        });
        const policy = always('<action>right</action>');
        const input = { envId: 'Brittle2-v0', seed: 4, attempts: 2 };
        // the composed trial's episode ends failed with the turn before the throw: the same record
        const { record, turns } = await playBoth(policy, input);
        expect(record.failed).toMatch(/Error: boom/);
        expect(record.samples.map((s) => `${s.phase}${s.attempt}.${s.turn}`)).toEqual(['play0.0']);
        expect(turns).toEqual(record.samples);
      },
    );
  });

  it('keeps and reports the turn whose reply was applied when the next prompt throws', async () => {
    await withPitVariant(
      'Brittle3-v0',
      {
        prompts: {
          ...pitCorridorEnv.prompts,
          faithful: {
            ...pitCorridorEnv.prompts.faithful,
            play: (ctx) => {
              if (ctx.history.length > 0) throw new Error('prompt boom');
              return pitCorridorEnv.prompts.faithful.play(ctx);
            },
          },
        },
      },
      async () => {
        const policy = {
          name: 'right',
          generate: async (requests: unknown[]) =>
            requests.map(() => ({ text: '<action>right</action>', finishReason: 'stop' as const })),
        };
        const input = { envId: 'Brittle3-v0', seed: 4, attempts: 2, maxTurns: 3 };
        const { record, turns } = await playBoth(policy, input);
        expect(record.failed).toMatch(/prompt boom/);
        expect(record.samples.map((s) => `${s.phase}${s.attempt}.${s.turn}`)).toEqual(['play0.0']);
        expect(turns).toEqual(record.samples);
      },
    );
  });

  it('ends the trial failed when a reflection reply cannot be applied, as the composed trial and a rollout do', async () => {
    // the default trial goes from a reflection's reply straight on to play (trial.ts): a reply that
    // cannot be applied must still end the trial there, failed, with the turns played before it
    await withPitVariant(
      'Brittle4-v0',
      {
        parseReflection: () => {
          throw new Error('reflection boom');
        },
      },
      async () => {
        const policy = {
          name: 'left',
          generate: async (requests: GenerationRequest[]) =>
            requests.map((r) => ({
              text: r.key.endsWith('/reflect') ? remark('x') : act('left'),
              finishReason: 'stop' as const,
            })),
        };
        // seed 4: the pit is on the left, two steps away
        const input = { envId: 'Brittle4-v0', seed: 4, attempts: 3, maxTurns: 2 };
        const own = await play(trialWithPolicy(policy), input);
        const composed = await play(trialWithPolicy(policy, composedTrialMachine), input);
        expect(own.snapshot.value).toBe('done');
        const record = own.snapshot.output!;
        expect(record.failed).toMatch(/reflection boom/);
        expect(record.samples.map((s) => `${s.phase}${s.attempt}.${s.turn}`)).toEqual(['play0.0', 'play0.1']);
        expect(own.turns).toEqual(record.samples);
        expect(JSON.stringify(composed.snapshot.output)).toBe(JSON.stringify(record));
        // and no attempt was started after the failed reflection: the context is the composed trial's
        const progress = ({ step, attempt, memory, last }: typeof own.snapshot.context) => ({
          step,
          attempt,
          memory,
          last,
        });
        expect(progress(own.snapshot.context)).toEqual(progress(composed.snapshot.context));
        expect(own.snapshot.context.step).toBe(1);
        const [served] = await runRollout({
          envId: 'Brittle4-v0',
          tasks: [{ seed: 4 }],
          trial: { attempts: 3, maxTurns: 2 },
          policy,
        });
        expect(served!.failed).toBe(record.failed);
        expect(served!.samples.map((s) => s.response)).toEqual(record.samples.map((s) => s.response));
      },
    );
  });
});
