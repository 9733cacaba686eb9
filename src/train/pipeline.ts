/**
 * Training as the composition of actors (../shared/DESIGN.md, data flow):
 * each step's rollout actor plays the step's tasks; its trial records flow as
 * an RxJS stream (the bridge's `trials$`, one batch per step) into the learner
 * actor (`feedLearner`), which computes credit and advantages, trains and
 * publishes the new weights to the policy; the learner's stats stream
 * (`learnerStats`) feeds the subscribers: the step's validation, checkpoint
 * and history/report writer (`afterStep`).
 *
 * `staleness` bounds how far rollouts run ahead of the learner:
 * - 0 (default, the reference's synchronous loop): step t+1's rollout starts
 *   once step t is trained, published and written;
 * - 1: it starts as soon as step t's batch reaches the learner, so the rollout
 *   of t+1 runs while the learner trains on t; weights published meanwhile
 *   reach the rollout's later turns (samples carry their policy version, and
 *   the learner trains a stale sample on its recorded log-probs). The weights
 *   of step t+1 are published only after step t's subscribers finished (a
 *   validation of step t sees step t's weights).
 *
 * A failure anywhere (a rollout, the learner with its cause, a subscriber)
 * stops the pipeline and rejects with it.
 */
import { concatMap, defer, lastValueFrom, Subject, toArray } from 'rxjs';
import { createActor, fromPromise } from 'xstate';
import { learnerMachine, type TrainInput } from '../actors/learner.js';
import type { CreditConfig } from '../learner/credit/index.js';
import type { TrainStats } from '../learner/trainer/index.js';
import { type EmittingActor, rolloutStreams } from '../streams/bridge.js';
import { feedLearner, learnerStats } from '../streams/learner.js';
import { inPlanOrder } from '../streams/order.js';
import type { TrialRecord } from '../streams/types.js';

/**
 * One step's rollout: `planIndex` gives a trial's position in the step's plan, and `run` runs the
 * rollout actor (`runRollout`), handing it to `attach` before it starts, resolving when it ended.
 */
export type StepRollout = (step: number) => {
  planIndex: (trialId: string) => number | undefined;
  run: (attach: (actor: EmittingActor) => void) => Promise<unknown>;
};

export interface LearnedStep<S extends TrainStats> {
  step: number;
  /** The step's trial records, in plan order. */
  records: TrialRecord[];
  /** Wall time of the rollout (s). */
  rolloutSeconds: number;
  /** When the step began (ms): its rollout's start, or the previous step's end when that was later. */
  started: number;
  stats: S;
}

export interface PipelineOptions<S extends TrainStats> {
  /** First and last step (inclusive). */
  from: number;
  to: number;
  staleness: 0 | 1;
  rollout: StepRollout;
  credit: CreditConfig;
  /** The learner's training of one batch (credit, advantages, the update). */
  train: (input: TrainInput) => Promise<S>;
  /** Publishes the weights of policy version `version` to the policy. */
  publish: (version: number) => Promise<void>;
  /** The learner stats' subscribers for one step, in order (validation, checkpoint, history). */
  afterStep: (s: LearnedStep<S>) => Promise<void>;
  clock?: () => number;
}

/** Resolves `wait(n)` once step n (and every earlier one) went through `afterStep`. */
class StepGate {
  private waiters: { step: number; resolve: () => void }[] = [];

  constructor(private done: number) {}

  pass(step: number): void {
    this.done = step;
    const ready = this.waiters.filter((w) => w.step <= step);
    this.waiters = this.waiters.filter((w) => w.step > step);
    for (const w of ready) w.resolve();
  }

  wait(step: number): Promise<void> {
    if (step <= this.done) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ step, resolve }));
  }
}

export async function runPipeline<S extends TrainStats>(o: PipelineOptions<S>): Promise<void> {
  const now = o.clock ?? Date.now;
  const gate = new StepGate(o.from - 1);
  let training = o.from - 1; // the step the learner is on (it trains one batch at a time, in order)
  const learner = createActor(
    learnerMachine.provide({
      actors: {
        train: fromPromise<TrainStats, TrainInput>(async ({ input }) => {
          training += 1;
          return o.train(input);
        }),
        // a step's weights wait for the previous step's subscribers (its validation ran on its weights)
        publish: fromPromise<void, { version: number }>(async ({ input }) => {
          await gate.wait(training - 1);
          await o.publish(input.version);
        }),
      },
    }),
    { input: { credit: o.credit } },
  );
  const batches = new Subject<readonly TrialRecord[]>();
  const rollouts: { step: number; records: TrialRecord[]; seconds: number; began: number }[] = [];
  let lastEnd = 0;
  let failure: { error: unknown } | null = null;

  // learner stats → the step's subscribers, one step at a time, in order
  const written = lastValueFrom(
    learnerStats(learner).pipe(
      concatMap((e) =>
        defer(async () => {
          const r = rollouts.shift()!;
          await o.afterStep({
            step: r.step,
            records: r.records,
            rolloutSeconds: r.seconds,
            started: Math.max(r.began, lastEnd),
            stats: e.stats as S,
          });
          lastEnd = now();
          gate.pass(r.step);
        }),
      ),
      toArray(),
    ),
  );
  const feed = feedLearner(batches, learner);
  learner.start();

  // the rollouts, each at most `staleness` steps ahead of the written ones; records in plan order
  const driver = async () => {
    for (let step = o.from; step <= o.to; step++) {
      await gate.wait(step - 1 - o.staleness);
      if (failure !== null) return;
      const began = now();
      let trials: Promise<TrialRecord[]> | null = null;
      const { planIndex, run } = o.rollout(step);
      await run((actor) => {
        trials = lastValueFrom(
          rolloutStreams(actor).trials$.pipe(
            inPlanOrder((r) => planIndex(r.trialId)),
            toArray(),
          ),
        );
      });
      if (trials === null) throw new Error(`step ${step}: the rollout actor was not attached`);
      const records: TrialRecord[] = await trials;
      rollouts.push({ step, records, seconds: (now() - began) / 1000, began });
      batches.next(records);
    }
    batches.complete();
  };

  try {
    await Promise.all([
      driver().catch((error: unknown) => {
        failure = { error };
        batches.complete();
        throw error;
      }),
      written.catch((error: unknown) => {
        failure = { error };
        gate.pass(Number.MAX_SAFE_INTEGER); // release a waiting rollout driver
        throw error;
      }),
    ]);
  } finally {
    feed.unsubscribe();
    learner.stop();
  }
}
