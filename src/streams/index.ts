// Actor → RxJS bridge
export {
  completion,
  type EmittingActor,
  fromEmitted,
  groupByTask,
  type RolloutEmitted,
  type RolloutStreams,
  rolloutStreams,
  snapshots,
  type TaskGroup,
  taskGroups,
  trialRecords,
  turnSamples,
} from './bridge.js';

// Metric events
export { latestByKey, type MetricEvent, type MetricScope, metric, metricKey, ratio } from './metric.js';
// Ordering
export { inPlanOrder, OrderError } from './order.js';
export type { Phase, TrialRecord, TurnSample } from './types.js';
// Learner feed (batches in, stats out)
export {
  feedLearner,
  type LearnerInbox,
  LearnerFailedError,
  type LearnerStatsEvent,
  learnerStats,
} from './learner.js';
