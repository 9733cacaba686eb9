/**
 * Exploration entropy over distinct trajectories of one task (the paper's
 * trajectory diversity, reference §10; the reference code has none, so this
 * is our precise definition).
 *
 * - Input: task groups (all K trials of one task on the same instance).
 * - A trajectory's identity is the sequence of its play actions, each as
 *   `TurnSample.action` (the env's history format, e.g. `(2, 3)`; an invalid
 *   reply is whatever the env writes for it). Rewards, observations and
 *   reasoning text do not count.
 * - Two granularities are reported:
 *   - whole trial (`entropy`, `entropy_norm`, no tags): the identity is the
 *     list of the trial's attempts, each its action sequence, so trials that
 *     stop at different attempts differ; K = the trials in the group (failed
 *     trials included, with what they played);
 *   - per attempt j (`tags.attempt` = j + 1, 1-based as in pass@k): the identity is attempt j's action
 *     sequence; K_j = the trials of the group that played attempt j (trials
 *     that already won stop earlier).
 * - p(τ) = count(τ) / K over the distinct identities; H = −Σ p ln p, in nats
 *   (natural log). The normalised entropy is H / ln K ∈ [0, 1] (1 = all K
 *   trajectories distinct); with K = 1 both are 0.
 * - Reported value: the mean over the tasks seen so far (count = tasks in the
 *   mean; a task with K_j = 0 is not in attempt j's mean). Emitted after every
 *   task group.
 */
import { defer, mergeMap, type OperatorFunction } from 'rxjs';
import type { TaskGroup } from '../streams/bridge.js';
import { type MetricEvent, metric } from '../streams/metric.js';
import { playByAttempt, Tally } from './attempts.js';

/** Entropy of an empirical distribution over K sampled trajectories. */
export interface Entropy {
  /** Entropy in nats. */
  nats: number;
  /** H / ln K, or 0 when K ≤ 1. */
  normalised: number;
  /** Sample size K. */
  k: number;
  /** Distinct identities among the K samples. */
  distinct: number;
}

/** Entropy of the empirical distribution over identities (one entry per sampled trajectory). */
export function empiricalEntropy(identities: readonly string[]): Entropy {
  const counts = new Map<string, number>();
  for (const id of identities) counts.set(id, (counts.get(id) ?? 0) + 1);
  const k = identities.length;
  let nats = 0;
  for (const c of counts.values()) {
    const p = c / k;
    nats -= p * Math.log(p);
  }
  // -Σ p ln p of a single identity is exactly 0; avoid printing -0.
  nats = Math.max(0, nats);
  return { nats, normalised: k > 1 ? nats / Math.log(k) : 0, k, distinct: counts.size };
}

/** Identities of a group's trials: whole trial, and per attempt index. */
export function trajectoryIdentities(group: TaskGroup): {
  trial: string[];
  byAttempt: Map<number, string[]>;
} {
  const trial: string[] = [];
  const byAttempt = new Map<number, string[]>();
  for (const record of group.records) {
    const attempts = playByAttempt(record);
    const sequences: string[][] = [];
    for (const [attempt, samples] of attempts) {
      const actions = samples.map((s) => s.action ?? '');
      sequences.push(actions);
      const list = byAttempt.get(attempt) ?? [];
      list.push(JSON.stringify(actions));
      byAttempt.set(attempt, list);
    }
    trial.push(JSON.stringify(sequences));
  }
  return { trial, byAttempt };
}

/**
 * Operator over task groups: the entropy of the distinct trajectories (play
 * action sequences) across a task's trials, `entropy` in nats and
 * `entropy_norm` in [0, 1], whole trial and per attempt (`tags.attempt`),
 * averaged over the tasks seen so far.
 */
export function trajectoryEntropy(): OperatorFunction<TaskGroup, MetricEvent> {
  return (source) =>
    defer(() => {
      // Per-subscription running means, keyed '' (whole trial) or the 1-based attempt number.
      const nats = new Tally();
      const norm = new Tally();
      let tasks = 0;
      return source.pipe(
        mergeMap((group) => {
          tasks += 1;
          const ids = trajectoryIdentities(group);
          const keys = [''];
          const whole = empiricalEntropy(ids.trial);
          nats.add('', whole.nats);
          norm.add('', whole.normalised);
          for (const [attempt, list] of ids.byAttempt) {
            const key = String(attempt + 1);
            const h = empiricalEntropy(list);
            nats.add(key, h.nats);
            norm.add(key, h.normalised);
            keys.push(key);
          }
          return keys.flatMap((key) => {
            const at = { step: tasks, scope: 'task' as const, count: nats.count(key) };
            const tags: Record<string, string> = key === '' ? {} : { attempt: key };
            return [
              metric('entropy', nats.mean(key), at, tags),
              metric('entropy_norm', norm.mean(key), at, tags),
            ];
          });
        }),
      );
    });
}
