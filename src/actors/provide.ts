/**
 * Wiring a policy into the machines without touching them: the episode and
 * reflector machines call the policy through one child actor each, from
 * their named `generate` actor (policy-actor.ts); these helpers `provide` it
 * (a `generateActor` over a PolicyClient: batching and replay cache) at every
 * level, and `runRollout` runs a whole rollout to its records.
 */
import {
  type ActorOptions,
  type AnyActorRef,
  type AnyStateMachine,
  createActor,
  enqueueActions,
  type Snapshot,
} from 'xstate';
import type { Policy } from '../policy/types.js';
import type { TrialRecord, TurnSample } from '../streams/types.js';
import { PolicyClient, type PolicyClientOptions } from './client.js';
import { episodeMachine } from './episode.js';
import type { LaneReport } from './lane.js';
import { laneMachine } from './lane.js';
import { reflectorMachine } from './reflector.js';
import { type RolloutInput, rolloutMachine } from './rollout.js';
import { type CollectAction, collectActions } from './rollout-collect.js';
import { policyPort, ServedPolicy } from './served.js';
import { generateActor, ROLLOUT_SYSTEM_ID, requestKey, turnTarget } from './shared.js';
import { composedTrialMachine, servedTrialMachine, trialMachine } from './trial.js';
import type { TrialContext, TrialEvent } from './trial-config.js';
import { turnSampleOf } from './trial-setup.js';
import { relayedStep, TurnRelay } from './turn-relay.js';

/** A policy, or a client already wrapping one (to share its batcher and cache). */
export type PolicySource = Policy | PolicyClient;

/** `source` itself when it is a {@link PolicyClient}, else a new client over the policy (with `options`). */
export function toClient(source: PolicySource, options?: PolicyClientOptions): PolicyClient {
  return source instanceof PolicyClient ? source : new PolicyClient(source, options);
}

/** The episode machine calling `source`. */
export function episodeWithPolicy(source: PolicySource, machine = episodeMachine) {
  return machine.provide({ actors: { generate: generateActor(toClient(source)) } });
}

/** The reflector machine calling `source`. */
export function reflectorWithPolicy(source: PolicySource, machine = reflectorMachine) {
  return machine.provide({ actors: { generate: generateActor(toClient(source)) } });
}

/** Episode and reflector machines of your own for the trial (runs the composed trial machine). */
export interface TrialParts {
  episode?: typeof episodeMachine;
  reflector?: typeof reflectorMachine;
}

/**
 * A trial machine (ours by default) whose turns call `source`: its own
 * `generate` child, and the `episode`/`reflector` it may invoke. With
 * `parts`, our trial runs as `composedTrialMachine`, invoking those.
 */
export function trialWithPolicy<M extends AnyStateMachine = typeof trialMachine>(
  source: PolicySource,
  machine: M = trialMachine as unknown as M,
  parts: TrialParts = {},
): M {
  return wireTrial(toClient(source), machine, parts, null);
}

/**
 * What a rollout gives the machines it runs: its client, the relay of its trials' turns, and its service of
 * their policy calls.
 */
interface RolloutWiring {
  client: PolicyClient;
  relay: TurnRelay;
  served: ServedPolicy;
}

/** A rollout's wiring, found from the actor system its machines run in (the action's `system`). */
type WiringOf = (system: object) => RolloutWiring;

/**
 * {@link trialWithPolicy}; in a rollout (`wiringOf`) our trial machines hand their turns to its relay (one
 * event per batch), and our default trial runs as `servedTrialMachine`, its calls served by the rollout.
 */
function wireTrial<M extends AnyStateMachine>(
  client: PolicyClient | null,
  machine: M,
  parts: TrialParts,
  wiringOf: WiringOf | null,
): M {
  const plain = isDefaultTrial(machine, parts);
  const composed =
    (machine as AnyStateMachine) === trialMachine && !plain
      ? (composedTrialMachine as unknown as M)
      : machine;
  const sampleKeys = (samples: TurnSample[] = []) =>
    samples.map((s) => requestKey(s, s.attempt, s.turn, s.phase));
  const ours = composed === (trialMachine as unknown) || composed === (composedTrialMachine as unknown);
  // the turn goes to the relay (one `turns` event per batch), not as its own event; the trial's turns
  // still queued reach the rollout's listeners first: it drains the relay as it handles the trial's end
  // (its `collect`), not with one more event here
  const forwardTurn = ({ context, event, self, system }: ActionArgs) => {
    const sample = turnSampleOf(context, event);
    const target = sample && turnTarget(context.cfg.reportTo, self, system);
    if (target) wiringOf!(system).relay.add(target, sample);
  };
  // our default trial in a rollout, without its policy child: the rollout's client answers it (served.ts);
  // its states have no `emitTurn` / `reportTrial` (servedTrialMachine: nothing can listen to a spawned
  // trial's emits). Its rollout's wiring is found by the actor system (one machine can serve many rollouts)
  if (plain && wiringOf !== null) {
    const ask = (args: ActionArgs) => wiringOf(args.system).served.ask(args);
    const ended = ({ context, self, system }: ActionArgs) =>
      wiringOf(system).served.ended(self, context.samples.length, () => sampleKeys(context.samples));
    return servedTrialMachine.provide({
      actions: { forwardTurn, ask, trialEnded: ended },
    } as never) as unknown as M;
  }
  // the other trials call the policy through their own child; ours may invoke `episode` / `reflector`
  // (built only then: each `provide` constructs a machine, per rollout)
  const policy = client as PolicyClient;
  const relayOf = wiringOf && ((system: object) => wiringOf(system).relay);
  const actors = plain
    ? { generate: generateActor(policy) }
    : {
        generate: generateActor(policy),
        episode: relayedStep(episodeWithPolicy(policy, parts.episode), !parts.episode, relayOf),
        reflector: relayedStep(reflectorWithPolicy(policy, parts.reflector), !parts.reflector, relayOf),
      };
  // drop the trial's replay-cache entries when it ends (custom machines without `trialEnded` ignore it)
  const forget = ({ context }: { context: { samples?: TurnSample[] } }) =>
    policy.forget(sampleKeys(context.samples));
  if (wiringOf === null || !ours)
    return composed.provide({ actors, actions: { trialEnded: forget } } as never) as M;
  // a spawned trial's own `turn` and `trial` emits have no listener (only the rollout holds the trial):
  // skipped (the rollout emits both)
  const actions = { emitTurn: () => {}, reportTrial: () => {}, forwardTurn, trialEnded: forget };
  return composed.provide({ actors, actions } as never) as M;
}

/** Our default trial with no episode or reflector swapped in: the one a rollout serves without a policy child. */
function isDefaultTrial(machine: AnyStateMachine, parts: TrialParts): boolean {
  return machine === trialMachine && !parts.episode && !parts.reflector;
}

/** What the two actions above read of their arguments. */
interface ActionArgs {
  context: TrialContext;
  event: TrialEvent;
  self: AnyActorRef;
  system: { get(id: string): AnyActorRef | undefined };
}

/**
 * The rollout machine whose trials call `source` through one shared client,
 * which batches the requests of all in-flight trials (the trial machine runs in
 * each of the rollout's lanes).
 */
export function rolloutWithPolicy(
  source: PolicySource,
  options: { trial?: AnyStateMachine; parts?: TrialParts } = {},
): typeof rolloutMachine {
  const wiring = newWiring(toClient(source));
  return wiredRollout(options.trial ?? trialMachine, options.parts ?? {}, wiring.client, () => wiring);
}

/**
 * A rollout's wiring over `client`: one relay (its trials' turns reach the rollout as one event per batch)
 * and one service of its default trials' policy calls (no policy child per trial).
 */
function newWiring(client: PolicyClient): RolloutWiring {
  return { client, relay: new TurnRelay(), served: new ServedPolicy(client) };
}

/** The rollout machine running `machine` (wired by {@link wireTrial}), its implementations over `wiringOf`. */
function wiredRollout(
  machine: AnyStateMachine,
  parts: TrialParts,
  client: PolicyClient | null,
  wiringOf: WiringOf,
): typeof rolloutMachine {
  // (the client is read only for trials with their own policy children: not our default one)
  const trial = wireTrial(client, machine, parts, wiringOf) as typeof trialMachine;
  // the lanes' port serves only our default trial (others have their own policy children)
  const port = isDefaultTrial(machine, parts)
    ? { policyPort: policyPort((system) => wiringOf(system).served) }
    : {};
  const lane = laneMachine.provide({ actors: { trial, ...port } });
  return rolloutMachine.provide({
    actors: { lane },
    actions: {
      inFlightChanged: ({ context, system }) => wiringOf(system).client.setExpected(context.running.length),
      // a trial ended: its (and its batch's) turns still queued in the relay first, then the rollout's own
      // `collect` (one action a trial end, not three: rollout-collect.ts)
      collect: enqueueActions(({ context, event, self, system, enqueue }) => {
        for (const sample of wiringOf(system).relay.take(self))
          enqueue({ type: 'emitSample', params: sample });
        collectActions(context, event as LaneReport, enqueue as (action: CollectAction) => void);
      }),
    },
  });
}

/** The wiring of each rollout actor {@link createRolloutActor} made over {@link sharedRollout}, by its actor system. */
const wirings = new WeakMap<object, RolloutWiring>();

/**
 * The rollout machine of our default trials, built once: every actor {@link createRolloutActor} makes
 * runs it, and its implementations find their rollout's client, relay and service by the actor system
 * (`wirings`). Why: `provide` builds a machine's state nodes anew (~0.3 ms for the three), and every
 * rollout's machines then ran with cold caches (XState memoises transitions per state node and event
 * type): ~11% of the engine's own CPU a MineSweeper turn of bench:engine's rollout (docs/experiments.md,
 * session 10). `rolloutWithPolicy` still builds a machine per call (its caller creates the actor).
 */
let shared: typeof rolloutMachine | undefined;
function sharedRollout(): typeof rolloutMachine {
  shared ??= wiredRollout(trialMachine, {}, null, (system) => wirings.get(system)!);
  return shared;
}

export interface RunRolloutOptions extends RolloutInput {
  policy: PolicySource;
  /** Batching and cache settings when `policy` is a Policy. */
  client?: PolicyClientOptions;
  /** A custom trial machine (must invoke `episode`/`reflector` or provide its own `generate`). */
  trialMachine?: AnyStateMachine;
  /** XState clock (a SimulatedClock in tests drives the retry backoffs). */
  clock?: ActorOptions<AnyStateMachine>['clock'];
  /** Resume from `actor.getPersistedSnapshot()` of an earlier rollout actor. */
  snapshot?: Snapshot<unknown>;
  /** Called with the actor before it starts: attach listeners here (`actor.on('turn', ...)`). */
  attach?: (actor: RolloutActor) => void;
  /** Stops the rollout; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The actor {@link createRolloutActor} returns: start it, listen with `on`, await its records. */
export type RolloutActor = ReturnType<typeof createRolloutActor>;

/** A rollout actor over a policy (not started). */
export function createRolloutActor(options: RunRolloutOptions) {
  const {
    policy,
    client: clientOptions,
    trialMachine: trial,
    clock,
    snapshot,
    attach,
    signal,
    ...input
  } = options;
  const client = toClient(policy, clientOptions);
  // our default trial: the machine built once, this rollout's wiring registered for its actor system
  // before it starts (creating the actor only resolves the initial states; their actions run at start)
  const machine = trial ? rolloutWithPolicy(client, { trial }) : sharedRollout();
  const actor = createActor(machine, {
    input,
    systemId: input.systemId ?? ROLLOUT_SYSTEM_ID,
    ...(clock ? { clock } : {}),
    ...(snapshot ? { snapshot: snapshot as never } : {}),
  });
  if (!trial) wirings.set(actor.system, newWiring(client));
  if (snapshot) {
    const running = (snapshot as { context?: { running?: unknown[] } }).context?.running;
    client.setExpected(Array.isArray(running) ? running.length : 0);
  }
  return actor;
}

/** Run a rollout to the end; resolves with every TrialRecord in plan order. */
export function runRollout(options: RunRolloutOptions): Promise<TrialRecord[]> {
  const actor = createRolloutActor(options);
  options.attach?.(actor);
  return new Promise<TrialRecord[]>((resolve, reject) => {
    const onAbort = () => {
      actor.stop();
      reject(options.signal?.reason ?? new Error('rollout aborted'));
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    actor.subscribe({
      complete: () => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve(actor.getSnapshot().output ?? []);
      },
      error: (err) => {
        options.signal?.removeEventListener('abort', onAbort);
        reject(err);
      },
    });
    actor.start();
  });
}
