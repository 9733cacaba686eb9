/**
 * Metrics of a finished rollout (the project's metric operators run over
 * its records: pass@k, trajectory entropy, invalid-action rate, episode
 * return) and the validation run of a policy on the fixed validation set
 * (validationSeeds, reference §10 sampling).
 */
import { from, lastValueFrom, merge, type Observable, reduce } from 'rxjs';
import { runRollout } from '../actors/provide.js';
import { RolloutRunner } from '../actors/rollout-runner.js';
import { validationSeeds } from '../envs/core/seeds.js';
import type { Json, MemoryMode, PromptStyle } from '../envs/core/types.js';
import { fatalRepeatRate } from '../metrics/fatal-repeat-rate.js';
import { invalidActionRate } from '../metrics/invalid-action-rate.js';
import { passAtK } from '../metrics/pass-at-k.js';
import { perTaskType } from '../metrics/per-task-type.js';
import { reward } from '../metrics/reward.js';
import { trajectoryEntropy } from '../metrics/trajectory-entropy.js';
import { randomPolicy } from '../policy/scripted.js';
import type { Policy, SamplingSettings } from '../policy/types.js';
import type { TaskGroup } from '../streams/bridge.js';
import { latestByKey, type MetricEvent } from '../streams/metric.js';
import type { TrialRecord } from '../streams/types.js';

/** The numbers a training report plots. */
export interface RolloutSummary {
  trials: number;
  /** pass@1..N (cumulative success within the first k attempts). */
  pass: number[];
  /** Mean trajectory entropy per task (nats) and normalised (H / ln K); 0 with one trial per task. */
  entropy: number;
  entropyNorm: number;
  /**
   * Mean entropy of attempt j's trajectories per task (nats), j = 1..N: the exploration within one
   * attempt index, which does not saturate the way whole trials (all attempts joined) do.
   */
  entropyByAttempt: number[];
  /** Play replies that did not parse into an action. */
  invalidRate: number;
  /** Reflection replies without <remark> tags. */
  reflectionErrorRate: number;
  /** Mean return of an attempt. */
  episodeReturn: number;
  /** Trials the policy could not complete (counted as failures in pass@k). */
  failedTrials: number;
  /**
   * pass@1..N per task type, for envs whose tasks have types (ALFWorld: pick, look, clean, heat, cool,
   * pick2); absent otherwise.
   */
  passByType?: Record<string, number[]>;
  /**
   * Later attempts that replay an action which ended an earlier attempt of the trial in a loss, over
   * the later attempts that had one (MineSweeper: re-clicking a known mine; fatalRepeatRate). Absent
   * in summaries written before it existed.
   */
  fatalRepeat?: number;
}

/** Records grouped by task (plan order kept). */
export function groupsOf(records: readonly TrialRecord[]): TaskGroup[] {
  const byTask = new Map<string, TrialRecord[]>();
  for (const r of records) {
    const list = byTask.get(r.taskId) ?? [];
    list.push(r);
    byTask.set(r.taskId, list);
  }
  return [...byTask].map(([taskId, list]) => ({ taskId, records: list }));
}

/** Run the metric operators over finished records and keep the final value of each overall series. */
export async function summarize(records: readonly TrialRecord[], attempts: number): Promise<RolloutSummary> {
  const trials$ = from(records);
  const types = [...new Set(records.filter((r) => r.taskType !== r.envId).map((r) => r.taskType))].sort();
  const events$: Observable<MetricEvent> = merge(
    trials$.pipe(passAtK({ k: attempts })),
    ...(types.length > 0 ? [trials$.pipe(perTaskType(passAtK({ k: attempts })))] : []),
    from(groupsOf(records)).pipe(trajectoryEntropy()),
    from(records.flatMap((r) => r.samples)).pipe(invalidActionRate()),
    trials$.pipe(reward()),
    trials$.pipe(fatalRepeatRate()),
  );
  const latest = await lastValueFrom(
    events$.pipe(reduce((acc, e) => latestByKey([e], acc), new Map<string, MetricEvent>())),
  );
  const value = (name: string) => latest.get(name)?.value ?? 0;
  return {
    trials: records.length,
    pass: Array.from({ length: attempts }, (_, k) => value(`pass@${k + 1}`)),
    entropy: value('entropy'),
    entropyNorm: value('entropy_norm'),
    entropyByAttempt: Array.from({ length: attempts }, (_, k) => value(`entropy{attempt=${k + 1}}`)),
    invalidRate: value('invalid_action_rate'),
    reflectionErrorRate: value('reflection_format_error_rate'),
    episodeReturn: value('episode_return'),
    failedTrials: value('failed_trials'),
    ...(types.length > 0
      ? {
          passByType: Object.fromEntries(
            types.map((t) => [
              t,
              Array.from({ length: attempts }, (_, k) => value(`pass@${k + 1}{taskType=${t}}`)),
            ]),
          ),
        }
      : {}),
    fatalRepeat: value('fatal_repeat_rate'),
  };
}

/** What a validation rollout runs: env and params, the fixed task set (tasks, trials per task, seed), attempts, memory mode, sampling. */
export interface ValidationOptions {
  envId: string;
  params: Json;
  tasks: number;
  trialsPerTask: number;
  /** Seed of the fixed validation set. */
  seed: number;
  attempts: number;
  memoryMode: MemoryMode;
  style: PromptStyle;
  sampling: SamplingSettings;
  maxTurns?: number;
  concurrency?: number;
  runId?: string;
}

/**
 * Play the fixed validation set with `policy` and summarise it; with a {@link RolloutRunner} over the
 * policy, on its kept rollout actor (training's validations: rollout-runner.ts).
 */
export async function validate(
  policy: Policy | RolloutRunner,
  o: ValidationOptions,
): Promise<{ summary: RolloutSummary; records: TrialRecord[] }> {
  const input = {
    envId: o.envId,
    params: o.params,
    tasks: validationSeeds(o.tasks, o.seed).map((seed) => ({ seed })),
    trialsPerTask: o.trialsPerTask,
    trial: {
      attempts: o.attempts,
      memoryMode: o.memoryMode,
      style: o.style,
      sampling: o.sampling,
      ...(o.maxTurns !== undefined ? { maxTurns: o.maxTurns } : {}),
    },
    runId: o.runId ?? 'validation',
    ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
  };
  const records =
    policy instanceof RolloutRunner ? await policy.run(input) : await runRollout({ ...input, policy });
  return { summary: await summarize(records, o.attempts), records };
}

/** The floor learning must beat: uniformly random admissible actions on the same validation tasks. */
export async function validationFloor(o: ValidationOptions): Promise<RolloutSummary> {
  return (await validate(randomPolicy(), { ...o, runId: 'validation-random' })).summary;
}

/**
 * Summaries of equal-sized evaluations (the same tasks and trials under several sampling seeds) as
 * one: every rate and entropy the mean over them, trials and failed trials summed. Entropies stay
 * per evaluation (over its trials per task), so they compare with a single evaluation's.
 */
export function meanSummary(summaries: readonly RolloutSummary[]): RolloutSummary {
  const first = summaries[0];
  if (!first) throw new RangeError('meanSummary needs at least one summary');
  const n = summaries.length;
  const mean = (f: (s: RolloutSummary) => number) => summaries.reduce((a, s) => a + f(s), 0) / n;
  const meanAt = (f: (s: RolloutSummary) => number[]) => f(first).map((_, k) => mean((s) => f(s)[k]!));
  return {
    trials: summaries.reduce((a, s) => a + s.trials, 0),
    pass: meanAt((s) => s.pass),
    entropy: mean((s) => s.entropy),
    entropyNorm: mean((s) => s.entropyNorm),
    entropyByAttempt: meanAt((s) => s.entropyByAttempt),
    invalidRate: mean((s) => s.invalidRate),
    reflectionErrorRate: mean((s) => s.reflectionErrorRate),
    episodeReturn: mean((s) => s.episodeReturn),
    failedTrials: summaries.reduce((a, s) => a + s.failedTrials, 0),
    ...(first.passByType
      ? {
          passByType: Object.fromEntries(
            Object.keys(first.passByType).map((t) => [t, meanAt((s) => s.passByType?.[t] ?? [])]),
          ),
        }
      : {}),
    fatalRepeat: mean((s) => s.fatalRepeat ?? 0),
  };
}
