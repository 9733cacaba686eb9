/** Test helper: play actions into history records the way the trial engine records turns. */
import { applyAction } from '../../src/envs/core/reply.js';
import type { EnvDefinition, HistoryRecord } from '../../src/envs/core/types.js';

/**
 * Play `actions` (null: an invalid reply) from `start`; with `stopWhenDone`, stop at the turn that
 * ends the attempt. Returns the final state and the history records.
 */
export function playActions<S, A, P>(
  env: EnvDefinition<S, A, P>,
  start: S,
  actions: readonly (A | null)[],
  options: { stopWhenDone?: boolean } = {},
): { state: S; history: HistoryRecord[] } {
  let state = start;
  const history: HistoryRecord[] = [];
  for (const action of actions) {
    const { result, record } = applyAction(env, state as never, action);
    state = result.state as S;
    history.push(record);
    if (options.stopWhenDone && result.done) break;
  }
  return { state, history };
}
