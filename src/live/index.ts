// Live events (type-only)
export type {
  LearnerStep,
  LiveBody,
  LiveEvent,
  LiveKind,
  LivePhase,
  LiveStamp,
  RunEnd,
  RunInfo,
  RunStart,
  TrialSummary,
  TurnBatch,
  Validation,
  WarmStartLosses,
} from './events.js';

// The run's live log and its stream
export { LiveLog, type LiveLogOptions, liveMetrics, type WithLiveLog } from './log.js';
export { type LiveRun, startEval, startTraining } from './run.js';

// Operators: turns → turn batches, trials → trial summaries; a rollout into a log
export { batchOf, type TurnBatchOptions, turnBatches } from './turn-batches.js';
export { type TrialSummaryOptions, trialSummaries } from './trial-summaries.js';
export { type WatchRolloutOptions, watchRollout } from './rollout.js';

// Serving it: SSE, history, dashboard
export {
  type LiveServer,
  LiveServerError,
  type LiveServerOptions,
  type LiveServerStats,
  serveLive,
} from './server.js';
export { SseClient, type SseClientStats, sseMessage } from './sse-client.js';
export { dashboardHtml } from './dashboard.js';
export { DEFAULT_LIVE_PORT, livePort, parseLivePort, withLiveServer } from './cli.js';
