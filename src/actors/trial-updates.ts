/**
 * The default trial's context updates and guards as pure functions over its context (trial.ts,
 * `ownStates`): the named assign actions and guards of trial-setup.ts call them. A play reply is
 * one update (apply it, build the next request); the update that ends an attempt also closes it
 * (`closeAttempt`), and every way into `playing` starts the attempt in its own update, so a step
 * boundary costs no context update of its own (each `assign` clones the context and the snapshot).
 */
import type { GenerationRequest } from '../policy/types.js';
import type { TrialRecord } from '../streams/types.js';
import { checkMaxTurns, type EpisodeConfig } from './episode.js';
import type { ReplyEvent } from './policy-actor.js';
import { appended, describeFailure, stepFailure } from './shared.js';
import { type AttemptRun, episodeInput, reflectorInput, type TrialContext } from './trial-config.js';
import { type PlayTurn, playReply, playRequest, reflectReply, reflectRequest } from './turns.js';

// the next turn's request, built in the same context update as the reply it follows (one assign per turn)
function nextRequest(play: AttemptRun): GenerationRequest | null {
  return play.done || play.history.length >= play.cfg.maxTurns
    ? null
    : playRequest(play.cfg, play.state, play.history);
}

/**
 * The settings of the attempt at the current play step: {@link episodeInput}, whose turn budget the
 * episode machine would check when it resolves it (a step's budget that is not an integer >= 0 is a
 * ConfigError, `checkMaxTurns`). Why not `resolveEpisodeInput(episodeInput(c))`: a second object, the
 * env lookup and the task type again at every attempt were work the plain loop does not do
 * (bench:engine, ~2.7 attempts a MineSweeper trial).
 */
export function attemptConfig(c: TrialContext): EpisodeConfig {
  const cfg = episodeInput(c);
  checkMaxTurns(cfg.maxTurns);
  return cfg;
}

/** The attempt `play` can take no further turn: it ended, its turn budget is spent, or the trial failed. */
const over = (play: AttemptRun, failed: string | null | undefined): boolean =>
  failed != null || play.done || play.history.length >= play.cfg.maxTurns;

/*
 * The context updates of the default trial's own-state actions, as pure functions (the named assign
 * actions below call them).
 */

/**
 * The context that closes attempt `run` (on `c` as `update` leaves it): its history joins the memory
 * (unless memory mode `none`) and `last` (what the reflection reads), the schedule moves one step on,
 * and that step starts in the same update (see {@link nextStep}). The update that ends an attempt (its
 * last reply, a budget of 0) includes it, so a step boundary costs no context update of its own (each
 * one clones the context and the snapshot; MineSweeper ends ~2.7 attempts a trial).
 */
export function closeAttempt(
  c: TrialContext,
  run: AttemptRun,
  update: Partial<TrialContext>,
): Partial<TrialContext> {
  const { attempt } = run.cfg;
  Object.assign(update, {
    step: c.step + 1,
    attempt: c.attempt + 1,
    memory:
      c.cfg.memoryMode === 'none'
        ? c.memory
        : [...c.memory, { attempt, history: run.history, reflection: '' }],
    last: { attempt, final: run.state, history: run.history },
    play: null,
  });
  return update.failed != null ? update : Object.assign(update, nextStep(Object.assign({}, c, update)));
}

/**
 * The step after a closed attempt, started on the context `c` that closed it: nothing when the trial
 * ends (`finished`), a play step's attempt ({@link startAttemptUpdate}), or a reflect step's request
 * ({@link prepareReflectionUpdate}). The default trial's `playing` then ends the trial (`attemptEnds`)
 * or plays the step in place. Why: entering a reflection or the next attempt in an update of its own
 * (`prepareReflection`, `startAttempt`) cost an `assign` (a context and snapshot clone) per step boundary.
 */
function nextStep(c: TrialContext): Partial<TrialContext> {
  if (finished(c)) return {};
  return playNext(c) ? startAttemptUpdate(c) : prepareReflectionUpdate(c);
}

/**
 * `update` for attempt `play` with its next request (null when none; a request that cannot be built
 * fails the trial, the rest of the update stands), closing the attempt when it is over (see
 * `closeAttempt`).
 */
function settleAttempt(
  c: TrialContext,
  play: AttemptRun,
  update: Partial<TrialContext>,
): Partial<TrialContext> {
  try {
    update.request = nextRequest(play);
  } catch (error) {
    update.failed = describeFailure(error);
  }
  return over(play, update.failed) ? closeAttempt(c, play, update) : update;
}

export function startAttemptUpdate(c: TrialContext): Partial<TrialContext> {
  // a reflection whose reply could not be applied goes on to `playing` failed: nothing to start
  if (c.failed !== null) return {};
  let cfg: AttemptRun['cfg'];
  try {
    cfg = attemptConfig(c);
  } catch (error) {
    return stepFailure(error);
  }
  const play: AttemptRun = { cfg, state: cfg.initial, history: [], done: false };
  // the attempt's first request in the same context update (none when its turn budget is 0)
  return settleAttempt(c, play, { play, request: null, tries: 0 });
}

export function applyPlayUpdate(c: TrialContext, event: ReplyEvent): Partial<TrialContext> {
  const run = c.play!;
  let t: PlayTurn;
  try {
    t = playReply(run.cfg, run.state, run.history.length, c.request, event.generation);
  } catch (error) {
    return closeAttempt(c, run, stepFailure(error));
  }
  const play: AttemptRun = {
    cfg: run.cfg,
    state: t.state,
    history: appended(run.history, t.record),
    done: t.record.done,
  };
  const update: Partial<TrialContext> = {
    play,
    samples: appended(c.samples, t.sample),
    wonAt: t.record.won ? run.cfg.attempt : c.wonAt,
    request: null,
    tries: 0,
  };
  // the turn stands even when the next request cannot be built (the trial then ends failed)
  return settleAttempt(c, play, update);
}

/** A call failed for good: the trial fails, closing the attempt it was playing (see `closeAttempt`). */
export function failCallUpdate(c: TrialContext, error: unknown): Partial<TrialContext> {
  const update = { failed: describeFailure(error) };
  return c.play === null ? update : closeAttempt(c, c.play, update);
}

export function prepareReflectionUpdate(c: TrialContext): Partial<TrialContext> {
  try {
    const reflect = reflectorInput(c);
    return { reflect, request: reflectRequest(reflect), tries: 0 };
  } catch (error) {
    return stepFailure(error);
  }
}

export function applyReflectionUpdate(c: TrialContext, event: ReplyEvent): Partial<TrialContext> {
  try {
    const t = reflectReply(c.reflect!, c.request, event.generation);
    const { attempt } = c.reflect!;
    return {
      step: c.step + 1,
      memory: c.memory.map((m) => (m.attempt === attempt ? { ...m, reflection: t.reflection } : m)),
      samples: appended(c.samples, t.sample),
      reflect: null,
      request: null,
      tries: 0,
    };
  } catch (error) {
    return stepFailure(error);
  }
}

/** The reflection's reply applied, then the next attempt started on the context it leaves. */
export function reflectThenPlayUpdate(c: TrialContext, event: ReplyEvent): Partial<TrialContext> {
  const update = applyReflectionUpdate(c, event);
  return Object.assign(update, startAttemptUpdate(Object.assign({}, c, update)));
}

/**
 * The default trial's reply (the named action `applyReply`): a reflection's while one is pending
 * (`reflect` set), applied and followed by the attempt after it ({@link reflectThenPlayUpdate}) or the
 * trial's end ({@link applyReflectionUpdate}: a reflect step is followed by a play step or nothing);
 * else a play turn's ({@link applyPlayUpdate}).
 */
export function applyReplyUpdate(c: TrialContext, event: ReplyEvent): Partial<TrialContext> {
  if (c.reflect === null) return applyPlayUpdate(c, event);
  return playAfterReflection(c) ? reflectThenPlayUpdate(c, event) : applyReflectionUpdate(c, event);
}

/**
 * `update` with the trial's record (see {@link finishUpdate}) when the context it leaves ends the trial
 * ({@link attemptEnds}, what the default trial's `playing` reads as it enters `done`). Every update of the
 * default trial's states goes through it, so the trial's end costs no `finish` update of its own (an
 * `assign`: a context and snapshot clone per trial).
 */
export function recorded(c: TrialContext, update: Partial<TrialContext>): Partial<TrialContext> {
  return endsAfter(c, update) ? Object.assign(update, finishUpdate(Object.assign({}, c, update))) : update;
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

/** The trial is finished with these values of its context: failed, won, or its schedule done. */
const finishedWith = (c: TrialContext, failed: string | null, wonAt: number | null, step: number): boolean =>
  failed !== null || wonAt !== null || step >= c.cfg.schedule.length;

/** Guards of the default trial (named below), as functions. */
export const finished = (c: TrialContext): boolean => finishedWith(c, c.failed, c.wonAt, c.step);
export const playNext = (c: TrialContext): boolean => c.cfg.schedule[c.step]!.phase === 'play';

/**
 * The trial ends once `update` applies to `c`: it failed, or no attempt is in play (closed, and no
 * reflection pending either: the update that closes an attempt starts the next step) and it is
 * `finished` (won, or the schedule done). Read field by field: not the updated context built per turn.
 */
function endsAfter(c: TrialContext, u: Partial<TrialContext>): boolean {
  const failed = 'failed' in u ? (u.failed as string | null) : c.failed;
  if (failed === null && ('play' in u ? u.play : c.play) !== null) return false;
  return finishedWith(
    c,
    failed,
    'wonAt' in u ? (u.wonAt as number | null) : c.wonAt,
    'step' in u ? u.step! : c.step,
  );
}

const NO_UPDATE: Partial<TrialContext> = Object.freeze({});

/** The trial ends: an attempt is over and the trial `finished` (the `next` state's guard, on the closed context). */
export const attemptEnds = (c: TrialContext): boolean => endsAfter(c, NO_UPDATE);
/**
 * The step after the reflection being asked is a play step (else the trial ends: a reflect step is
 * followed by a play step or nothing, validateSchedule; the reflection cannot be a win).
 */
export const playAfterReflection = (c: TrialContext): boolean =>
  c.step + 1 < c.cfg.schedule.length && c.cfg.schedule[c.step + 1]!.phase === 'play';
