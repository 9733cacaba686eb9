/**
 * Turn samples from a rollout's trials to the rollout, one event per batch.
 *
 * The trials of a rollout play in lock-step (the policy client answers a whole batch at once), so the
 * replies of one batch reach their trials in one run of microtasks. Instead of one `turn` event per
 * reply into the rollout machine (a rollout macrostep per turn: a third of the engine's own cost per
 * turn, bench:engine), each trial's `forwardTurn` hands its sample to the rollout's relay, which sends
 * the rollout ONE `turns` event with every sample collected when that run of microtasks is over; the
 * rollout re-emits them as `turn` events in the same order. When a trial ends, the rollout takes what is
 * queued as it handles that end (its `drainTurns` action, before the trial's `trial` event), so the
 * trial's turns still reach the rollout's listeners first, without one more event per trial. A composed
 * trial's own episode and reflector hand their turns to the same relay (`relayedStep`).
 */
import type { AnyActorRef, AnyStateMachine } from 'xstate';
import type { TurnSample } from '../streams/types.js';
import { stepCrashed, turnTarget } from './shared.js';

/** The event a {@link TurnRelay} sends: the turns of one batch, in the order their trials played them. */
export interface TurnsEvent {
  type: 'turns';
  samples: TurnSample[];
}

/** Collects turn samples for one target actor and sends them as one {@link TurnsEvent} per batch. */
export class TurnRelay {
  private samples: TurnSample[] = [];
  private target: AnyActorRef | undefined;
  private queued = false;
  private readonly flushLater = (): void => {
    this.queued = false;
    this.flush();
  };

  /** Queue `sample` for `target` (sent when the current microtasks are over, or at the next `flush`). */
  add(target: AnyActorRef, sample: TurnSample): void {
    if (this.target !== target) {
      this.flush(); // a sample for another target: what was queued goes to its own first
      this.target = target;
    }
    this.samples.push(sample);
    if (!this.queued) {
      this.queued = true;
      queueMicrotask(this.flushLater);
    }
  }

  /**
   * Take what is queued for `rollout` or one of its children (its lanes, the target when the rollout
   * has no system id); nothing when it is queued for another actor. The rollout emits these itself as
   * it handles a trial's end (`drainTurns`), instead of receiving them as one more event.
   */
  take(rollout: AnyActorRef): TurnSample[] {
    const target = this.target;
    if (this.samples.length === 0 || (target !== rollout && target?._parent !== rollout)) return [];
    const samples = this.samples;
    this.samples = [];
    return samples;
  }

  /** Send what is queued now. */
  flush(): void {
    if (this.samples.length === 0 || this.target === undefined) return;
    const samples = this.samples;
    this.samples = [];
    this.target.send({ type: 'turns', samples } satisfies TurnsEvent);
  }
}

/**
 * Our own episode or reflector machine (`ours`) invoked by a trial in a rollout (`relayOf`: the rollout's
 * relay, found by the actor system; provide.ts): its turns go to the rollout's relay (one `turns` event per
 * batch, as our trials' turns do) instead of one `turn` event each into the rollout, and its own `turn`
 * emit (no listener: only its trial holds it) is left out. Why: a rollout macrostep per turn was the
 * largest part of a composed trial's cost per turn after its own transitions (bench:engine's rollout with
 * `composedTrialMachine`). Custom parts are left as they are.
 */
export function relayedStep<M extends AnyStateMachine>(
  machine: M,
  ours: boolean,
  relayOf: ((system: object) => TurnRelay) | null,
): M {
  if (!ours || relayOf === null) return machine;
  // to the rollout's relay; without the rollout in the system (no system id), to the trial as before
  const forwardTurn = ({ context, self, system }: StepActionArgs) => {
    if (stepCrashed(context)) return; // a reply that could not be applied: no turn
    const sample = 'samples' in context ? context.samples[context.samples.length - 1] : context.sample;
    if (!sample) return;
    const { reportTo } = context.cfg;
    const rollout = reportTo !== undefined ? system.get(reportTo) : undefined;
    if (rollout) relayOf(system).add(rollout, sample);
    else turnTarget(undefined, self, system)?.send({ type: 'turn', sample });
  };
  return machine.provide({ actions: { forwardTurn, emitTurn: () => {} } } as never) as M;
}

/** What an episode's or reflector's `forwardTurn` reads of its arguments. */
interface StepActionArgs {
  context: { cfg: { reportTo?: string }; failed: string | null; request: unknown } & (
    | { samples: TurnSample[] }
    | { sample: TurnSample | null }
  );
  self: AnyActorRef;
  system: { get(id: string): AnyActorRef | undefined };
}
