import { beforeAll, describe, expect, it } from 'vitest';
import type { AnyActorRef, AnyStateMachine } from 'xstate';
import { PolicyClient } from '../../src/actors/client.js';
import type { PolicyReply } from '../../src/actors/policy-actor.js';
import { createRolloutActor, runRollout, trialWithPolicy } from '../../src/actors/provide.js';
import { ServedPolicy } from '../../src/actors/served.js';
import { randomPolicy, scriptedTextPolicy } from '../../src/policy/scripted.js';
import type { GenerationRequest } from '../../src/policy/types.js';
import { ManualPolicy, PIT, registerPitCorridor, settle } from './helpers.js';

beforeAll(registerPitCorridor);

const options = { envId: PIT, tasks: [1, 2, 3].map((seed) => ({ seed })), trialsPerTask: 2, concurrency: 4 };

describe('trials served by their rollout (no policy child per trial)', () => {
  it('a rollout stopped before its requests went out withdraws them: the policy never sees them', async () => {
    const policy = new ManualPolicy();
    const client = new PolicyClient(policy);
    const actor = createRolloutActor({ ...options, policy: client }).start();
    // the four trials asked; the batch goes out once the current synchronous work is over
    expect(client.pendingCount).toBe(4);
    actor.stop();
    expect(client.pendingCount).toBe(0);
    await settle();
    expect(policy.seen).toEqual([]);
  });

  it('a stopped rollout drops the answers of requests already sent', async () => {
    const policy = new ManualPolicy();
    const client = new PolicyClient(policy);
    const actor = createRolloutActor({ ...options, policy: client });
    const turns: string[] = [];
    actor.on('turn', (e) => turns.push(e.sample.trialId));
    actor.start();
    await settle();
    expect(policy.batches).toHaveLength(1);
    actor.stop();
    policy.reply('<action>left</action>');
    await settle();
    expect(turns).toEqual([]);
    expect(client.pendingCount).toBe(0);
  });

  it('gives the records and turns of trials with their own policy child', async () => {
    const play = async (trialMachine?: AnyStateMachine) => {
      const turns: string[] = [];
      const records = await runRollout({
        ...options,
        policy: randomPolicy(),
        ...(trialMachine ? { trialMachine } : {}),
        attach: (a) => {
          a.on('turn', (e) =>
            turns.push(`${e.sample.trialId}/${e.sample.attempt}/${e.sample.turn}/${e.sample.phase}`),
          );
        },
      });
      return { records, turns };
    };
    const served = await play();
    // a trial machine of the user's: the default trial over its own policy child
    const ownChild = await play(trialWithPolicy(randomPolicy()));
    expect(served.records.reduce((n, r) => n + r.samples.length, 0)).toBeGreaterThan(6);
    expect(served).toEqual(ownChild);
  });

  it('sends a trial only the answer to the request it waits for (a replayed or withdrawn one is dropped)', async () => {
    const req = (key: string): GenerationRequest => ({
      key,
      messages: [{ role: 'user', content: key }],
      sampling: {},
    });
    const client = new PolicyClient(scriptedTextPolicy((r) => `answer to ${r.key}`));
    await client.submit(req('a')); // in the replay cache: asked again, it is answered in a microtask
    const served = new ServedPolicy(client);
    const got: PolicyReply[] = [];
    const trial = { send: (e: PolicyReply) => got.push(e) } as unknown as AnyActorRef;
    const ask = (key: string) => served.ask({ context: { request: req(key), failed: null }, self: trial });
    ask('a');
    ask('b'); // before a's replay arrives: a is withdrawn
    ask('b'); // the same open request again (a `retry` or `resume`): not asked twice
    await settle();
    ask('c');
    ask('d'); // c was not sent yet: withdrawn, its answer never comes
    await settle();
    expect(got.map((e) => [e.type, e.key, e.type === 'reply' ? e.generation.text : ''])).toEqual([
      ['reply', 'b', 'answer to b'],
      ['reply', 'd', 'answer to d'],
    ]);
    expect(client.stats.requests).toBe(3); // a (before the service), b, d
  });

  it("plays each lane slot's trials in one actor: no actor is created after the first trials", async () => {
    const created: string[] = [];
    const records = await runRollout({
      ...options,
      concurrency: 2,
      policy: randomPolicy(),
      attach: (a) => {
        a.system.inspect((e) => {
          if (e.type === '@xstate.actor') created.push((e.actorRef as AnyActorRef).id);
        });
      },
    });
    expect(records.map((r) => r.trialId)).toEqual([
      't0-s1#0',
      't0-s1#1',
      't1-s2#0',
      't1-s2#1',
      't2-s3#0',
      't2-s3#1',
    ]);
    expect(records.every((r) => r.failed === undefined && r.samples.length > 0)).toBe(true);
    expect(created).toEqual([]);
  });
});
