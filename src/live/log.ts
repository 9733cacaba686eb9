/**
 * The live log of one run: every live event in order, kept for the run's
 * life (a client that connects late or reconnects asks for what it missed),
 * and a hot stream of new ones. `publish` stamps an event with its sequence
 * number, the time since the run started, and the step and policy version
 * the run is at (`at`), and never waits on a consumer: the SSE server's
 * clients read through bounded buffers (server.ts).
 */
import { Observable, Subject } from 'rxjs';
import type { LiveBody, LiveEvent, LiveStamp } from './events.js';

/** Options of {@link LiveLog}. */
export interface LiveLogOptions {
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
}

/**
 * The live log of one run: every event in order, kept for the run's life (late
 * subscribers get the whole stream), plus a hot stream of new ones.
 * `publish` stamps and appends without waiting on any consumer.
 */
export class LiveLog {
  private readonly events: LiveEvent[] = [];
  private readonly next$ = new Subject<LiveEvent>();
  private readonly now: () => number;
  private readonly started: number;
  private position = { step: 0, policyVersion: 0 };

  constructor(options: LiveLogOptions = {}) {
    this.now = options.now ?? Date.now;
    this.started = this.now();
  }

  /** Set the step and policy version stamped on the events published from now on. */
  at(step: number, policyVersion: number): void {
    this.position = { step, policyVersion };
  }

  get step(): number {
    return this.position.step;
  }

  get policyVersion(): number {
    return this.position.policyVersion;
  }

  /** Events published so far. */
  get size(): number {
    return this.events.length;
  }

  /** The run published its `end` event. */
  get ended(): boolean {
    return this.events.at(-1)?.kind === 'end';
  }

  /** Stamp and append an event, and send it to the live subscribers. Ignored after `end`. */
  publish(body: LiveBody, stamp: Partial<Pick<LiveStamp, 'step' | 'policyVersion'>> = {}): LiveEvent | null {
    if (this.ended) return null;
    const event = {
      seq: this.events.length,
      t: this.now() - this.started,
      step: stamp.step ?? this.position.step,
      policyVersion: stamp.policyVersion ?? this.position.policyVersion,
      ...body,
    } as LiveEvent;
    this.events.push(event);
    this.next$.next(event);
    if (event.kind === 'end') this.next$.complete();
    return event;
  }

  /** The events after sequence number `since` (all of them by default). */
  history(since = -1): LiveEvent[] {
    return this.events.slice(Math.max(0, since + 1));
  }

  /**
   * The events after `since` (all by default), then every new one as it is published; completes after
   * the `end` event. Replay and live join without a gap or a repeat (publishing is synchronous).
   */
  stream(since = -1): Observable<LiveEvent> {
    return new Observable<LiveEvent>((subscriber) => {
      for (const event of this.history(since)) subscriber.next(event);
      if (this.ended) {
        subscriber.complete();
        return;
      }
      return this.next$.subscribe(subscriber);
    });
  }
}

/** Anything that carries a run's live log (`startTraining`, `startEval`). */
export interface WithLiveLog {
  readonly live: LiveLog;
}

/**
 * A run's live metric stream as an Observable: everything it published so far, then each new event,
 * completing when the run ends. Subscribe at any time; every subscriber gets the whole stream.
 */
export function liveMetrics(
  run: LiveLog | WithLiveLog,
  options: { since?: number } = {},
): Observable<LiveEvent> {
  const log = run instanceof LiveLog ? run : run.live;
  return log.stream(options.since ?? -1);
}
