/**
 * One play reply applied to a state, as the reference does it (§8): project
 * the text; an action steps the env, an unparseable reply takes the env's
 * invalid step; the turn is recorded in history format. The trial engine's
 * turns and replays of recorded trials (train/lesson-use.ts) share it.
 */
import type { AnyEnvDefinition, HistoryRecord, Json, Projection, StepResult } from './types.js';

export interface AppliedReply {
  projection: Projection<unknown>;
  result: StepResult<Json>;
  record: HistoryRecord;
}

export function applyReply(env: AnyEnvDefinition, state: Json, text: string): AppliedReply {
  const projection = env.project(text) as Projection<unknown>;
  const valid = projection.kind === 'action';
  const result: StepResult<Json> = valid ? env.step(state, projection.action) : env.stepInvalid(state);
  const record: HistoryRecord = {
    action: env.describeAction(valid ? projection.action : null),
    observation: env.observe(result.state),
    reward: result.reward,
    done: result.done,
    won: result.won,
  };
  return { projection, result, record };
}
