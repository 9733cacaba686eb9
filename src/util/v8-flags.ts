/**
 * V8 settings the `lamer` command and bench:engine run with (exported: call it in your own program
 * before its first rollout).
 *
 * Allocation-site pretenuring off: V8 decides, from its counts during a process's first rollout, to
 * allocate several of XState's per-action objects (the action and its arguments, a microstep's action
 * list, emitted events) and some of our per-turn literals directly in the old generation; they die
 * young there and keep each turn's young trial context and event alive through every scavenge until
 * the next mark-compact. Off, the engine's survivors per scavenge equal the plain loop's and its own
 * CPU per turn falls ~17% (docs/experiments.md, session 11, "what survives a scavenge"). Results do not
 * change (a GC heuristic only). V8's flags are process-wide (worker threads included); set them before
 * the first rollout.
 */
import v8 from 'node:v8';

/** Turn off V8's allocation-site pretenuring for this process (see the module comment for why). */
export function applyEngineV8Flags(): void {
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}
