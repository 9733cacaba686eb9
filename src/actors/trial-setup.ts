/**
 * The trial's `setup`: context, events and the named implementations of both
 * trial machines (trial.ts): the default one's own play/reflect turns (the pure
 * context updates of trial-updates.ts over the turn functions of turns.ts, and
 * one policy child) and the composed one's episode/reflector outputs. Kept apart
 * from the machine configs for size.
 */

import { assign, emit, enqueueActions, raise, sendTo, setup } from 'xstate';
import type { TrialRecord, TurnSample } from '../streams/types.js';
import { type EpisodeOutput, episodeMachine } from './episode.js';
import type { TrialMachineEmitted, TurnEmitted } from './events.js';
import type { LaneDoneEvent } from './lane.js';
import { missingPolicy, type ReplyErrorEvent, type ReplyEvent } from './policy-actor.js';
import { type ReflectorOutput, reflectorMachine } from './reflector.js';
import { askPolicy, canRetry, describeFailure, requestKey, retryDelay, turnTarget } from './shared.js';
import {
  resolveTrialInput,
  type TrialContext,
  type TrialDoneEvent,
  type TrialEvent,
  type TrialInput,
  type TrialRunEvent,
} from './trial-config.js';
import {
  applyReplyUpdate,
  attemptEnds,
  failCallUpdate,
  finished,
  finishUpdate,
  playNext,
  recorded,
  startAttemptUpdate,
} from './trial-updates.js';

/**
 * The sample of the turn to report: a child's `turn` event's, else the trial's own latest turn; after a
 * crash, only when the reply's turn was recorded (the env threw building the next prompt, see `applyReply`).
 */
export function turnSampleOf(c: TrialContext, event: { type: string }): TurnSample | null {
  if (event.type === 'turn') return (event as TurnEmitted).sample;
  const sample = c.samples[c.samples.length - 1];
  if (sample === undefined) return null;
  if (c.failed === null) return sample;
  const answered =
    event.type === 'reply' &&
    requestKey(sample, sample.attempt, sample.turn, sample.phase) === (event as ReplyEvent).key;
  return answered ? sample : null;
}

/** The turn to report as a `turn` event (see {@link turnSampleOf}): a child's own event, else a new one. */
export function turnOf(c: TrialContext, event: { type: string }): TurnEmitted | null {
  if (event.type === 'turn') return event as TurnEmitted;
  const sample = turnSampleOf(c, event);
  return sample === null ? null : { type: 'turn', sample };
}

// created once (an action created inside another actor's custom action draws an XState dev warning)
const emitLatest = emit<TrialContext, TrialEvent, undefined, TrialEvent, TrialMachineEmitted>(
  ({ context, event }) => turnOf(context, event)!,
);

export const trialSetup = setup({
  types: {
    input: {} as TrialInput,
    context: {} as TrialContext,
    output: {} as TrialRecord,
    events: {} as TrialEvent,
    emitted: {} as TrialMachineEmitted,
  },
  actors: { episode: episodeMachine, reflector: reflectorMachine, generate: missingPolicy },
  actions: {
    // apply the reply (a play turn's or a reflection's) and build the next request in ONE context update
    // (each assign clones the context and the snapshot: one clone per turn instead of two)
    // (every update of the default trial's states adds the record when it ends the trial: `recorded`)
    applyReply: assign(({ context, event }) =>
      recorded(context, applyReplyUpdate(context, event as ReplyEvent)),
    ),
    // a direct send to the policy child, not `sendTo` (a deferred relay per call)
    ask: ({ context, self }) => {
      if (context.request !== null && context.failed === null) askPolicy(self, context.request);
    },
    noteFailure: assign(({ context }) => ({ tries: context.tries + 1 })),
    scheduleRetry: raise({ type: 'retry' }, { delay: 'retryDelay' }),
    // a call failed for good: the trial fails, closing the attempt it was playing
    failCall: assign(({ context, event }) =>
      recorded(context, failCallUpdate(context, (event as ReplyErrorEvent).error)),
    ),
    // the composed trial: an episode or reflector child finished
    recordAttempt: assign(({ context: c, event }) => {
      const out = (event as unknown as { output: EpisodeOutput }).output;
      const memory =
        c.cfg.memoryMode === 'none'
          ? c.memory
          : [...c.memory, { attempt: out.attempt, history: out.history, reflection: '' }];
      return {
        step: c.step + 1,
        attempt: c.attempt + 1,
        memory,
        last: { attempt: out.attempt, final: out.final, history: out.history },
        samples: c.samples.concat(out.samples),
        wonAt: out.won ? out.attempt : c.wonAt,
        failed: out.failed,
      };
    }),
    recordReflection: assign(({ context: c, event }) => {
      const out = (event as unknown as { output: ReflectorOutput }).output;
      const memory = c.memory.map((m) =>
        m.attempt === out.attempt ? { ...m, reflection: out.reflection } : m,
      );
      return {
        step: c.step + 1,
        memory,
        samples: out.sample ? [...c.samples, out.sample] : c.samples,
        failed: out.failed,
      };
    }),
    crash: assign(({ event }) => ({ failed: describeFailure((event as { error?: unknown }).error) })),
    finish: assign(({ context }) => finishUpdate(context)),
    emitTurn: enqueueActions(({ context, event, enqueue }) => {
      if (turnOf(context, event)) enqueue(emitLatest);
    }),
    // to the `reportTo` actor (the rollout), else the parent; a direct send: one plain hop per turn
    forwardTurn: ({ context, event, self, system }) => {
      const turn = turnOf(context, event);
      if (turn) turnTarget(context.cfg.reportTo, self, system)?.send(turn);
    },
    reportTrial: emit(({ context }) => ({ type: 'trial' as const, record: context.record! })),
    // a served trial's end (servedTrialMachine): straight to its rollout (the `reportTo` actor) as its lane's
    // report, naming this actor, which waits in its slot for the rollout's `run`; to its lane (`trial.done`,
    // the lane reports it) when the rollout has no system id. Why: two events a trial, not four (lane.ts)
    reportEnd: sendTo(
      ({ context, self, system }) => turnTarget(context.cfg.reportTo, self, system)!,
      ({ context, self, system }): TrialDoneEvent | LaneDoneEvent => {
        const lane = self._parent!;
        const record = context.record!;
        return turnTarget(context.cfg.reportTo, self, system) === lane
          ? { type: 'trial.done', slot: self.id, record }
          : { type: 'lane.done', lane: lane.id, slot: self.id, trialId: record.trialId, record, actor: self };
      },
    ),
    // the next trial of a served trial's slot: the context a new actor's would be (`initialPlayContext`)
    restart: assign(({ event }) => initialPlayContext({ input: (event as TrialRunEvent).trial })),
    // a served trial's end reported: the rollout has its record, the slot keeps none (nor reports it again)
    handOver: assign({ record: null }),
    /** Called when the trial ends; `trialWithPolicy` drops the trial's replay-cache entries here. */
    trialEnded: () => {},
  },
  guards: {
    finished: ({ context }) => finished(context),
    playNext: ({ context }) => playNext(context),
    attemptEnds: ({ context }) => attemptEnds(context),
    // a served trial over whose record is not handed over yet (`handOver`)
    endsUnreported: ({ context }) => context.record !== null && attemptEnds(context),
    canRetry,
  },
  delays: { retryDelay },
});

/**
 * The default trial's initial context: {@link initialContext} with its first attempt started (what the
 * update that closes an attempt does for the next step, trial-updates.ts `closeAttempt`), so the trial's
 * start costs no context update of its own.
 */
export function initialPlayContext(args: { input: TrialInput }): TrialContext {
  const c = initialContext(args);
  return Object.assign(c, recorded(c, startAttemptUpdate(c)));
}

export function initialContext({ input }: { input: TrialInput }): TrialContext {
  const { cfg, initial, taskType } = resolveTrialInput(input);
  return {
    cfg,
    initial,
    taskType,
    step: 0,
    attempt: 0,
    memory: [],
    last: null,
    samples: [],
    wonAt: null,
    failed: null,
    record: null,
    play: null,
    reflect: null,
    request: null,
    tries: 0,
  };
}
