import { from, lastValueFrom, Subject, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createActor, waitFor } from 'xstate';
import { type LearnerTrainer, learnerMachine, learnerWithTrainer } from '../../src/actors/learner.js';
import type { CreditConfig } from '../../src/learner/credit/index.js';
import { Trainer, TrainerError, type TrainStats } from '../../src/learner/trainer/index.js';
import { feedLearner, LearnerFailedError, learnerStats } from '../../src/streams/learner.js';
import { BAD, GOOD, PROMPT, sum, tinyTrainerConfig, trialRecords } from '../learner/trainer/fixtures.js';

const credit: CreditConfig = { estimator: 'gigpo', stepGamma: 0.95, trajGamma: 0.6 };

/** A stand-in trainer: records the batches, checks that calls never overlap, can fail on a given call. */
function fakeTrainer(options: { failOn?: number; stopOn?: number } = {}) {
  let version = 0;
  let running = 0;
  const seen: string[][] = [];
  const trainer: LearnerTrainer & { seen: string[][]; overlapped: boolean } = {
    seen,
    overlapped: false,
    params: { w: Float32Array.of(0) },
    async trainPpo(batch) {
      running++;
      if (running > 1) trainer.overlapped = true;
      await new Promise((r) => setTimeout(r, 5));
      running--;
      seen.push(batch.samples.map((s) => s.trialId));
      const call = seen.length;
      if (call === options.failOn) throw new TrainerError(`turn task#0/0/0/play has 99 tokens, more than 24`);
      const updates = call === options.stopOn ? 0 : 1;
      version += updates;
      return { step: call, policyVersion: version, updates } as TrainStats;
    },
  };
  return trainer;
}

describe('learner actor', () => {
  it('trains on streamed batches with a real tiny model: the log-prob of rewarded answers rises', async () => {
    const trainer = await Trainer.create(tinyTrainerConfig({ worker: true }), { logger: () => {} });
    const turns = [
      { promptTokens: PROMPT, responseTokens: GOOD },
      { promptTokens: PROMPT, responseTokens: BAD },
    ];
    const [good0, bad0] = (await trainer.responseLogprobs(turns)).map(sum);
    const published: Array<[number, number]> = [];
    const publish = async (params: Readonly<Record<string, Float32Array>>, version: number) => {
      published.push([version, params['model.norm.weight']![0]!]);
    };
    const actor = createActor(learnerWithTrainer(trainer, publish), { input: { credit } });
    const stats = lastValueFrom(learnerStats(actor).pipe(toArray()));
    actor.start();
    // batch v is sampled by policy version v: two trials answer GOOD (won), two BAD
    const batches = [0, 1, 2].map((v) => trialRecords([GOOD, BAD, GOOD, BAD], v));
    feedLearner(from(batches), actor);
    const events = await stats;
    expect(events.map((e) => [e.step, e.stats.policyVersion])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(published.map(([v]) => v)).toEqual([1, 2, 3]);
    expect(published[2]![1]).toBe(trainer.params['model.norm.weight']![0]);
    const [good1, bad1] = (await trainer.responseLogprobs(turns)).map(sum);
    expect(good1).toBeGreaterThan(good0! + 0.1);
    expect(bad1).toBeLessThan(bad0! - 0.1);
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().output).toMatchObject({ batches: 3, error: null });
    await trainer.dispose();
  });

  it('trains one batch at a time in arrival order and publishes only changed weights', async () => {
    const trainer = fakeTrainer({ stopOn: 2 });
    const versions: number[] = [];
    const actor = createActor(
      learnerWithTrainer(trainer, async (_, v) => {
        versions.push(v);
      }),
      { input: { credit } },
    );
    const stats = lastValueFrom(learnerStats(actor).pipe(toArray()));
    actor.start();
    const source = new Subject<ReturnType<typeof trialRecords>>();
    feedLearner(source, actor);
    source.next(trialRecords([GOOD]));
    source.next(trialRecords([BAD, BAD]));
    source.next(trialRecords([GOOD, BAD, GOOD]));
    source.complete();
    const events = await stats;
    expect(trainer.overlapped).toBe(false);
    expect(trainer.seen.map((b) => b.length)).toEqual([1, 2, 3]);
    expect(events.map((e) => e.step)).toEqual([1, 2, 3]);
    expect(versions).toEqual([1, 2]); // step 2 applied no update: nothing to publish
  });

  it('turns a training failure into a learner-error event and a failed snapshot, without throwing', async () => {
    const trainer = fakeTrainer({ failOn: 2 });
    const actor = createActor(
      learnerWithTrainer(trainer, async () => {}),
      { input: { credit } },
    );
    const errors: string[] = [];
    actor.on('learner-error', (e) => errors.push(e.message));
    const stats = lastValueFrom(learnerStats(actor).pipe(toArray()));
    actor.start();
    for (const answers of [[GOOD], [BAD], [GOOD]])
      actor.send({ type: 'batch', records: trialRecords(answers) });
    const failure = await stats.then(
      () => null,
      (error: unknown) => error,
    );
    // the stream's error names the batch and keeps the trainer's own error as its cause
    expect(failure).toBeInstanceOf(LearnerFailedError);
    expect((failure as LearnerFailedError).step).toBe(2);
    expect((failure as Error).message).toMatch(/^learner failed on batch 2: TrainerError: turn task#0/);
    expect((failure as Error).cause).toBeInstanceOf(TrainerError);
    const snap = await waitFor(actor, (s) => s.status === 'done');
    expect(snap.value).toBe('failed');
    expect(errors).toEqual(['TrainerError: turn task#0/0/0/play has 99 tokens, more than 24']);
    expect(snap.output).toMatchObject({ batches: 1, unprocessed: 2, error: errors[0] });
  });

  it('fails the same way when publishing the weights fails, and without implementations says how to get them', async () => {
    const trainer = fakeTrainer();
    const failing = createActor(
      learnerWithTrainer(trainer, async () => {
        throw new Error('policy worker died');
      }),
      { input: { credit } },
    ).start();
    failing.send({ type: 'batch', records: trialRecords([GOOD]) });
    expect((await waitFor(failing, (s) => s.status === 'done')).context.error).toBe(
      'Error: policy worker died',
    );

    // a trainer that throws synchronously (not a rejected promise) fails the learner the same way
    const syncThrow: LearnerTrainer = {
      params: {},
      trainPpo: () => {
        throw new TrainerError('thrown synchronously');
      },
    };
    const throwing = createActor(
      learnerWithTrainer(syncThrow, async () => {}),
      { input: { credit } },
    ).start();
    throwing.send({ type: 'batch', records: trialRecords([GOOD]) });
    expect((await waitFor(throwing, (s) => s.status === 'done')).context.error).toBe(
      'TrainerError: thrown synchronously',
    );

    const bare = createActor(learnerMachine, { input: { credit } }).start();
    bare.send({ type: 'batch', records: trialRecords([GOOD]) });
    const snap = await waitFor(bare, (s) => s.status === 'done');
    expect(snap.context.error).toMatch(/no "train" implementation; create it with learnerWithTrainer/);
  });
});
