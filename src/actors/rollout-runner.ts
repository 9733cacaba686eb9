/**
 * Rollouts one after another over one policy, on one rollout actor kept between them
 * (`RolloutInput.keep`): after its last trial the actor waits in `idle`, and the next
 * rollout (`rollout.next`) is played by the lanes and trial actors it already has.
 * `runRollout` (provide.ts) makes a rollout actor per rollout and stops it at its end.
 *
 * A run gets what `runRollout` gets (`attach`, `signal`); what `attach` subscribes ends
 * with the run (the actor stays). A failed or aborted run stops the actor: the next run
 * starts a new one.
 */
import type { ActorOptions, AnyStateMachine, Subscription } from 'xstate';
import type { EmittingActor } from '../streams/bridge.js';
import type { TrialRecord } from '../streams/types.js';
import { LamerError } from '../util/errors.js';
import type { PolicyClientOptions } from './client.js';
import { createRolloutActor, type PolicySource, type RolloutActor, toClient } from './provide.js';
import type { RolloutInput } from './rollout.js';
import { ROLLOUT_SYSTEM_ID } from './shared.js';

/** A {@link RolloutRunner} was asked for a rollout while one was playing. */
export class RolloutBusyError extends LamerError {}

/** What a {@link RolloutRunner} plays every rollout with. */
export interface RolloutRunnerOptions {
  policy: PolicySource;
  /** Batching and cache settings when `policy` is a Policy. */
  client?: PolicyClientOptions;
  /** A custom trial machine (as `runRollout`'s). */
  trialMachine?: AnyStateMachine;
  /** XState clock (a SimulatedClock in tests drives the retry backoffs). */
  clock?: ActorOptions<AnyStateMachine>['clock'];
  /** System id of the rollout actor (default `lamer.rollout`). */
  systemId?: string;
}

/** One rollout of a {@link RolloutRunner}: its input, and `runRollout`'s `attach` and `signal`. */
export interface RunnerRolloutOptions extends Omit<RolloutInput, 'systemId' | 'keep'> {
  /** Called before the rollout starts: listen here (`events.on('turn', ...)`); listeners end with the run. */
  attach?: (events: EmittingActor) => void;
  /** Stops the rollout (and the runner's actor); the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The actor's events for one run: what is subscribed through it is dropped, and completes, when the run ends. */
class RunEvents implements EmittingActor {
  private readonly listeners: Subscription[] = [];
  private readonly observers: { error?: (err: unknown) => void; complete?: () => void }[] = [];

  constructor(private readonly actor: RolloutActor) {}

  // biome-ignore lint/suspicious/noExplicitAny: as EmittingActor's `on`
  on(type: string, handler: (event: any) => void): Subscription {
    const listener = this.actor.on(type as never, handler);
    this.listeners.push(listener);
    return listener;
  }

  subscribe(observer: { error?: (err: unknown) => void; complete?: () => void }): Subscription {
    this.observers.push(observer);
    return {
      unsubscribe: () => {
        const i = this.observers.indexOf(observer);
        if (i !== -1) this.observers.splice(i, 1);
      },
    };
  }

  /** The run ended (with `error` when it failed). */
  end(error?: unknown): void {
    for (const listener of this.listeners) listener.unsubscribe();
    for (const o of this.observers.splice(0)) {
      if (error === undefined) o.complete?.();
      else o.error?.(error);
    }
  }
}

/**
 * Plays rollouts one at a time over one policy client (batching and replay cache shared), on one kept
 * rollout actor; `stop` releases it.
 */
export class RolloutRunner {
  private kept: RolloutActor | null = null;
  /** Ends the run playing (stops the actor, rejects the run with `reason`); null when none plays. */
  private cancel: ((reason: unknown) => void) | null = null;
  private readonly client;
  private readonly systemId: string;

  constructor(private readonly options: RolloutRunnerOptions) {
    this.client = toClient(options.policy, options.client);
    this.systemId = options.systemId ?? ROLLOUT_SYSTEM_ID;
  }

  /** The kept rollout actor (to inspect it): null before the first run and after a failed run or `stop`. */
  get actor(): RolloutActor | null {
    return this.kept;
  }

  /** Play one rollout to its end; resolves with every TrialRecord in plan order. */
  run(options: RunnerRolloutOptions): Promise<TrialRecord[]> {
    if (this.cancel !== null) {
      return Promise.reject(
        new RolloutBusyError(
          'this RolloutRunner is playing a rollout: await its run before the next, or use a second runner',
        ),
      );
    }
    const { attach, signal, ...rest } = options;
    const input: RolloutInput = { ...rest, systemId: this.systemId, keep: true };
    // a rollout's keys may repeat an earlier one's (the same tasks: every validation): no reply of an
    // earlier rollout is served from the replay cache (a trial's end drops its keys; one whose env threw
    // while stepping leaves its last one)
    this.client.forgetAll();
    const fresh = this.kept === null;
    const actor = this.kept ?? this.newActor(input);
    const events = new RunEvents(actor);
    return new Promise<TrialRecord[]>((resolve, reject) => {
      const listeners: Subscription[] = [];
      const finish = (error?: unknown, records?: TrialRecord[]) => {
        signal?.removeEventListener('abort', onAbort);
        for (const l of listeners) l.unsubscribe();
        this.cancel = null;
        if (error !== undefined) this.kept = null;
        events.end(error);
        if (error !== undefined) return reject(error);
        resolve(records ?? []);
      };
      this.cancel = (reason) => {
        actor.stop();
        finish(reason);
      };
      const onAbort = () => this.cancel?.(signal?.reason ?? new Error('rollout aborted'));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      attach?.(events);
      listeners.push(
        actor.on('done', (e) => finish(undefined, e.records)),
        actor.subscribe({ error: (err) => finish(err) }),
      );
      if (fresh) actor.start();
      else actor.send({ type: 'rollout.next', input });
    });
  }

  /**
   * Stop the kept rollout actor (its lanes and trials); a rollout playing rejects (an `AbortError`). A later
   * run starts a new actor.
   */
  stop(): void {
    this.cancel?.(new DOMException('the RolloutRunner was stopped while its rollout played', 'AbortError'));
    this.kept?.stop();
    this.kept = null;
  }

  private newActor(input: RolloutInput): RolloutActor {
    const { trialMachine, clock } = this.options;
    this.kept = createRolloutActor({
      ...input,
      policy: this.client,
      ...(trialMachine ? { trialMachine } : {}),
      ...(clock ? { clock } : {}),
    });
    return this.kept;
  }
}
