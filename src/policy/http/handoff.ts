/**
 * Replies handed to their callers one per event-loop turn (the HTTP policy's `generate` awaits
 * `next()` before it returns). Why: undici writes a request that reuses an idle keep-alive socket
 * only in the check phase of the turn it was made in (after every reply read in that turn's poll
 * phase was handled: GHSA-35p6-xmwp-9g52). Handed all at once, a burst of B replies made each of
 * their trials' next requests wait for all B trials' turns (B x our CPU per reply: 22 ms on average
 * at 64 in flight, bench:cluster), and the requests, written together, came back together, so the
 * bursts never broke up. One reply per turn, each next request leaves one trial's turn later.
 */

/** A queue of callers resumed one per event-loop turn (a `setImmediate` pump), in the order they asked. */
export class TurnHandOff {
  private readonly waiting: (() => void)[] = [];
  private head = 0;
  private pumping = false;

  /** Resolves on a later event-loop turn than the previous caller's (never in this one). */
  next(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      if (!this.pumping) {
        this.pumping = true;
        setImmediate(this.pump);
      }
    });
  }

  private readonly pump = (): void => {
    const next = this.waiting[this.head++]!;
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
      this.pumping = false;
    } else setImmediate(this.pump);
    next();
  };
}
