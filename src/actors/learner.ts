/**
 * The learner actor: takes batches of trial records (`{ type: 'batch',
 * records }`, fed from the RxJS streams by src/streams/learner.ts), one at a
 * time: credit → advantages → PPO mini-batches in the `train` child, then
 * the new weights go to the policy through the `publish` child, then it
 * emits `{ type: 'learner-stats', step, stats }`. Batches that arrive
 * meanwhile wait in a queue. `{ type: 'close' }` finishes the queue and
 * ends the actor (`learner-done`).
 *
 * A failure (bad sample, dead session, full disk at a checkpoint, a publish
 * that fails) never throws across actors: the machine ends in `failed` with
 * the message in `context.error` and emits `learner-error`.
 *
 * `train` and `publish` are named implementations; `learnerWithTrainer`
 * provides them from a Trainer and a `publishWeights(params, version)`
 * (the ONNX policy's `setWeights`).
 */
import { assign, emit, fromPromise, setup } from 'xstate';
import { type CreditConfig, type CreditedBatch, computeAdvantages } from '../learner/credit/index.js';
import type { TrainStats } from '../learner/trainer/index.js';
import type { TrialRecord } from '../streams/types.js';
import { ConfigError } from '../util/errors.js';

/** The part of a Trainer the learner actor uses. */
export interface LearnerTrainer {
  /** One PPO update (all mini-batches) on a credited batch; resolves with its stats. */
  trainPpo: (batch: CreditedBatch) => Promise<TrainStats>;
  readonly params: Readonly<Record<string, Float32Array>>;
}

/** Pushes new weights to the policy; generations that start after it resolves use them. */
export type PublishWeights = (
  params: Readonly<Record<string, Float32Array>>,
  version: number,
) => Promise<void>;

/** Input of {@link learnerMachine}: how credit is assigned to each batch. */
export interface LearnerInput {
  credit: CreditConfig;
}

/** Input of the learner's `train` child: one batch of trial records and the credit settings. */
export interface TrainInput {
  records: TrialRecord[];
  credit: CreditConfig;
}

/** Context of {@link learnerMachine}: the queue of batches waiting, counters, last stats and error. */
export interface LearnerContext {
  credit: CreditConfig;
  /** Batches waiting to be trained on, oldest first. */
  queue: TrialRecord[][];
  /** `close` was received: end once the queue is empty. */
  closing: boolean;
  /** Batches trained on. */
  batches: number;
  lastStats: TrainStats | null;
  /** Why the learner failed (state `failed`). */
  error: string | null;
}

/** Events {@link learnerMachine} accepts: a `batch` of trial records to train on, or `close` (finish the queue, then end). */
export type LearnerEvent = { type: 'batch'; records: TrialRecord[] } | { type: 'close' };

/** Events {@link learnerMachine} emits: stats after each trained batch, an error when it fails, done when it ends. */
export type LearnerEmitted =
  | { type: 'learner-stats'; step: number; stats: TrainStats }
  | { type: 'learner-error'; step: number; message: string; cause?: unknown }
  | { type: 'learner-done'; step: number };

/** What {@link learnerMachine} returns: batches trained on, the last stats, and the error if it failed. */
export interface LearnerOutput {
  batches: number;
  lastStats: TrainStats | null;
  error: string | null;
  /** Batches not trained on when the learner failed (the failed one included). */
  unprocessed: number;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

const missing = (name: string) =>
  fromPromise<never, unknown>(async () => {
    throw new ConfigError(`learner actor: no "${name}" implementation; create it with learnerWithTrainer()`);
  });

/**
 * The learner as an XState machine: one queued batch at a time, credit →
 * advantages → PPO (`train` child) → publish the new weights (`publish`
 * child). Failures end it in `failed` (never thrown). Provide `train` and
 * `publish` with `learnerWithTrainer`.
 */
export const learnerMachine = setup({
  types: {
    input: {} as LearnerInput,
    context: {} as LearnerContext,
    events: {} as LearnerEvent,
    emitted: {} as LearnerEmitted,
    output: {} as LearnerOutput,
  },
  actors: {
    train: missing('train') as unknown as ReturnType<typeof fromPromise<TrainStats, TrainInput>>,
    publish: missing('publish') as unknown as ReturnType<typeof fromPromise<void, { version: number }>>,
  },
  actions: {
    enqueue: assign({
      queue: ({ context, event }) =>
        event.type === 'batch' ? [...context.queue, event.records] : context.queue,
    }),
    markClosing: assign({ closing: true }),
    recordStats: assign({
      queue: ({ context }) => context.queue.slice(1),
      batches: ({ context }) => context.batches + 1,
      lastStats: ({ event }) => (event as unknown as { output: TrainStats }).output,
    }),
    recordError: assign({ error: ({ event }) => describe((event as unknown as { error: unknown }).error) }),
    emitStats: emit(({ context }) => ({
      type: 'learner-stats' as const,
      step: context.lastStats!.step,
      stats: context.lastStats!,
    })),
    // the failure itself rides on the event (not in the context, which stays plain data)
    emitError: emit(({ context, event }) => ({
      type: 'learner-error' as const,
      step: context.batches + 1,
      message: context.error ?? 'unknown error',
      cause: (event as unknown as { error?: unknown }).error,
    })),
    emitDone: emit(({ context }) => ({ type: 'learner-done' as const, step: context.batches })),
  },
  guards: {
    hasWork: ({ context }) => context.queue.length > 0,
    finished: ({ context }) => context.closing && context.queue.length === 0,
    weightsChanged: ({ event }) => ((event as unknown as { output?: TrainStats }).output?.updates ?? 0) > 0,
  },
}).createMachine({
  id: 'learner',
  context: ({ input }) => ({
    credit: input.credit,
    queue: [],
    closing: false,
    batches: 0,
    lastStats: null,
    error: null,
  }),
  on: {
    batch: { actions: 'enqueue' },
    close: { actions: 'markClosing' },
  },
  initial: 'idle',
  states: {
    idle: {
      always: [
        { guard: 'hasWork', target: 'training' },
        { guard: 'finished', target: 'closed' },
      ],
    },
    training: {
      invoke: {
        src: 'train',
        input: ({ context }) => ({ records: context.queue[0]!, credit: context.credit }),
        onDone: [
          { guard: 'weightsChanged', target: 'publishing', actions: 'recordStats' },
          // a stopped step (non-finite loss) or an empty batch: the policy already has these weights
          { target: 'idle', actions: ['recordStats', 'emitStats'] },
        ],
        onError: { target: 'failed', actions: 'recordError' },
      },
    },
    publishing: {
      invoke: {
        src: 'publish',
        input: ({ context }) => ({ version: context.lastStats!.policyVersion }),
        onDone: { target: 'idle', actions: 'emitStats' },
        onError: { target: 'failed', actions: 'recordError' },
      },
    },
    failed: { type: 'final', entry: 'emitError' },
    closed: { type: 'final', entry: 'emitDone' },
  },
  output: ({ context }) => ({
    batches: context.batches,
    lastStats: context.lastStats,
    error: context.error,
    unprocessed: context.error === null ? 0 : context.queue.length,
  }),
});

/** The learner machine training with `trainer` and publishing its weights through `publishWeights`. */
export function learnerWithTrainer(trainer: LearnerTrainer, publishWeights: PublishWeights) {
  return learnerMachine.provide({
    actors: {
      // async: a synchronous throw (a bad credit config) becomes a rejection, i.e. the failed state
      train: fromPromise<TrainStats, TrainInput>(async ({ input }) =>
        trainer.trainPpo(computeAdvantages(input.records, input.credit)),
      ),
      publish: fromPromise<void, { version: number }>(async ({ input }) =>
        publishWeights(trainer.params, input.version),
      ),
    },
  });
}
