/**
 * The one bridge from actors to RxJS. Actors never import RxJS for their own
 * logic: they `emit` plain events (XState v5 `emit`), and this module turns
 * those into Observables.
 *
 * The rollout actor emits `{ type: 'turn', sample }` per LLM call,
 * `{ type: 'trial', record }` per finished trial, `{ type: 'task', taskId,
 * records }` per finished task group and `{ type: 'done' }` at the end.
 *
 * The streams are hot: an actor emits only while it runs, and a listener sees
 * only what is emitted after it subscribed, so subscribe before
 * `actor.start()`. Every stream completes on `done`, or when the actor stops
 * or completes; it errors when the actor errors. Unsubscribing removes the
 * actor listeners it added.
 */
import { from, type InteropObservable, map, Observable, share, take, type Unsubscribable } from 'rxjs';
import type { TrialRecord, TurnSample } from './types.js';

/** A finished task: its group of trials on the same instance. */
export interface TaskGroup {
  taskId: string;
  records: TrialRecord[];
}

/** What a rollout actor emits. */
export type RolloutEmitted =
  | { type: 'turn'; sample: TurnSample }
  | { type: 'trial'; record: TrialRecord }
  | { type: 'task'; taskId: string; records: TrialRecord[] }
  | { type: 'done' };

/**
 * The part of an XState v5 actor the bridge uses: `on` for emitted events,
 * `subscribe` for the actor's own completion and errors.
 */
export interface EmittingActor {
  /** Calls `handler` with each emitted event of `type` until unsubscribed. */
  // biome-ignore lint/suspicious/noExplicitAny: XState types `on` generically per emitted type; the bridge checks `type` itself
  on(type: string, handler: (event: any) => void): Unsubscribable;
  /** Observes the actor's own completion and errors. */
  subscribe(observer: { error?: (err: unknown) => void; complete?: () => void }): Unsubscribable;
}

/**
 * Emitted events of one `type` until `until` is emitted (exclusive), or the
 * actor completes; errors with the actor's error.
 */
export function fromEmitted<E extends { type: string }>(
  actor: EmittingActor,
  type: E['type'],
  until = 'done',
): Observable<E> {
  return new Observable<E>((subscriber) => {
    const listeners: Unsubscribable[] = [];
    listeners.push(actor.on(type, (event: E) => subscriber.next(event)));
    if (until !== type) listeners.push(actor.on(until, () => subscriber.complete()));
    listeners.push(
      actor.subscribe({
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
    return () => {
      for (const l of listeners) l.unsubscribe();
    };
  });
}

/** Turn samples, in emission order. */
export function turnSamples(actor: EmittingActor): Observable<TurnSample> {
  return fromEmitted<Extract<RolloutEmitted, { type: 'turn' }>>(actor, 'turn').pipe(map((e) => e.sample));
}

/** Finished trial records, in completion order. */
export function trialRecords(actor: EmittingActor): Observable<TrialRecord> {
  return fromEmitted<Extract<RolloutEmitted, { type: 'trial' }>>(actor, 'trial').pipe(map((e) => e.record));
}

/** Finished task groups, in completion order. */
export function taskGroups(actor: EmittingActor): Observable<TaskGroup> {
  return fromEmitted<Extract<RolloutEmitted, { type: 'task' }>>(actor, 'task').pipe(
    map((e) => ({ taskId: e.taskId, records: e.records })),
  );
}

/**
 * Emits once (then completes) when the rollout emits `done` or the actor
 * completes; errors when the actor errors.
 */
export function completion(actor: EmittingActor): Observable<void> {
  return new Observable<void>((subscriber) => {
    const finish = () => {
      subscriber.next();
      subscriber.complete();
    };
    const listeners = [
      actor.on('done', finish),
      actor.subscribe({ error: (err) => subscriber.error(err), complete: finish }),
    ];
    return () => {
      for (const l of listeners) l.unsubscribe();
    };
  }).pipe(take(1));
}

/** The actor's snapshots (XState actors are interop observables). */
export function snapshots<S>(actor: InteropObservable<S>): Observable<S> {
  return from(actor);
}

/** All four streams of one rollout actor. Subscribe to the ones you need before starting it. */
export interface RolloutStreams {
  turns$: Observable<TurnSample>;
  trials$: Observable<TrialRecord>;
  tasks$: Observable<TaskGroup>;
  done$: Observable<void>;
}

/** The turn, trial, task and done streams of a rollout actor, each shared (subscribe before starting the actor: nothing is replayed). */
export function rolloutStreams(actor: EmittingActor): RolloutStreams {
  return {
    turns$: turnSamples(actor).pipe(share()),
    trials$: trialRecords(actor).pipe(share()),
    tasks$: taskGroups(actor).pipe(share()),
    done$: completion(actor).pipe(share()),
  };
}

/**
 * Task groups rebuilt from a trial stream when the producer does not emit them:
 * a group is released once `trialsPerTask` trials of its task arrived; groups
 * still incomplete when the source completes are released then (failed or
 * missing trials are never silently dropped).
 */
export function groupByTask(trialsPerTask: number) {
  return (source: Observable<TrialRecord>): Observable<TaskGroup> =>
    new Observable<TaskGroup>((subscriber) => {
      const pending = new Map<string, TrialRecord[]>();
      return source.subscribe({
        next: (record) => {
          const list = pending.get(record.taskId) ?? [];
          list.push(record);
          if (list.length >= trialsPerTask) {
            pending.delete(record.taskId);
            subscriber.next({ taskId: record.taskId, records: list });
          } else pending.set(record.taskId, list);
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          for (const [taskId, records] of pending) subscriber.next({ taskId, records });
          subscriber.complete();
        },
      });
    });
}
