/**
 * The trial machine: up to N attempts of one task instance (reference §2).
 * The attempt schedule is data (`schedule.ts`): play; then, while attempts
 * remain and the task is not yet won, reflect, restart from the identical
 * initial state, play. The trial stops at the first win (no reflection after
 * a success).
 *
 * Memory is explicit in context (`memory: AttemptMemory[]`, one entry per
 * finished attempt, its reflection filled in by the following reflect step).
 * Memory modes: `reflection_only` (reference default), `history_only`,
 * `history_and_reflection`, and `none`: independent retries with no memory,
 * no reflection turns, every attempt rendered as attempt 0 (our fix of
 * reference bug §12.7). The env's prompts do the wording; this machine passes
 * the attempt index, the attempt's own history and the memory.
 *
 * Three machines from one `setup` (trial-setup.ts: same context, record and named implementations):
 * - `trialMachine` (the default) plays its attempts and reflections in its
 *   own states `playing` / `reflecting`, through ONE policy child for the
 *   whole trial (`policy`, from the named actor `generate`), with the turn
 *   functions the episode and reflector machines use (turns.ts): prompts,
 *   keys and samples are the same. A failed call is retried after a backoff
 *   (a delayed `retry`, delay `retryDelay`), then the trial ends `failed`.
 *   Starting an episode and a reflector actor per attempt cost more than the
 *   turns of a short attempt (bench:engine), hence this form.
 * - `servedTrialMachine`: the same states without the policy child and without
 *   its own `turn` / `trial` emits (only its rollout holds it: it forwards them);
 *   the rollout that runs it provides `ask` (served.ts: its PolicyClient answers
 *   the trial directly). `rolloutWithPolicy` runs it in place of `trialMachine`.
 *   Its end is no state of its own: in `playing` it reports the record to its
 *   rollout and waits for the slot's next trial, so one actor plays a lane slot's
 *   trials in turn.
 * - `composedTrialMachine` invokes the `episode` and `reflector` machines per
 *   step (swap them with `provide`, or `trialWithPolicy(..., parts)`): the
 *   composition custom trial machines follow (examples/custom-trial.ts).
 * An env that throws ends the trial `failed` with the turns played so far.
 *
 * In `playing`, the update that enters it (the initial context, `restart`)
 * sets up an attempt and builds its first request, and `applyReply` applies
 * each reply (a play turn's or a reflection's) AND builds the next request
 * (one context update per turn); the update that ends a step starts the next
 * one, an attempt or a reflection's request (`closeAttempt`).
 *
 * Named implementations: actors `generate`, `episode`, `reflector`; actions
 * `applyReply`, `ask`, `noteFailure`, `scheduleRetry`, `failCall`,
 * `recordAttempt`, `recordReflection`, `crash`, `finish`, `emitTurn`,
 * `forwardTurn`, `reportTrial`, `trialEnded`, `reportEnd`, `restart`, `handOver`; guards `finished`,
 * `playNext`, `attemptEnds`, `endsUnreported`, `canRetry`; delay `retryDelay`.
 */
import { episodeInput, reflectorInput } from './trial-config.js';
import { initialContext, initialPlayContext, trialSetup } from './trial-setup.js';

/** The composed trial's step chooser (a transient state; the default trial decides as a step ends). */
const next = {
  always: [
    { guard: 'finished', target: 'done' },
    { guard: 'playNext', target: 'playing' },
    { target: 'reflecting' },
  ],
} as const;

const done = { type: 'final', entry: ['finish', 'reportTrial', 'trialEnded'] } as const;

/** How the default trial reports a turn and its end: emitted to its own listeners and forwarded. */
const REPORTED = {
  turn: ['emitTurn', 'forwardTurn'],
  // the update that ended a step started the next one (trial-updates.ts `closeAttempt`,
  // `applyReplyUpdate`) or left the trial over: it ends
  end: { always: { guard: 'attemptEnds', target: 'done' }, on: {} },
  // the update that ended the trial built its record (trial-updates.ts `recorded`): no `finish`
  done: { type: 'final', entry: ['reportTrial', 'trialEnded'] },
} as const;
/**
 * How a served trial reports them (servedTrialMachine): only the rollout holds it, so nothing can
 * listen to its own `turn` and `trial` emits (the rollout emits both); forwarded only. Until
 * 2026-12-07 they were there, provided as no-ops: two actions a turn instead of one.
 *
 * Its end is not a final state, nor a state at all: once the update that ended it built its record, an
 * eventless transition of `playing` (`endsUnreported`, no target) tells its rollout (`reportEnd`: the
 * `lane.done` event its lane would send, with the record the final state's output carried and this actor;
 * to its lane as `trial.done` when the rollout has no system id) and hands the record over (`handOver`:
 * the slot keeps none, so it is reported once); the actor then waits in `playing` for the next trial of its
 * slot, which the rollout sends it (`run`, taken once the trial is over, `attemptEnds`: `restart` sets the
 * context up as a new actor's would be, and `ask` asks its first request). Why no `done` state (since
 * session 12): entering it and leaving it again for the next trial were two state changes a trial (exit and
 * entry sets, a snapshot of new state nodes, an eventless selection more): own −2 to −11% a MineSweeper turn
 * (same-process A/B, 4 series, docs/experiments.md). `done` stays for snapshots persisted in it before: a
 * trial restored there plays its slot's next trial as before. Why two
 * events a trial and not four (trial → lane → rollout → lane → trial): the lane's two were ~7% of the
 * engine's own CPU a MineSweeper turn (docs/experiments.md, session 10). Why: an actor per trial
 * (constructed, initialised, stopped, its done event handled by the lane, the next one spawned) was
 * the largest fixed cost per trial left (bench:engine, MineSweeper's short trials: ~11% of the engine's
 * own CPU a turn); the trial's sequencing stays in these transitions, and which trials run together
 * is the rollout's choice as before (lane.ts).
 */
const FORWARDED = {
  turn: ['forwardTurn'],
  // the trial over: its end reported and its record handed over in `playing` (no state change), where
  // the slot's next trial (`run`) is taken once it is over
  end: {
    always: { guard: 'endsUnreported', actions: ['trialEnded', 'reportEnd', 'handOver'] },
    on: { run: { guard: 'attemptEnds', actions: ['restart', 'ask'] } },
  },
  // only for a snapshot persisted while a served trial waited here (before session 12)
  done: {
    entry: ['trialEnded', 'reportEnd'],
    on: { run: { target: 'playing', actions: 'restart' } },
  },
} as const;

/**
 * The default trial's states: attempts and reflections played in its own state `playing`. A reply is
 * one microstep; `resume` (sent to a restored trial served by its rollout, see served.ts) asks the
 * pending request again.
 *
 * A step's end goes straight to the next step, not through `next` (the composed trial's chooser):
 * the context update that ends an attempt (its last reply, a turn budget of 0) also closes it and
 * starts the next step (`closeAttempt`: memory, `last`, the next schedule step: an attempt or a
 * reflection's request), and a reflection's reply starts the attempt after it (`applyReply`:
 * trial-updates.ts `applyReplyUpdate`); the same transition asks the new request, and the trial stays
 * in `playing` until the update leaves it over and finished (`attemptEnds`: `next`'s `finished` on the
 * closed context): then `done`. A reply that cannot be applied, or a call failed for good, fails the
 * trial, and `playing` ends it. Why: `next` cost two microsteps per step boundary (bench:engine), and
 * MineSweeper's short attempts have many; since session 11 a reflection is played in `playing` too:
 * entering and leaving a `reflecting` state (exit and entry sets, a snapshot of new state nodes) and
 * building its request in an update of its own (`prepareReflection`) cost more than the reply itself
 * (~2.7 attempts a MineSweeper trial), and `playing` checks one `always` guard after a reply instead of
 * three. The record, turns and policy calls are the same; a trial waiting for its reflection's reply
 * now rests in `playing` with the reflection in `context.reflect`. `reflecting` stays for snapshots
 * persisted in it before: such a trial plays its reflection's reply there as before, then plays on in
 * `playing`.
 */
const ownStates = (report: typeof REPORTED | typeof FORWARDED) =>
  ({
    // every way in starts the step in its own context update: the initial context
    // (`initialPlayContext`), `restart` (a served trial's next trial), a restored `reflecting`'s reply;
    // its entry asks the pending request
    playing: {
      entry: 'ask',
      always: report.end.always,
      on: {
        ...report.end.on,
        // one microstep per turn: apply the reply (a play turn's or a reflection's) and build the next
        // request, report the turn, ask
        reply: { actions: ['applyReply', ...report.turn, 'ask'] },
        'reply.error': [
          { guard: 'canRetry', actions: ['noteFailure', 'scheduleRetry'] },
          { actions: ['noteFailure', 'failCall'] },
        ],
        retry: { actions: 'ask' },
        resume: { actions: 'ask' },
      },
    },
    // only for a snapshot persisted while a trial waited here for its reflection (before session 11): its
    // reply is applied as `playing` applies one (the reflection pending in `reflect`), and `playing` plays
    // on or ends the trial
    reflecting: {
      on: {
        reply: { target: 'playing', actions: ['applyReply', ...report.turn] },
        'reply.error': [
          { guard: 'canRetry', actions: ['noteFailure', 'scheduleRetry'] },
          { target: 'done', actions: ['noteFailure', 'failCall'] },
        ],
        retry: { actions: 'ask' },
        resume: { actions: 'ask' },
      },
    },
    done: report.done,
  }) as const;

/** The default trial: attempts and reflections played in its own states through one policy child. */
export const trialMachine = trialSetup.createMachine({
  id: 'trial',
  context: initialPlayContext,
  // the policy child lives as long as the trial (one actor, not one per attempt or call)
  invoke: { id: 'policy', src: 'generate' },
  // a schedule starts with a play step (validateSchedule): straight to it, not through `next`
  initial: 'playing',
  states: ownStates(REPORTED),
  output: ({ context }) => context.record!,
});

/**
 * The default trial without a policy child: the same states, its `ask` action provided by the rollout
 * that runs it (`rolloutWithPolicy`, served.ts), which calls the rollout's PolicyClient and sends the
 * reply to the trial. Why: the child was a second actor per trial and a second event per turn, the
 * largest share of the engine's own cost after XState's per-event work (bench:engine). It reports a
 * turn and its end by `forwardTurn` only (FORWARDED above): a spawned trial's emits have no listener.
 * An actor of it plays the trials of one lane slot in turn: at a trial's end it reports to its rollout and
 * waits, in `playing` with the trial over, for the slot's next trial (a `run` event); it has no final state.
 */
export const servedTrialMachine = trialSetup.createMachine({
  id: 'trial',
  context: initialPlayContext,
  initial: 'playing',
  states: ownStates(FORWARDED),
  output: ({ context }) => context.record!,
});

/** The trial composed of episode and reflector machines (one child per step). */
export const composedTrialMachine = trialSetup.createMachine({
  id: 'trial',
  context: initialContext,
  initial: 'next',
  on: { turn: { actions: ['emitTurn', 'forwardTurn'] } },
  states: {
    next,
    playing: {
      invoke: {
        src: 'episode',
        input: ({ context }) => episodeInput(context),
        onDone: { target: 'next', actions: 'recordAttempt' },
        onError: { target: 'next', actions: 'crash' },
      },
    },
    reflecting: {
      invoke: {
        src: 'reflector',
        input: ({ context }) => reflectorInput(context),
        onDone: { target: 'next', actions: 'recordReflection' },
        onError: { target: 'next', actions: 'crash' },
      },
    },
    done,
  },
  output: ({ context }) => context.record!,
});
