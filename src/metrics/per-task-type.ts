/**
 * Per-task-type breakdown: runs any metric operator separately on the inputs
 * of each task type and tags its events with `taskType` (e.g. ALFWorld's
 * pick / clean / cool …). Works on trial records and turn samples (their
 * `taskType`) and on task groups (the first record's `taskType`); inputs with
 * no task type go to `unknown`.
 *
 * `perTaskType(passAtK())` gives `pass@1{taskType=pick}`, …; merge it with the
 * plain operator for the overall numbers too.
 */
import { groupBy, map, mergeMap, type OperatorFunction } from 'rxjs';
import type { TaskGroup } from '../streams/bridge.js';
import { type MetricEvent, metric } from '../streams/metric.js';

/** An input with a task type: a trial record or turn sample (`taskType`), or a task group (its first record's). */
export type TaskTyped = { taskType?: string } | TaskGroup;

/** The task type of a record, sample or task group. */
export function taskTypeOf(input: TaskTyped): string {
  if ('records' in input) return input.records[0]?.taskType ?? 'unknown';
  return input.taskType ?? 'unknown';
}

/**
 * Runs `operator` separately on the inputs of each task type and tags its
 * events with `taskType` (inputs without one go to `unknown`), e.g.
 * `perTaskType(passAtK())` gives `pass@1{taskType=pick}`, ….
 */
export function perTaskType<T extends TaskTyped>(
  operator: OperatorFunction<T, MetricEvent>,
  keyOf: (input: T) => string = taskTypeOf,
): OperatorFunction<T, MetricEvent> {
  return (source) =>
    source.pipe(
      groupBy(keyOf),
      mergeMap((group) =>
        group.pipe(
          operator,
          map((e) =>
            metric(
              e.name,
              e.value,
              { step: e.step, scope: e.scope, count: e.count },
              { ...e.tags, taskType: group.key },
            ),
          ),
        ),
      ),
    );
}
