// Returns

// From trial records to advantages
export { type CreditConfig, type CreditedBatch, computeAdvantages, type Estimator } from './advantages.js';
export { episodeRewards } from './episode-rewards.js';
export {
  type GigpoInput,
  type GigpoMode,
  type GigpoOptions,
  type GigpoResult,
  gigpoAdvantages,
} from './gigpo.js';

// Advantage estimators
export { type GroupStat, groupStats } from './group-stats.js';
export { grpoAdvantages } from './grpo.js';
export { DEFAULT_INVALID_PENALTY, penalisedScores } from './penalty.js';
export { ppoBaselineAdvantages } from './ppo-baseline.js';
export { crossEpisodeReturns, type ReturnOptions, type ReturnVariant } from './returns.js';
