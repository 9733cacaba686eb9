import { lastValueFrom, type Observable, toArray } from 'rxjs';
import type { MetricEvent } from '../../src/streams/metric.js';
import { latestByKey } from '../../src/streams/metric.js';
import type { TrialRecord, TurnSample } from '../../src/streams/types.js';

/** A play or reflect turn with defaults for everything not given. */
export function turn(partial: Partial<TurnSample> = {}): TurnSample {
  return {
    taskId: 't0',
    groupId: 'g0',
    trialId: 'r0',
    attempt: 0,
    turn: 0,
    phase: 'play',
    prompt: 'p',
    response: '<action>up</action>',
    reward: 0,
    valid: true,
    done: false,
    won: false,
    anchor: 'obs',
    policyVersion: 0,
    action: 'up',
    ...partial,
  };
}

/**
 * A trial from per-attempt action lists; `wonAt` makes that attempt's last
 * turn a win (and the trial ends there). Reflections are inserted between attempts.
 */
export function trial(
  actions: string[][],
  options: {
    wonAt?: number | null;
    taskId?: string;
    trialId?: string;
    taskType?: string;
    failed?: string;
    rewards?: number[][];
  } = {},
): TrialRecord {
  const wonAt = options.wonAt ?? null;
  const samples: TurnSample[] = [];
  actions.forEach((list, attempt) => {
    if (attempt > 0)
      samples.push(
        turn({
          attempt,
          phase: 'reflect',
          turn: 0,
          action: undefined,
          response: '<remark>r</remark>',
          anchor: 'reflection',
        }),
      );
    list.forEach((action, t) => {
      const last = t === list.length - 1;
      const won = wonAt === attempt && last;
      samples.push(
        turn({
          attempt,
          turn: t,
          action,
          won,
          done: won,
          reward: options.rewards?.[attempt]?.[t] ?? (won ? 1 : 0),
        }),
      );
    });
  });
  const taskId = options.taskId ?? 't0';
  const trialId = options.trialId ?? 'r0';
  for (const s of samples) Object.assign(s, { taskId, trialId, taskType: options.taskType });
  return {
    taskId,
    groupId: taskId,
    trialId,
    envId: 'Test-v0',
    taskType: options.taskType ?? 'Test-v0',
    seed: 1,
    attempts: 3,
    samples,
    wonAt,
    ...(options.failed !== undefined ? { failed: options.failed } : {}),
  };
}

/** All events of a finite stream. */
export function collect(events$: Observable<MetricEvent>): Promise<MetricEvent[]> {
  return lastValueFrom(events$.pipe(toArray()));
}

/** The final value of each series, keyed by `metricKey`. */
export async function finals(events$: Observable<MetricEvent>): Promise<Record<string, number>> {
  const latest = latestByKey(await collect(events$));
  return Object.fromEntries([...latest].map(([k, e]) => [k, e.value]));
}
