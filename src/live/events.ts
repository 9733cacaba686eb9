/**
 * The live metric stream of a run (`lamer train --live`, `lamer eval --live`,
 * `liveMetrics(run)`): one JSON event per turn batch, finished trial, learner
 * step and validation, plus the run's start and end. Every event carries its
 * position in the run (`seq`, 0-based, no gaps), the training step and the
 * policy version it belongs to. Plain JSON: what the SSE server sends, what
 * `/history` returns and what the charts (assets/charts.js) read. Type-only module.
 */
import type { RolloutSummary } from '../train/evaluate.js';
import type { HistoryEntry } from '../train/history.js';

/** Where a rollout's turns and trials come from. */
export type LivePhase = 'rollout' | 'validation' | 'eval' | 'floor';

/** Stamped by the log when an event is published. */
export interface LiveStamp {
  /** Position in the run's stream: 0, 1, 2, ... */
  seq: number;
  /** Milliseconds since the run started. */
  t: number;
  /** Training step the event belongs to (0 before the first update; eval: 0). */
  step: number;
  /** Policy version that produced the turns (or, for a learner step, the version it published). */
  policyVersion: number;
}

/** What a run is: command, title, env, attempts per trial, and (training) steps planned and algorithm. */
export interface RunInfo {
  command: 'train' | 'eval';
  title: string;
  envId: string;
  /** Attempts per trial (pass@1..attempts). */
  attempts: number;
  /** Training steps planned (train only). */
  steps?: number;
  algo?: string;
  /** Trials the run's rollout plays (eval), for a progress count. */
  trials?: number;
}

/** The turns of one policy batch (the replies of one batched generate call). */
export interface TurnBatch {
  kind: 'turns';
  phase: LivePhase;
  /** Turns in the batch, and of them play turns, invalid play replies, reflections, format errors. */
  turns: number;
  play: number;
  invalid: number;
  reflect: number;
  /** Replies without their phase's tag pair (format-error rate). */
  formatErrors: number;
  /** Response tokens in the batch (turns whose policy reports token ids). */
  tokens: number;
  /** Mean −log p of the sampled response tokens (a Monte-Carlo token entropy, nats); null without log-probs. */
  tokenEntropy: number | null;
  /** Turns of this phase so far in the rollout, this batch included. */
  totalTurns: number;
}

/** One finished trial with the rollout's running metrics after it (pass@k, entropy, rates). */
export interface TrialSummary {
  kind: 'trial';
  phase: LivePhase;
  trialId: string;
  taskId: string;
  /** Attempt index of the first win, null when none. */
  wonAt: number | null;
  turns: number;
  failed: boolean;
  /** Trials finished so far in the rollout. */
  trials: number;
  /** Overall metric values after this trial: `pass@1`..`pass@K`, `entropy`, `invalid_action_rate`, ... */
  metrics: Record<string, number>;
}

/** A learner step: the history line the run writes for it. */
export interface LearnerStep {
  kind: 'step';
  entry: HistoryEntry;
}

/** A validation rollout's summary (or the random-action floor, or the warm start's own evaluation). */
export interface Validation {
  kind: 'validation';
  /** `floor`: random admissible actions on the same tasks; `warm start`: the warm start's own evaluation. */
  label: 'validation' | 'floor' | 'warm start';
  summary: RolloutSummary;
}

/** The warm start's supervised losses (the report's last chart). */
export interface WarmStartLosses {
  kind: 'warmstart';
  losses: number[];
}

/** First event of a run: what the run is. */
export interface RunStart {
  kind: 'run';
  run: RunInfo;
}

/** Last event of a run: its duration in seconds, and the error if it failed. */
export interface RunEnd {
  kind: 'end';
  seconds: number;
  /** Why the run stopped, when it failed. */
  error?: string;
}

/** Every kind of live event, without its stamp (what {@link LiveLog.publish} takes). */
export type LiveBody =
  | RunStart
  | TurnBatch
  | TrialSummary
  | LearnerStep
  | Validation
  | WarmStartLosses
  | RunEnd;

/** One event of a run's live stream: a body stamped with its sequence number, time, step and policy version. */
export type LiveEvent = LiveStamp & LiveBody;

/** The `kind` of a live event. */
export type LiveKind = LiveBody['kind'];
