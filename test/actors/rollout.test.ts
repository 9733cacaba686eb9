import { beforeAll, describe, expect, it } from 'vitest';
import { type AnyActorRef, createActor, SimulatedClock } from 'xstate';
import { PolicyClient } from '../../src/actors/client.js';
import type { RolloutEmitted } from '../../src/actors/events.js';
import { LANE_TRIALS } from '../../src/actors/lane.js';
import {
  createRolloutActor,
  type RunRolloutOptions,
  rolloutWithPolicy,
  runRollout,
} from '../../src/actors/provide.js';
import { expertPolicy, randomPolicy } from '../../src/policy/scripted.js';
import { withBadStart, withBrittleStep } from '../fixtures/pit-corridor-env.js';
import { finished, flakyPolicy, PIT, registerPitCorridor, settle } from './helpers.js';

beforeAll(registerPitCorridor);

const base = { envId: PIT, tasks: [{ seed: 1 }, { seed: 2 }, { seed: 3 }], trialsPerTask: 4 };

async function collect(options: RunRolloutOptions) {
  const events: RolloutEmitted[] = [];
  const records = await runRollout({ ...options, attach: (a) => a.on('*', (e) => events.push(e)) });
  return { records, events };
}

describe('rollout machine', () => {
  it('runs n trials per task on the same instance, one group per task, and emits every event', async () => {
    const { records, events } = await collect({ ...base, policy: randomPolicy(), runId: 'step7' });
    expect(records.map((r) => r.trialId)).toEqual(
      ['t0-s1', 't1-s2', 't2-s3'].flatMap((t) => [0, 1, 2, 3].map((k) => `${t}#${k}`)),
    );
    expect(new Set(records.map((r) => r.groupId))).toEqual(
      new Set(['step7/t0-s1', 'step7/t1-s2', 'step7/t2-s3']),
    );
    for (const r of records) {
      expect(r.seed).toBe(Number(r.taskId.split('-s')[1]));
      expect(r.samples.every((s) => s.groupId === r.groupId && s.trialId === r.trialId)).toBe(true);
    }
    const turns = events.filter((e) => e.type === 'turn');
    expect(turns).toHaveLength(records.reduce((n, r) => n + r.samples.length, 0));
    expect(events.filter((e) => e.type === 'trial')).toHaveLength(12);
    const tasks = events.filter((e) => e.type === 'task');
    expect(tasks.map((t) => (t.type === 'task' ? [t.taskId, t.records.length] : null)).sort()).toEqual([
      ['t0-s1', 4],
      ['t1-s2', 4],
      ['t2-s3', 4],
    ]);
    expect(events.at(-1)).toEqual({ type: 'done' });
    expect(events.filter((e) => e.type === 'done')).toHaveLength(1);
  });

  it('sends batched requests: one batch per lock-step turn of all in-flight trials', async () => {
    const client = new PolicyClient(randomPolicy());
    await runRollout({ ...base, policy: client, concurrency: 8 });
    expect(client.stats.batchSizes[0]).toBe(8);
    expect(Math.max(...client.stats.batchSizes)).toBe(8);
    expect(client.stats.requests).toBe(client.stats.batchSizes.reduce((a, b) => a + b, 0));
    // finished trials leave nothing in the replay cache (a next run with the same ids asks again)
    expect(client.cachedCount).toBe(0);
    const small = new PolicyClient(randomPolicy(), { maxBatch: 3 });
    await runRollout({ ...base, policy: small, concurrency: 8 });
    expect(Math.max(...small.stats.batchSizes)).toBe(3);
  });

  it('runs its trials in lanes: the rollout holds a few lanes, never one child per trial', async () => {
    // 40 trials, 20 in flight: two lanes (16 + 4 trials), each given the next trial when one of its own ends
    const tasks = Array.from({ length: 10 }, (_, i) => ({ seed: i + 1 }));
    const options = { envId: PIT, tasks, trialsPerTask: 4, concurrency: 20 };
    const client = new PolicyClient(randomPolicy());
    const actor = createRolloutActor({ ...options, policy: client }).start();
    const lanes = actor.getSnapshot().children as Record<string, AnyActorRef>;
    expect(Object.keys(lanes)).toEqual(['lane0', 'lane1']);
    // each lane: its trials and one policy port (served.ts); the trials have no policy child of their own
    const trialsOf = (lane: AnyActorRef) => {
      const children = lane.getSnapshot().children as Record<string, AnyActorRef>;
      expect(Object.keys(children)).toContain('policy');
      return Object.entries(children).filter(([id]) => id !== 'policy');
    };
    expect(trialsOf(lanes.lane0!)).toHaveLength(LANE_TRIALS);
    expect(trialsOf(lanes.lane1!)).toHaveLength(20 - LANE_TRIALS);
    for (const [, trial] of trialsOf(lanes.lane0!)) expect(trial.getSnapshot().children).toEqual({});
    await finished(actor);
    const records = actor.getSnapshot().output!;
    expect(records.map((r) => r.trialId)).toEqual(
      tasks.flatMap((t, i) => [0, 1, 2, 3].map((k) => `t${i}-s${t.seed}#${k}`)),
    );
    // at most `concurrency` trials asked at once, and all of them did
    expect(Math.max(...client.stats.batchSizes)).toBe(20);
    expect(records).toEqual(await runRollout({ ...options, policy: randomPolicy(), concurrency: 3 }));
  });

  it('the same seeds give identical records', async () => {
    const a = await runRollout({ ...base, policy: randomPolicy(), concurrency: 5 });
    const b = await runRollout({ ...base, policy: randomPolicy(), concurrency: 2 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('the expert solves every task on the first attempt', async () => {
    const records = await runRollout({ ...base, policy: expertPolicy() });
    expect(records.every((r) => r.wonAt === 0)).toBe(true);
  });

  it('retries a failed policy call (backoff on the simulated clock) and then succeeds', async () => {
    const clock = new SimulatedClock();
    const flaky = flakyPolicy(randomPolicy(), (k) => k.startsWith('t1-s2/t1-s2#2/0/1/'), 1);
    const actor = createRolloutActor({
      ...base,
      policy: flaky,
      clock,
      trial: { retry: { retries: 1, backoffMs: 10 } },
    });
    actor.start();
    await settle();
    expect(actor.getSnapshot().status).toBe('active');
    clock.increment(10);
    await finished(actor);
    const records = actor.getSnapshot().output!;
    expect(flaky.failures).toBe(1);
    expect(records.every((r) => r.failed === undefined)).toBe(true);
    const clean = await runRollout({ ...base, policy: randomPolicy() });
    expect(JSON.stringify(records)).toBe(JSON.stringify(clean));
  });

  it('marks a trial whose calls keep failing as failed; the others finish', async () => {
    const clock = new SimulatedClock();
    const flaky = flakyPolicy(
      randomPolicy(),
      (k) => k.startsWith('t0-s1/t0-s1#1/'),
      Number.POSITIVE_INFINITY,
    );
    const actor = createRolloutActor({
      ...base,
      policy: flaky,
      clock,
      trial: { retry: { retries: 2, backoffMs: 10 } },
    });
    actor.start();
    for (const ms of [10, 20]) {
      await settle();
      clock.increment(ms);
    }
    await finished(actor);
    const records = actor.getSnapshot().output!;
    expect(records).toHaveLength(12);
    const failed = records.filter((r) => r.failed !== undefined);
    expect(failed.map((r) => r.trialId)).toEqual(['t0-s1#1']);
    expect(failed[0]!.failed).toMatch(/PolicyError/);
    expect(failed[0]!.samples).toEqual([]);
  });

  it('records a trial that crashed (an env throwing) as failed instead of dropping it', async () => {
    await withBrittleStep('Brittle-v0', async () => {
      const records = await runRollout({
        envId: 'Brittle-v0',
        tasks: [{ seed: 5 }],
        trialsPerTask: 6,
        policy: randomPolicy(),
      });
      expect(records).toHaveLength(6);
      expect(records.some((r) => r.failed?.includes('boom'))).toBe(true);
    });
  });

  it("names a trial that crashed as it started on its slot's actor (a `run` its lane did not see)", async () => {
    // at 1 and 2 in flight a slot's actor plays the next trial it is sent; seed 13's initial state throws
    await withBadStart('BadStart-v0', 13, async () => {
      for (const concurrency of [1, 2]) {
        const { records, events } = await collect({
          envId: 'BadStart-v0',
          tasks: [{ seed: 1 }, { seed: 2 }, { seed: 13 }, { seed: 3 }],
          policy: randomPolicy(),
          concurrency,
        });
        expect(records.map((r) => r.trialId)).toEqual(['t0-s1#0', 't1-s2#0', 't2-s13#0', 't3-s3#0']);
        expect(records.map((r) => r.failed !== undefined)).toEqual([false, false, true, false]);
        expect(records[2]!.failed).toMatch(/no board for 13/);
        const trials = events.flatMap((e) => (e.type === 'trial' ? [e.record.trialId] : []));
        expect([...trials].sort()).toEqual(records.map((r) => r.trialId));
      }
    });
  });

  it('rollouts running at once keep their own clients, turns and records (their machine is shared)', async () => {
    const inputs = [
      { ...base, tasks: [{ seed: 1 }, { seed: 2 }], concurrency: 3 },
      { ...base, tasks: [{ seed: 3 }, { seed: 4 }, { seed: 5 }], trialsPerTask: 2, concurrency: 4 },
    ];
    const alone = [];
    for (const input of inputs) alone.push(await collect({ ...input, policy: expertPolicy() }));
    const clients = inputs.map(() => new PolicyClient(expertPolicy()));
    const together = await Promise.all(inputs.map((input, k) => collect({ ...input, policy: clients[k]! })));
    for (let k = 0; k < inputs.length; k++) {
      expect(together[k]!.records).toEqual(alone[k]!.records);
      expect(together[k]!.events).toEqual(alone[k]!.events);
      const turns = together[k]!.records.reduce((n, r) => n + r.samples.length, 0);
      expect(clients[k]!.stats.requests).toBe(turns);
      expect(clients[k]!.cachedCount).toBe(0);
    }
  });

  it('turn events reach the rollout through the parents when it has no system id (created by hand)', async () => {
    const actor = createActor(rolloutWithPolicy(randomPolicy()), { input: base });
    let turns = 0;
    actor.on('turn', () => turns++);
    actor.start();
    await finished(actor);
    const records = actor.getSnapshot().output!;
    expect(records).toHaveLength(12);
    expect(turns).toBe(records.reduce((n, r) => n + r.samples.length, 0));
  });

  it("emits each trial's turns, in order, before its trial event", async () => {
    const { events } = await collect({ ...base, policy: randomPolicy(), concurrency: 5 });
    expect(events.filter((e) => e.type === 'trial')).toHaveLength(12);
    for (const e of events) {
      if (e.type !== 'trial') continue;
      const turns = events
        .slice(0, events.indexOf(e))
        .flatMap((t) => (t.type === 'turn' && t.sample.trialId === e.record.trialId ? [t.sample] : []));
      expect(turns).toEqual(e.record.samples);
    }
  });

  it('its trials hand their turns over as one event per batch, not one per turn', async () => {
    const client = new PolicyClient(randomPolicy());
    const received: string[] = [];
    const actor = createActor(rolloutWithPolicy(client), {
      input: base,
      inspect: (e) => {
        if (e.type === '@xstate.event' && e.actorRef === actor && e.event.type.startsWith('turn'))
          received.push(e.event.type);
      },
    });
    let turns = 0;
    actor.on('turn', () => turns++);
    actor.start();
    await finished(actor);
    const records = actor.getSnapshot().output!;
    expect(turns).toBe(records.reduce((n, r) => n + r.samples.length, 0));
    expect(received).not.toContain('turn');
    // at most one per batch of replies (the turns still queued when a trial ends are emitted by the
    // rollout as it handles that end, not sent as one more event)
    expect(received.length).toBeLessThanOrEqual(client.stats.batches);
    expect(received.length).toBeLessThan(turns / 2);
  });

  it('an empty task list finishes at once with no records', async () => {
    const { records, events } = await collect({ envId: PIT, tasks: [], policy: randomPolicy() });
    expect(records).toEqual([]);
    expect(events).toEqual([{ type: 'done' }]);
  });
});
