import { beforeAll, describe, expect, it } from 'vitest';
import type { AnyActorRef } from 'xstate';
import { PolicyClient } from '../../src/actors/client.js';
import type { RolloutEmitted } from '../../src/actors/events.js';
import { runRollout } from '../../src/actors/provide.js';
import {
  RolloutBusyError,
  RolloutRunner,
  type RunnerRolloutOptions,
} from '../../src/actors/rollout-runner.js';
import { trialMachine } from '../../src/actors/trial.js';
import { registerBuiltinEnvs } from '../../src/envs/builtin.js';
import { expertPolicy, randomPolicy } from '../../src/policy/scripted.js';
import type { EmittingActor } from '../../src/streams/bridge.js';
import { ConfigError } from '../../src/util/errors.js';
import { withBadStart, withBrittleStep } from '../fixtures/pit-corridor-env.js';
import { ManualPolicy, PIT, registerPitCorridor, settle } from './helpers.js';

beforeAll(() => {
  registerPitCorridor();
  registerBuiltinEnvs();
});

const base = { envId: PIT, tasks: [{ seed: 1 }, { seed: 2 }, { seed: 3 }], trialsPerTask: 4 };

/** Rollouts of different sizes, concurrency (more lanes, then fewer) and envs, one after another. */
const plans: Omit<RunnerRolloutOptions, 'attach' | 'signal'>[] = [
  { ...base, concurrency: 5, runId: 'step1' },
  { ...base, tasks: [{ seed: 4 }, { seed: 5 }], trialsPerTask: 20, concurrency: 40, runId: 'step2' },
  { ...base, tasks: [{ seed: 6 }], trialsPerTask: 3, concurrency: 2 },
  {
    envId: 'MineSweeper-v0',
    tasks: [{ seed: 7 }, { seed: 8 }, { seed: 9 }],
    trialsPerTask: 3,
    trial: { attempts: 3, memoryMode: 'reflection_only', style: 'compact' },
    concurrency: 20,
  },
  { ...base, tasks: [], concurrency: 3 },
  { ...base, concurrency: 64 },
];

/** A run's records and every event its listeners saw. */
async function played(run: (o: { attach: (a: EmittingActor) => void }) => Promise<unknown[]>) {
  const events: RolloutEmitted[] = [];
  const records = await run({ attach: (a) => a.on('*', (e: RolloutEmitted) => events.push(e)) });
  return { records, events };
}

/** The trial actors of a rollout actor's lanes, by `lane/slot`. */
function trialActors(rollout: AnyActorRef): [string, AnyActorRef][] {
  const lanes = Object.entries(rollout.getSnapshot().children as Record<string, AnyActorRef>);
  return lanes.flatMap(([lane, ref]) =>
    Object.entries(ref.getSnapshot().children as Record<string, AnyActorRef>)
      .filter(([slot]) => slot.startsWith('slot'))
      .map(([slot, trial]): [string, AnyActorRef] => [`${lane}/${slot}`, trial]),
  );
}

describe('RolloutRunner', () => {
  it("plays rollouts one after another with runRollout's records and events for each", async () => {
    const runner = new RolloutRunner({ policy: randomPolicy() });
    const seen = new Map<string, AnyActorRef>();
    for (const plan of plans) {
      const kept = await played((o) => runner.run({ ...plan, ...o }));
      // on the same actors: the rollout, its lanes and their trials' (each slot's actor is the one it had)
      for (const [id, trial] of trialActors(runner.actor!)) {
        expect(trial).toBe(seen.get(id) ?? trial);
        seen.set(id, trial);
      }
      const alone = await played((o) => runRollout({ ...plan, ...o, policy: randomPolicy() }));
      expect(kept.records).toEqual(alone.records);
      // the same events, the last one the `done` that carries the kept rollout's records
      expect(kept.events.slice(0, -1)).toEqual(alone.events.slice(0, -1));
      expect(kept.events.at(-1)).toEqual({ type: 'done', records: alone.records });
    }
    runner.stop();
  });

  it('shares one client: every rollout batches its trials in flight and leaves no cached replies', async () => {
    const client = new PolicyClient(expertPolicy());
    const runner = new RolloutRunner({ policy: client });
    for (const concurrency of [8, 3]) {
      const before = client.stats.batchSizes.length;
      const records = await runner.run({ ...base, concurrency });
      expect(records.every((r) => r.wonAt === 0)).toBe(true);
      expect(Math.max(...client.stats.batchSizes.slice(before))).toBe(concurrency);
      expect(client.cachedCount).toBe(0);
    }
    runner.stop();
  });

  it("ends a run's listeners with it, and completes what subscribed through its `attach`", async () => {
    const runner = new RolloutRunner({ policy: randomPolicy() });
    let firstTurns = 0;
    let completed = 0;
    const first = await runner.run({
      ...base,
      attach: (a) => {
        a.on('turn', () => firstTurns++);
        a.subscribe({ complete: () => completed++ });
      },
    });
    expect(completed).toBe(1);
    expect(firstTurns).toBe(first.reduce((n, r) => n + r.samples.length, 0));
    await runner.run(base);
    expect(firstTurns).toBe(first.reduce((n, r) => n + r.samples.length, 0));
    expect(completed).toBe(1);
    runner.stop();
  });

  it('refuses a second rollout while one plays, then plays the next one', async () => {
    const policy = new ManualPolicy();
    const runner = new RolloutRunner({ policy });
    const playing = runner.run({ envId: PIT, tasks: [{ seed: 1 }] });
    await expect(runner.run({ envId: PIT, tasks: [{ seed: 2 }] })).rejects.toBeInstanceOf(RolloutBusyError);
    for (let turn = 0; turn < 200 && policy.batches.length > 0; turn++) {
      policy.reply('right');
      await settle();
    }
    expect(await playing).toHaveLength(1);
    const next = runner.run({ envId: PIT, tasks: [{ seed: 2 }] });
    await settle();
    expect(policy.batches).toHaveLength(1);
    // stopped while it plays: the run rejects, nothing is left waiting
    runner.stop();
    await expect(next).rejects.toThrow(/stopped while its rollout played/);
  });

  it('an aborted rollout rejects with the reason; the next run starts a new actor and plays as runRollout', async () => {
    const runner = new RolloutRunner({ policy: new ManualPolicy() });
    const controller = new AbortController();
    const running = runner.run({ ...base, signal: controller.signal });
    await settle();
    controller.abort(new Error('stop now'));
    await expect(running).rejects.toThrow('stop now');
    const expert = new RolloutRunner({ policy: expertPolicy() });
    const records = await expert.run(base);
    expect(records).toEqual(await runRollout({ ...base, policy: expertPolicy() }));
    expert.stop();
  });

  it('a bad rollout input rejects with a ConfigError, first or later; the runner plays on', async () => {
    const runner = new RolloutRunner({ policy: randomPolicy() });
    await expect(runner.run({ ...base, concurrency: 0 })).rejects.toBeInstanceOf(ConfigError);
    const first = await runner.run(base);
    await expect(runner.run({ ...base, trialsPerTask: -1 })).rejects.toBeInstanceOf(ConfigError);
    expect(await runner.run(base)).toEqual(first);
    runner.stop();
  });

  it('runs a custom trial machine (its trials end in a final state: new actors in the same slots)', async () => {
    const runner = new RolloutRunner({ policy: randomPolicy(), trialMachine });
    for (const plan of plans.slice(0, 3)) {
      const records = await runner.run(plan);
      expect(records).toEqual(await runRollout({ ...plan, policy: randomPolicy(), trialMachine }));
    }
    runner.stop();
  });

  it('never serves a later rollout a reply cached by an earlier one (a trial whose env threw left its key)', async () => {
    await withBrittleStep('BrittleKept-v0', async () => {
      const client = new PolicyClient(randomPolicy());
      const runner = new RolloutRunner({ policy: client });
      const plan = { envId: 'BrittleKept-v0', tasks: [{ seed: 5 }], trialsPerTask: 6 };
      const first = await runner.run(plan);
      expect(first.some((r) => r.failed?.includes('boom'))).toBe(true);
      const replayed = client.stats.replayed;
      expect(await runner.run(plan)).toEqual(first);
      expect(client.stats.replayed).toBe(replayed);
      runner.stop();
    });
  });

  it('names a trial that crashed as it started in a later rollout (its slot actor from the one before)', async () => {
    await withBadStart('BadStartKept-v0', 13, async () => {
      const runner = new RolloutRunner({ policy: randomPolicy() });
      await runner.run({ envId: 'BadStartKept-v0', tasks: [{ seed: 1 }, { seed: 2 }], concurrency: 2 });
      const tasks = [{ seed: 13 }, { seed: 3 }, { seed: 13 }, { seed: 4 }].map((t, i) => ({
        ...t,
        taskId: `k${i}`,
      }));
      const records = await runner.run({ envId: 'BadStartKept-v0', tasks, concurrency: 2 });
      expect(records.map((r) => r.trialId)).toEqual(['k0#0', 'k1#0', 'k2#0', 'k3#0']);
      expect(records.map((r) => r.failed !== undefined)).toEqual([true, false, true, false]);
      runner.stop();
    });
  });
});
