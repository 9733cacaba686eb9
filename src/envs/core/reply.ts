/**
 * One play reply applied to a state, as the reference does it (§8): project
 * the text; an action steps the env, an unparseable reply takes the env's
 * invalid step; the turn is recorded in history format. The trial engine's
 * turns and replays of recorded trials (train/lesson-use.ts) share it;
 * `applyAction` is the step-and-record half (also what tests play actions with).
 */
import type { AnyEnvDefinition, HistoryRecord, Json, Projection, StepResult } from './types.js';

/** What {@link applyReply} did: the projection of the text, the env step, and the turn as a history record. */
export interface AppliedReply {
  projection: Projection<unknown>;
  result: StepResult<Json>;
  record: HistoryRecord;
}

/** One action (null: an invalid reply) applied to a state, and the turn in history format. */
export function applyAction(
  env: AnyEnvDefinition,
  state: Json,
  action: unknown,
): { result: StepResult<Json>; record: HistoryRecord } {
  const result: StepResult<Json> = action !== null ? env.step(state, action) : env.stepInvalid(state);
  const record: HistoryRecord = {
    action: env.describeAction(action),
    observation: env.observe(result.state),
    reward: result.reward,
    done: result.done,
    won: result.won,
  };
  return { result, record };
}

/** Projects an LLM reply and steps `state` with it (the env's invalid step when it does not parse), as a play turn does. Does not mutate `state`. */
export function applyReply(env: AnyEnvDefinition, state: Json, text: string): AppliedReply {
  const projection = env.project(text) as Projection<unknown>;
  const { result, record } = applyAction(env, state, projection.kind === 'action' ? projection.action : null);
  return { projection, result, record };
}
