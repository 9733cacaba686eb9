/**
 * The ideal of `npm run bench:cluster` over a finite plan: what a client with zero overhead of its own
 * would reach on the same plan. A rollout runs its plan's trials in plan order, at most `slots` at once;
 * a trial is a chain of requests, each asked when the previous one is answered (one request in flight
 * per trial). Against a server that answers every request after exactly `latencyMs`, such a client
 * starts each trial the moment a slot frees and asks each next request the moment its reply comes, so
 * trial i takes `chains[i] x latencyMs`. In-flight / latency is its rate only while every slot is
 * busy: once fewer trials than slots are left (the plan's tail) slots stay empty however fast the
 * client is. The chains' lengths are only known once the trials have been played (a trial ends at its
 * first win), so no scheduler could start the longest first; the plan-order ideal is the fair reference.
 */

/** Makespan (ms) of the plan on a zero-overhead client: trials in plan order, `slots` at once. */
export function planIdealMs(chains: readonly number[], slots: number, latencyMs: number): number {
  if (!(Number.isInteger(slots) && slots >= 1))
    throw new RangeError(`slots must be an integer >= 1, got ${slots}`);
  // free[k]: when slot k is next free (ms); a trial starts on the slot that frees first (a linear scan:
  // at most 4096 trials x 2048 slots here, a few ms after the measured run)
  const free = new Float64Array(Math.min(slots, Math.max(1, chains.length)));
  let end = 0;
  for (const n of chains) {
    let k = 0;
    for (let j = 1; j < free.length; j++) if (free[j]! < free[k]!) k = j;
    free[k] = free[k]! + n * latencyMs;
    if (free[k]! > end) end = free[k]!;
  }
  return end;
}

/** The most any schedule could reach, trials reordered at will: max(total / slots, longest chain) x latency (ms). */
export function anyOrderBoundMs(chains: readonly number[], slots: number, latencyMs: number): number {
  let total = 0;
  let longest = 0;
  for (const n of chains) {
    total += n;
    if (n > longest) longest = n;
  }
  return Math.max(total / slots, longest) * latencyMs;
}
