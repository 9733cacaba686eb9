/**
 * The trial's `setup`: context, events and the named implementations of both
 * trial machines (trial.ts): the default one's own play/reflect turns (through
 * the turn functions of turns.ts and one policy child) and the composed one's
 * episode/reflector outputs. Kept apart from the machine configs for size.
 */

import { type AnyActorRef, assign, emit, enqueueActions, raise, setup } from 'xstate';
import type { GenerationRequest } from '../policy/types.js';
import type { TrialRecord } from '../streams/types.js';
import { type EpisodeOutput, episodeMachine, resolveEpisodeInput } from './episode.js';
import type { TrialMachineEmitted, TurnEmitted } from './events.js';
import { missingPolicy, type ReplyErrorEvent, type ReplyEvent } from './policy-actor.js';
import { type ReflectorOutput, reflectorMachine, resolveReflectorInput } from './reflector.js';
import { canRetry, describeFailure, requestKey, retryDelay, turnTarget } from './shared.js';
import {
  type AttemptRun,
  episodeInput,
  reflectorInput,
  resolveTrialInput,
  type TrialContext,
  type TrialEvent,
  type TrialInput,
} from './trial-config.js';
import { type PlayTurn, playReply, playRequest, reflectReply, reflectRequest } from './turns.js';

/**
 * The turn to report: a child's `turn` event, else the trial's own latest turn; after a crash, only
 * when the reply's turn was recorded (the env threw building the next prompt, see `applyPlay`).
 */
export function turnOf(c: TrialContext, event: { type: string }): TurnEmitted | null {
  if (event.type === 'turn') return event as TurnEmitted;
  const sample = c.samples[c.samples.length - 1];
  if (c.failed === null) return { type: 'turn', sample: sample! };
  const answered =
    sample !== undefined &&
    event.type === 'reply' &&
    requestKey(sample, sample.attempt, sample.turn, sample.phase) === (event as ReplyEvent).key;
  return answered ? { type: 'turn', sample } : null;
}

// created once (an action created inside another actor's custom action draws an XState dev warning)
const emitLatest = emit<TrialContext, TrialEvent, undefined, TrialEvent, TrialMachineEmitted>(
  ({ context, event }) => turnOf(context, event)!,
);

// the next turn's request, built in the same context update as the reply it follows (one assign per turn)
function nextRequest(play: AttemptRun): GenerationRequest | null {
  return play.done || play.history.length >= play.cfg.maxTurns
    ? null
    : playRequest(play.cfg, play.state, play.history);
}

const failure = (error: unknown) => ({ failed: describeFailure(error), request: null });

/** The attempt `play` can take no further turn: it ended, its turn budget is spent, or the trial failed. */
const over = (play: AttemptRun, failed: string | null | undefined): boolean =>
  failed != null || play.done || play.history.length >= play.cfg.maxTurns;

/**
 * An attempt is over: the default trial closes it in the same context update that ended it (see
 * `closeAttempt`), so between steps its `play` is null; a failed trial is over too.
 */
export const attemptOver = (c: TrialContext): boolean => c.failed !== null || c.play === null;

/*
 * The context updates of the default trial's own-state actions, as pure functions (the named assign
 * actions below call them).
 */

/**
 * The context that closes attempt `run`: its history joins the memory (unless memory mode `none`) and
 * `last` (what the reflection reads), the schedule moves one step on. The update that ends an attempt
 * (its last reply, a budget of 0, a failure) includes it, so an attempt's end costs no context update
 * of its own (each one clones the context and the snapshot; MineSweeper ends ~2.7 attempts a trial).
 */
export function closeAttempt(c: TrialContext, run: AttemptRun): Partial<TrialContext> {
  const { attempt } = run.cfg;
  return {
    step: c.step + 1,
    attempt: c.attempt + 1,
    memory:
      c.cfg.memoryMode === 'none'
        ? c.memory
        : [...c.memory, { attempt, history: run.history, reflection: '' }],
    last: { attempt, final: run.state, history: run.history },
    play: null,
  };
}

/** `update` for attempt `play`, closing it when it is over (see `closeAttempt`). */
function settleAttempt(
  c: TrialContext,
  play: AttemptRun,
  update: Partial<TrialContext>,
): Partial<TrialContext> {
  return over(play, update.failed) ? Object.assign(update, closeAttempt(c, play)) : update;
}

export function startAttemptUpdate(c: TrialContext): Partial<TrialContext> {
  // a reflection whose reply could not be applied goes on to `playing` failed: nothing to start
  if (c.failed !== null) return {};
  let cfg: AttemptRun['cfg'];
  try {
    cfg = resolveEpisodeInput(episodeInput(c));
  } catch (error) {
    return failure(error);
  }
  const play: AttemptRun = { cfg, state: cfg.initial, history: [], done: false };
  // the attempt's first request in the same context update (none when its turn budget is 0)
  const update: Partial<TrialContext> = { play, request: null, tries: 0 };
  try {
    update.request = nextRequest(play);
  } catch (error) {
    update.failed = describeFailure(error);
  }
  return settleAttempt(c, play, update);
}

export function applyPlayUpdate(c: TrialContext, event: ReplyEvent): Partial<TrialContext> {
  const run = c.play!;
  let t: PlayTurn;
  try {
    t = playReply(run.cfg, run.state, run.history.length, c.request, event.generation);
  } catch (error) {
    return Object.assign(failure(error), closeAttempt(c, run));
  }
  const play: AttemptRun = {
    cfg: run.cfg,
    state: t.state,
    history: [...run.history, t.record],
    done: t.record.done,
  };
  const update: Partial<TrialContext> = {
    play,
    samples: [...c.samples, t.sample],
    wonAt: t.record.won ? run.cfg.attempt : c.wonAt,
    request: null,
    tries: 0,
  };
  // the turn stands even when the next request cannot be built (the trial then ends failed)
  try {
    update.request = nextRequest(play);
  } catch (error) {
    update.failed = describeFailure(error);
  }
  return settleAttempt(c, play, update);
}

export function prepareReflectionUpdate(c: TrialContext): Partial<TrialContext> {
  try {
    const reflect = resolveReflectorInput(reflectorInput(c));
    return { reflect, request: reflectRequest(reflect), tries: 0 };
  } catch (error) {
    return failure(error);
  }
}

export function applyReflectionUpdate(c: TrialContext, event: ReplyEvent): Partial<TrialContext> {
  try {
    const t = reflectReply(c.reflect!, c.request, event.generation);
    const { attempt } = c.reflect!;
    return {
      step: c.step + 1,
      memory: c.memory.map((m) => (m.attempt === attempt ? { ...m, reflection: t.reflection } : m)),
      samples: [...c.samples, t.sample],
      reflect: null,
      request: null,
      tries: 0,
    };
  } catch (error) {
    return failure(error);
  }
}

/** The reflection's reply applied, then the next attempt started on the context it leaves. */
export function reflectThenPlayUpdate(c: TrialContext, event: ReplyEvent): Partial<TrialContext> {
  const update = applyReflectionUpdate(c, event);
  return Object.assign(update, startAttemptUpdate(Object.assign({}, c, update)));
}

/** The trial's record, built when it ends (the named action `finish`). */
export function finishUpdate(c: TrialContext): Partial<TrialContext> {
  const record: TrialRecord = {
    taskId: c.cfg.taskId,
    groupId: c.cfg.groupId,
    trialId: c.cfg.trialId,
    envId: c.cfg.envId,
    taskType: c.taskType,
    seed: c.cfg.seed,
    attempts: c.cfg.attempts,
    samples: c.samples,
    wonAt: c.wonAt,
  };
  if (c.failed !== null) record.failed = c.failed;
  return { record };
}

/** Guards of the default trial (named below), as functions. */
export const finished = (c: TrialContext): boolean =>
  c.failed !== null || c.wonAt !== null || c.step >= c.cfg.schedule.length;
export const playNext = (c: TrialContext): boolean => c.cfg.schedule[c.step]!.phase === 'play';

/** An attempt is over and the trial ends with it (closed: the `next` state's `finished`). */
export const attemptEnds = (c: TrialContext): boolean => attemptOver(c) && finished(c);
/** An attempt is over and a play step follows it (closed: the `next` state's `playNext`). */
export const attemptThenPlay = (c: TrialContext): boolean => attemptOver(c) && !finished(c) && playNext(c);
/**
 * The step after the reflection being asked is a play step (else the trial ends: a reflect step is
 * followed by a play step or nothing, validateSchedule; the reflection cannot be a win).
 */
export const playAfterReflection = (c: TrialContext): boolean =>
  c.step + 1 < c.cfg.schedule.length && c.cfg.schedule[c.step + 1]!.phase === 'play';

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
    // the attempt's settings and its first request (unless it is over at once: `attemptOver` ends it)
    startAttempt: assign(({ context }) => startAttemptUpdate(context)),
    // apply the reply and build the next turn's request in ONE context update (each assign clones the
    // context and the snapshot: one clone per turn instead of two)
    applyPlay: assign(({ context, event }) => applyPlayUpdate(context, event as ReplyEvent)),
    prepareReflection: assign(({ context }) => prepareReflectionUpdate(context)),
    applyReflection: assign(({ context, event }) => applyReflectionUpdate(context, event as ReplyEvent)),
    // a reflection's reply and the start of the attempt that follows it, in one context update
    reflectThenPlay: assign(({ context, event }) => reflectThenPlayUpdate(context, event as ReplyEvent)),
    // a direct send to the policy child, not `sendTo` (a deferred relay per call)
    ask: ({ context, self }) => {
      if (context.request === null || context.failed !== null) return;
      const children = self.getSnapshot().children as Record<string, AnyActorRef | undefined>;
      children.policy?.send({ type: 'ask', request: context.request });
    },
    noteFailure: assign(({ context }) => ({ tries: context.tries + 1 })),
    scheduleRetry: raise({ type: 'retry' }, { delay: 'retryDelay' }),
    // a call failed for good: the trial fails, closing the attempt it was playing (see `closeAttempt`)
    failCall: assign(({ context, event }) => {
      const update = { failed: describeFailure((event as ReplyErrorEvent).error) };
      return context.play === null ? update : Object.assign(update, closeAttempt(context, context.play));
    }),
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
    /** Called when the trial ends; `trialWithPolicy` drops the trial's replay-cache entries here. */
    trialEnded: () => {},
  },
  guards: {
    finished: ({ context }) => finished(context),
    playNext: ({ context }) => playNext(context),
    attemptOver: ({ context }) => attemptOver(context),
    attemptEnds: ({ context }) => attemptEnds(context),
    attemptThenPlay: ({ context }) => attemptThenPlay(context),
    playAfterReflection: ({ context }) => playAfterReflection(context),
    crashed: ({ context: c }) => c.failed !== null,
    canRetry,
  },
  delays: { retryDelay },
});

/**
 * The default trial's initial context: {@link initialContext} with its first attempt started (what the
 * `startAttempt` action does on the other ways into `playing`), so the trial's start costs no context
 * update of its own.
 */
export function initialPlayContext(args: { input: TrialInput }): TrialContext {
  const c = initialContext(args);
  return Object.assign(c, startAttemptUpdate(c));
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
