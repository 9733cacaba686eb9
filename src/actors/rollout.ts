/**
 * The rollout machine (orchestrator): for each task a group of n trials on
 * the same instance (same seed, one groupId per task), up to `concurrency`
 * trials in flight at once. The trials run in lanes (lane.ts, the `lane`
 * actor: up to LANE_TRIALS trials each, its `trial` actor swappable with
 * `provide` on the lane, as `rolloutWithPolicy` does), spawned once, so the
 * machine's children are a few lanes, not one child per trial; when a trial
 * ends its slot gets the next (a served trial's actor directly, else through its
 * lane). The trials' turn events are re-emitted here,
 * and a trial that crashed is recorded as failed, never dropped.
 *
 * Emits `turn`, `trial`, `task` (all n trials of a task ended, in trial
 * order) and `done`. Turns arrive one per `turn` event, or a batch's in one
 * `turns` event (`TurnRelay`, which `rolloutWithPolicy` gives its trials).
 * Output: every TrialRecord in plan order (task by task, trial by trial).
 * A kept rollout (`keep`, rollout-runner.ts) does not end after its last
 * trial: it emits `done` with the records and waits in `idle` for the next
 * plan (`rollout.next`), which its lanes and trial actors play.
 *
 * Named actions (default no-op, `rolloutWithPolicy` wires them): `inFlightChanged`
 * tells a batching policy client how many trials are in flight; the wired `collect`
 * first emits the turns its trials' `TurnRelay` still holds when a trial ends.
 */
import { assign, emit, enqueueActions, sendTo, setup } from 'xstate';
import type { Json } from '../envs/core/types.js';
import type { TrialRecord, TurnSample } from '../streams/types.js';
import { ConfigError } from '../util/errors.js';
import type { RolloutEmitted, TaskEmitted, TrialEmitted, TurnEmitted } from './events.js';
import { LANE_TRIALS, type LaneReport, laneMachine } from './lane.js';
import { type CollectAction, collectActions, trialsToStart } from './rollout-collect.js';
import { envOf, ROLLOUT_SYSTEM_ID } from './shared.js';
import { type TrialInput, type TrialSettings, trialSchedule } from './trial-config.js';
import type { TurnsEvent } from './turn-relay.js';

/** One task of a rollout: its seed (the instance), optional id and params. */
export interface RolloutTask {
  /** Default `t{index}-s{seed}`. */
  taskId?: string;
  seed: number;
  /** Per-task params (default the rollout's). */
  params?: Json;
}

/** Input of a rollout (plain JSON). */
export interface RolloutInput {
  envId: string;
  params?: Json;
  tasks: RolloutTask[];
  /** n, trials per task (default 1). */
  trialsPerTask?: number;
  trial?: TrialSettings;
  /** Trials in flight at once (default 64). */
  concurrency?: number;
  /** Prefix of group ids, so groups of different rollouts never collide. */
  runId?: string;
  /**
   * System id the rollout actor is registered under (default `lamer.rollout`);
   * episodes send their turns straight to it (one hop). `createRolloutActor` sets it.
   */
  systemId?: string;
  /**
   * After the last trial, wait in `idle` for the next rollout (`rollout.next`) instead of ending: the
   * lanes and their trials' actors play it (rollout-runner.ts). Default false: the rollout ends (`done`).
   */
  keep?: boolean;
}

/** Start the next rollout on a kept rollout actor waiting in `idle` (`RolloutInput.keep`). */
export interface RolloutNextEvent {
  type: 'rollout.next';
  input: RolloutInput;
}

/** The params of the machine's `sendRun` action. */
type SendRun = Extract<CollectAction, { type: 'sendRun' }>['params'];

/** Context of {@link rolloutMachine} (plain JSON): the plan, trials in flight, and records so far. */
export interface RolloutContext {
  plan: TrialInput[];
  concurrency: number;
  /** Index in `plan` of the next trial to start. */
  next: number;
  /** Trial ids in flight. */
  running: string[];
  /** Plan index of each trial id. */
  index: Record<string, number>;
  /** Records by plan index (null while not finished). */
  results: (TrialRecord | null)[];
  /** Plan indices of each task's trials. */
  taskTrials: Record<string, number[]>;
  /**
   * The trial id each lane slot was last sent (`run`), by lane id and slot id. A served trial's next trial goes
   * straight to its actor, so its lane's own record of the slot is out of date; a trial that crashes there is
   * named from this. Absent in a snapshot persisted before 2026-12-07 (its lanes saw every `run`).
   */
  slots?: Record<string, Record<string, string>>;
  /** The rollout waits for the next one after its last trial (`RolloutInput.keep`). */
  keep?: true;
  /** Lanes spawned (`lane0` ...; a kept rollout's next one starts its trials in them). */
  lanes?: number;
}

/**
 * Events {@link rolloutMachine} handles: its trials' turns (one at a time, or a batch's at once from a
 * `TurnRelay`), how each trial ended (from its lane, or from a served trial itself), and, kept and
 * idle, the next rollout.
 */
export type RolloutEvent = TurnEmitted | TurnsEvent | LaneReport | RolloutNextEvent;

/** The ordered trial inputs of a rollout. */
export function planRollout(input: RolloutInput): TrialInput[] {
  const env = envOf(input.envId);
  const n = input.trialsPerTask ?? 1;
  if (!(Number.isInteger(n) && n >= 1))
    throw new ConfigError(`trialsPerTask must be an integer >= 1, got ${n}`);
  trialSchedule(input.trial ?? {});
  const plan: TrialInput[] = [];
  const seen = new Set<string>();
  input.tasks.forEach((task, i) => {
    const taskId = task.taskId ?? `t${i}-s${task.seed}`;
    if (seen.has(taskId)) throw new ConfigError(`duplicate task id "${taskId}"`);
    seen.add(taskId);
    const groupId = input.runId ? `${input.runId}/${taskId}` : taskId;
    for (let k = 0; k < n; k++) {
      // Object.assign, not `{ ...input.trial, envId, ... }` (slow on V8 11.3, see trial-config.ts `episodeInput`)
      const trial: TrialInput = Object.assign({}, input.trial, {
        envId: env.id,
        seed: task.seed,
        taskId,
        groupId,
        trialId: `${taskId}#${k}`,
        reportTo: input.systemId ?? ROLLOUT_SYSTEM_ID,
      });
      const params = task.params ?? input.params;
      if (params !== undefined) trial.params = params;
      plan.push(trial);
    }
  });
  return plan;
}

/** The records of the trials that ended, in plan order (the output; a kept rollout's `done`). */
const recordsOf = (c: RolloutContext): TrialRecord[] => c.results.filter((r): r is TrialRecord => r !== null);

/** The context a rollout starts with (and a kept one's next rollout, `rollout.next`). */
function rolloutContext(input: RolloutInput): RolloutContext {
  const plan = planRollout(input);
  const concurrency = input.concurrency ?? 64;
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new ConfigError(`concurrency must be an integer >= 1, got ${concurrency}`);
  }
  const index: Record<string, number> = {};
  const taskTrials: Record<string, number[]> = {};
  plan.forEach((t, i) => {
    index[t.trialId!] = i;
    const group = taskTrials[t.taskId!] ?? [];
    group.push(i);
    taskTrials[t.taskId!] = group;
  });
  return {
    plan,
    concurrency,
    next: 0,
    running: [],
    index,
    results: plan.map(() => null),
    taskTrials,
    slots: {},
    ...(input.keep === true ? { keep: true as const } : {}),
  };
}

/**
 * The rollout orchestrator as an XState machine: n trials per task on the
 * same seed, up to `concurrency` in flight; emits `turn`, `trial`, `task`,
 * `done`; outputs every {@link TrialRecord} in plan order (a crashed trial is
 * recorded as failed). Use `runRollout` or `createRolloutActor` to run it with a policy.
 */
export const rolloutMachine = setup({
  types: {
    input: {} as RolloutInput,
    context: {} as RolloutContext,
    output: {} as TrialRecord[],
    events: {} as RolloutEvent,
    emitted: {} as RolloutEmitted,
  },
  actors: { lane: laneMachine },
  actions: {
    // on entry: the first trials, LANE_TRIALS per lane (lane k keeps the id `lane{k}` for the whole rollout)
    // (a kept rollout's next one: a lane it has already starts its trials in its slots, one `runs` event)
    launch: enqueueActions(({ context: c, enqueue }) => {
      const started = trialsToStart(c, c.running);
      if (started.length === 0) return;
      const lanes = Math.ceil(started.length / LANE_TRIALS);
      enqueue.assign({
        next: c.next + started.length,
        running: [...c.running, ...started.map((t) => t.trialId!)],
        lanes: Math.max(lanes, c.lanes ?? 0),
      });
      // tell the batcher the new count before the trials start asking
      enqueue('inFlightChanged');
      for (let k = 0; k < lanes; k++) {
        const input = started.slice(k * LANE_TRIALS, (k + 1) * LANE_TRIALS);
        if (k < (c.lanes ?? 0)) enqueue.sendTo(`lane${k}`, { type: 'runs', trials: input });
        else enqueue.spawnChild('lane', { id: `lane${k}`, input });
      }
    }),
    // a kept rollout's next one (`rollout.next`): its plan, from the start (it stays kept)
    replan: assign(({ context, event }) =>
      Object.assign(rolloutContext({ ...(event as RolloutNextEvent).input, keep: true }), {
        lanes: context.lanes,
      }),
    ),
    // a trial ended: store its record, give its slot the next trial (lanes stop with the rollout), report it
    // (rollout-collect.ts); the wired rollout's `collect` first emits the turns its relay still holds (provide.ts)
    collect: enqueueActions(({ context, event, enqueue }) =>
      collectActions(context, event as LaneReport, enqueue as (action: CollectAction) => void),
    ),
    // what `collect` enqueues (params typed as CollectAction says: XState infers `unknown` here)
    advance: assign((_, params: unknown) => params as Pick<RolloutContext, 'next' | 'slots'>),
    sendRun: sendTo(
      (_, params: unknown) => (params as SendRun).to,
      (_, params: unknown) => (params as SendRun).run,
    ),
    emitReport: emit((_, event: unknown) => event as TrialEmitted | TaskEmitted),
    forwardTurn: emit(({ event }) => event as TurnEmitted),
    // a batch's turns (one event from the trials' TurnRelay), re-emitted one `turn` each, in order; through
    // the named `emitSample` (an emit created at run time inside a trial's action draws an XState warning),
    // whose params are the sample itself (not an object around it: one allocation a turn less)
    forwardTurns: enqueueActions(({ event, enqueue }) => {
      for (const sample of (event as TurnsEvent).samples) enqueue({ type: 'emitSample', params: sample });
    }),
    emitSample: emit((_, sample: unknown) => ({ type: 'turn' as const, sample: sample as TurnSample })),
    inFlightChanged: () => {},
    reportDone: emit({ type: 'done' as const }),
    // a kept rollout's end: its records with its `done`, then its context lets them go (the runner hands
    // them on; the next rollout's plan replaces the rest)
    reportRecords: emit(({ context }) => ({ type: 'done' as const, records: recordsOf(context) })),
    release: assign({ plan: [], index: {}, results: [], taskTrials: {} }),
  },
  guards: {
    allDone: ({ context: c }) => c.next >= c.plan.length && c.running.length === 0,
    kept: ({ context: c }) => c.keep === true,
  },
}).createMachine({
  id: 'rollout',
  context: ({ input }) => rolloutContext(input),
  initial: 'running',
  states: {
    running: {
      entry: 'launch',
      always: { guard: 'allDone', target: 'ended' },
      on: {
        turn: { actions: 'forwardTurn' },
        turns: { actions: 'forwardTurns' },
        'lane.done': { actions: 'collect' },
        'lane.error': { actions: 'collect' },
      },
    },
    // (one guard an event in `running`, not two: whether the rollout is kept is read once, here)
    ended: { always: [{ guard: 'kept', target: 'idle' }, { target: 'done' }] },
    // a kept rollout (`RolloutInput.keep`) after its last trial: its lanes and trials wait for the next plan
    idle: {
      entry: ['reportRecords', 'release'],
      on: { 'rollout.next': { target: 'running', actions: 'replan' } },
    },
    done: { type: 'final', entry: 'reportDone' },
  },
  output: ({ context }) => recordsOf(context),
});
