// Operators over trial records

// Shared helpers
export { firstWin, perAttemptMean, playByAttempt, Tally } from './attempts.js';
// Operators over turn samples
export {
  DEFAULT_REQUIRED_TAGS,
  formatErrorRate,
  hasRequiredTags,
  type RequiredTags,
} from './format-error-rate.js';
export { invalidActionRate } from './invalid-action-rate.js';
export { fatalRepeatRate } from './fatal-repeat-rate.js';
export { type PassAtKOptions, passAtK } from './pass-at-k.js';
// Breakdown
export { perTaskType, type TaskTyped, taskTypeOf } from './per-task-type.js';
export { type RepeatedTokenOptions, repeatedTokenRate, repetitionRatio } from './repeated-token-rate.js';
export { reward } from './reward.js';
// Sinks
export {
  type ConsoleTableOptions,
  consoleTable,
  formatValue,
  plainLine,
  renderMetricsTable,
  type TextOut,
} from './sinks/console-table.js';
export { type JsonlSinkOptions, jsonlSink, readJsonl, toJsonLine } from './sinks/jsonl.js';
export { colorEnabled, type TableStyle, tableStyle, textTable } from './sinks/text-table.js';
// Operators over task groups
export {
  type Entropy,
  empiricalEntropy,
  trajectoryEntropy,
  trajectoryIdentities,
} from './trajectory-entropy.js';
export { turnsPerAttempt } from './turns-per-attempt.js';
