/**
 * Fatal-repeat rate: how often a later attempt plays an action that ended an
 * earlier attempt of the same trial in a loss — on MineSweeper, re-clicking a
 * cell that was a mine in an earlier attempt (the board is the same). An
 * attempt's fatal action is its last play turn's action when that turn ended
 * the attempt without a win (`done && !won`; an attempt that ran out of turns
 * has none). Among the attempts that follow at least one fatal action, the
 * rate is the share that play one of them at some turn: an agent that uses
 * what earlier attempts found drives it to ~0, memory-less retries keep the
 * policy's own rate.
 *
 * Input: trial records. Emits `fatal_repeat_rate` overall and per attempt
 * number (`tags.attempt` = j + 1, from 2) after every trial that has such an
 * attempt (count = attempts in the rate).
 */
import { defer, mergeMap, type OperatorFunction } from 'rxjs';
import { type MetricEvent, metric } from '../streams/metric.js';
import type { TrialRecord } from '../streams/types.js';
import { playByAttempt, Tally } from './attempts.js';

/** The fatal-repeat rate of a stream of trial records (`fatal_repeat_rate`, overall and per attempt; see the file header). */
export function fatalRepeatRate(): OperatorFunction<TrialRecord, MetricEvent> {
  return (source) =>
    defer(() => {
      const tally = new Tally();
      let trials = 0;
      return source.pipe(
        mergeMap((record) => {
          trials += 1;
          const fatal = new Set<string>();
          const keys: string[] = [];
          for (const [attempt, samples] of playByAttempt(record)) {
            if (fatal.size > 0) {
              const repeated = samples.some((s) => s.action !== undefined && fatal.has(s.action));
              const key = String(attempt + 1);
              tally.add('', repeated ? 1 : 0);
              tally.add(key, repeated ? 1 : 0);
              keys.push(key);
            }
            const last = samples.at(-1)!;
            if (last.done && !last.won && last.action !== undefined) fatal.add(last.action);
          }
          if (keys.length === 0) return [];
          return ['', ...keys].map((key) =>
            metric(
              'fatal_repeat_rate',
              tally.mean(key),
              { step: trials, scope: 'trial', count: tally.count(key) },
              key === '' ? {} : { attempt: key },
            ),
          );
        }),
      );
    });
}
