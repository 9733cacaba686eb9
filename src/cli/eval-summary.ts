/**
 * `lamer eval --json`: the evaluation's summary as one JSON object (its
 * settings, the final value of every metric series, the trial log), printed
 * instead of the table so scripts read the numbers without parsing text.
 */
import type { MemoryMode, PromptStyle } from '../envs/core/types.js';
import { type MetricEvent, metricKey } from '../streams/metric.js';
import type { EvalMode } from './eval-modes.js';

/** What `lamer eval --json` prints. */
export interface EvalSummary {
  env: string;
  /** The policy's name (`expert`, `openai:URL#MODEL`, ...). */
  policy: string;
  mode: EvalMode;
  preset: string | null;
  tasks: number;
  trialsPerTask: number;
  attempts: number;
  memory: MemoryMode;
  style: PromptStyle;
  seed: number;
  trials: number;
  /** Trials whose policy failed (counted as losses in pass@k). */
  failedTrials: number;
  /** Series key (`pass@1`, `entropy{attempt=1}`, ...) → its final value, in report order. */
  metrics: Record<string, number>;
  /** The JSONL trial log. */
  log: string;
}

/** The parts of a finished evaluation the summary reports. */
export interface SummaryInput {
  envId: string;
  policyName: string;
  mode: EvalMode;
  preset?: string | undefined;
  tasks: number;
  trialsPerTask: number;
  attempts: number;
  memory: MemoryMode;
  style: PromptStyle;
  seed: number;
  outPath: string;
}

export function evalSummary(
  s: SummaryInput,
  metrics: readonly MetricEvent[],
  trials: number,
  failed: number,
): EvalSummary {
  return {
    env: s.envId,
    policy: s.policyName,
    mode: s.mode,
    preset: s.preset ?? null,
    tasks: s.tasks,
    trialsPerTask: s.trialsPerTask,
    attempts: s.attempts,
    memory: s.memory,
    style: s.style,
    seed: s.seed,
    trials,
    failedTrials: failed,
    metrics: Object.fromEntries(metrics.map((e) => [metricKey(e), e.value])),
    log: s.outPath,
  };
}
