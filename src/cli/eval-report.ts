/**
 * What `lamer eval` prints at the end: the metric operators over a rollout's streams, their final
 * events in report order, and the report text around the metric table.
 */
import { merge, type Observable } from 'rxjs';
import type { PromptStyle } from '../envs/core/types.js';
import { fatalRepeatRate } from '../metrics/fatal-repeat-rate.js';
import { formatErrorRate } from '../metrics/format-error-rate.js';
import { invalidActionRate } from '../metrics/invalid-action-rate.js';
import { passAtK } from '../metrics/pass-at-k.js';
import { perTaskType } from '../metrics/per-task-type.js';
import { repeatedTokenRate } from '../metrics/repeated-token-rate.js';
import { reward } from '../metrics/reward.js';
import { renderMetricsTable } from '../metrics/sinks/console-table.js';
import type { TableStyle } from '../metrics/sinks/text-table.js';
import { trajectoryEntropy } from '../metrics/trajectory-entropy.js';
import { turnsPerAttempt } from '../metrics/turns-per-attempt.js';
import type { RolloutStreams } from '../streams/bridge.js';
import type { MetricEvent } from '../streams/metric.js';
import type { EvalOptions } from './eval-run.js';

const REPORT_ORDER = [
  'pass@k',
  'failed_trials',
  'entropy',
  'entropy_norm',
  'invalid_action_rate',
  'reflection_format_error_rate',
  'format_error_rate',
  'repeated_token_rate',
  'repetition_mean',
  'turns_per_attempt',
  'episode_return',
];

function rank(e: MetricEvent): number {
  const i = REPORT_ORDER.indexOf(e.name.startsWith('pass@') ? 'pass@k' : e.name);
  return i === -1 ? REPORT_ORDER.length : i;
}

/** Final events in report order: by metric kind, then pass@k by k, overall before per-attempt rows. */
export function reportOrder(events: Iterable<MetricEvent>): MetricEvent[] {
  return [...events].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      a.name.localeCompare(b.name, 'en', { numeric: true }) ||
      Object.keys(a.tags).length - Object.keys(b.tags).length ||
      JSON.stringify(a.tags).localeCompare(JSON.stringify(b.tags), 'en', { numeric: true }),
  );
}

/**
 * All metric operators of an eval over the rollout's streams; with `perTaskType` (envs that
 * define `taskType`, e.g. ALFWorld) also pass@k per task type (`pass@1{taskType=clean}`, …).
 */
export function evalMetrics(
  streams: Omit<RolloutStreams, 'done$'>,
  attempts: number,
  perType = false,
): Observable<MetricEvent> {
  return merge(
    streams.trials$.pipe(passAtK({ k: attempts })),
    ...(perType ? [streams.trials$.pipe(perTaskType(passAtK({ k: attempts })))] : []),
    streams.tasks$.pipe(trajectoryEntropy()),
    streams.turns$.pipe(invalidActionRate()),
    streams.turns$.pipe(formatErrorRate()),
    streams.turns$.pipe(repeatedTokenRate()),
    streams.trials$.pipe(turnsPerAttempt()),
    streams.trials$.pipe(reward()),
    streams.trials$.pipe(fatalRepeatRate()),
  );
}

/** What the report's head line and footer name besides the options. */
export interface ReportHead {
  envId: string;
  trialsPerTask: number;
  policyName: string;
  style: PromptStyle;
  outPath: string;
  /** How the metric table is drawn (a box on a terminal, plain columns elsewhere). */
  table: TableStyle;
}

/** The report text: head line, metric table, notes, the trial log's path. */
export function formatReport(
  h: ReportHead,
  o: EvalOptions,
  metrics: MetricEvent[],
  trials: number,
  failedLine: string | null,
): string {
  // With one trial per task the entropy is 0 by definition: say so instead of printing zeros.
  const single = h.trialsPerTask < 2;
  const shown = single ? metrics.filter((e) => !e.name.startsWith('entropy')) : metrics;
  const lines = [
    `lamer eval  env=${h.envId}${o.preset ? ` preset=${o.preset}` : ''} policy=${h.policyName} mode=${o.mode ?? 'lamer'} tasks=${o.tasks} trials/task=${h.trialsPerTask} attempts=${o.attempts} memory=${o.memory} style=${h.style} seed=${o.seed}`,
    renderMetricsTable(shown, h.table),
  ];
  if (single) lines.push('entropy: needs --trials-per-task >= 2 (the distinct trajectories of one task)');
  if (failedLine !== null) lines.push(failedLine);
  lines.push(`trial log: ${h.outPath} (${trials} trials)`);
  return `${lines.join('\n')}\n`;
}
