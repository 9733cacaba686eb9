import { firstValueFrom, from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createActor, enqueueActions, setup } from 'xstate';
import type { RolloutEmitted } from '../../src/streams/bridge.js';
import {
  completion,
  groupByTask,
  rolloutStreams,
  snapshots,
  taskGroups,
  trialRecords,
  turnSamples,
} from '../../src/streams/bridge.js';
import { trial } from '../metrics/fixtures.js';

const t1 = trial([['a']], { wonAt: 0, trialId: 'r0' });
const t2 = trial([['b'], ['c']], { trialId: 'r1' });

/** A stand-in rollout actor: emits two trials of one task on `go`, then `done`. */
const fakeRollout = setup({
  types: { events: {} as { type: 'go' } | { type: 'fail' }, emitted: {} as RolloutEmitted },
}).createMachine({
  initial: 'idle',
  states: {
    idle: {
      on: {
        go: {
          target: 'finished',
          actions: enqueueActions(({ enqueue }) => {
            for (const t of [t1, t2]) {
              for (const sample of t.samples) enqueue.emit({ type: 'turn', sample });
              enqueue.emit({ type: 'trial', record: t });
            }
            enqueue.emit({ type: 'task', taskId: 't0', records: [t1, t2] });
            enqueue.emit({ type: 'done' });
          }),
        },
        fail: {
          actions: () => {
            throw new Error('boom');
          },
        },
      },
    },
    finished: { type: 'final' },
  },
});

describe('rollout bridge', () => {
  it('turns emitted events into completing streams', async () => {
    const actor = createActor(fakeRollout);
    const turns = lastValueFrom(turnSamples(actor).pipe(toArray()));
    const trials = lastValueFrom(trialRecords(actor).pipe(toArray()));
    const tasks = lastValueFrom(taskGroups(actor).pipe(toArray()));
    const done = firstValueFrom(completion(actor));
    actor.start();
    actor.send({ type: 'go' });
    expect(await turns).toEqual([...t1.samples, ...t2.samples]);
    expect((await trials).map((t) => t.trialId)).toEqual(['r0', 'r1']);
    expect(await tasks).toEqual([{ taskId: 't0', records: [t1, t2] }]);
    await expect(done).resolves.toBeUndefined();
  });

  it('removes its actor listeners on unsubscribe', () => {
    const actor = createActor(fakeRollout);
    const seen: string[] = [];
    const { trials$ } = rolloutStreams(actor);
    const sub = trials$.subscribe((t) => seen.push(t.trialId));
    sub.unsubscribe();
    actor.start();
    actor.send({ type: 'go' });
    expect(seen).toEqual([]);
  });

  it('errors when the actor errors', async () => {
    const actor = createActor(fakeRollout);
    const trials = lastValueFrom(trialRecords(actor).pipe(toArray()));
    actor.start();
    actor.send({ type: 'fail' });
    await expect(trials).rejects.toThrow('boom');
  });

  it('exposes snapshots through from(actor)', async () => {
    const actor = createActor(fakeRollout);
    const values = lastValueFrom(snapshots(actor).pipe(toArray()));
    actor.start();
    actor.send({ type: 'go' });
    expect((await values).map((s) => s.value)).toEqual(['idle', 'finished']);
  });
});

describe('groupByTask', () => {
  it('releases a group when all its trials arrived, and leftovers at the end', async () => {
    const a = [
      trial([['x']], { taskId: 'A' }),
      trial([['y']], { taskId: 'B' }),
      trial([['z']], { taskId: 'A' }),
    ];
    const groups = await lastValueFrom(from(a).pipe(groupByTask(2), toArray()));
    expect(groups.map((g) => [g.taskId, g.records.length])).toEqual([
      ['A', 2],
      ['B', 1],
    ]);
  });
});
