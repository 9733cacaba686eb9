/**
 * The policy client's waiters (client.ts): a request entry, the callers waiting for its answer, and
 * the abort signals that withdraw them, one 'abort' listener per signal however many requests it
 * guards (a policy actor passes the same signal for every call of its episode).
 */
import { PolicyError } from '../policy/errors.js';
import type { Generation, GenerationRequest } from '../policy/types.js';

/** A request asked with `PolicyClient.ask`: give it to `cancel` to withdraw it. Opaque. */
export type AskHandle = object;

/** One caller waiting for an entry's answer (its callbacks also get the waiter: the `ask` handle). */
export interface Waiter {
  resolve: (g: Generation, handle: AskHandle) => void;
  reject: (e: unknown, handle: AskHandle) => void;
  entry: Entry;
  signal: AbortSignal | undefined;
}

/** A request of the client: its waiters, and whether it went to the policy. */
export interface Entry {
  request: GenerationRequest;
  /** Usually one (an array: a Set per request was a measurable share of a turn's allocations). */
  waiters: Waiter[];
  sent: boolean;
}

/** What an aborted signal rejects its requests with: its reason, else a PolicyError. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new PolicyError('policy request aborted');
}

/** Open waiters per abort signal: `withdraw` is called for each when its signal aborts. */
export class SignalWatch {
  private readonly bySignal = new WeakMap<AbortSignal, Set<Waiter>>();

  constructor(private readonly withdraw: (waiter: Waiter, reason: unknown) => void) {}

  /** Withdraw `waiter` when `signal` aborts (a long-lived signal, e.g. one per episode, gets one listener). */
  watch(signal: AbortSignal, waiter: Waiter): void {
    let open = this.bySignal.get(signal);
    if (!open) {
      const waiters = new Set<Waiter>();
      open = waiters;
      this.bySignal.set(signal, waiters);
      signal.addEventListener(
        'abort',
        () => {
          for (const w of waiters) this.withdraw(w, abortReason(signal));
          waiters.clear();
        },
        { once: true },
      );
    }
    open.add(waiter);
  }

  /** The waiter got its answer (or failure): stop watching its signal. */
  unwatch(waiter: Waiter): void {
    if (waiter.signal) this.bySignal.get(waiter.signal)?.delete(waiter);
  }
}
