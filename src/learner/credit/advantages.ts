/**
 * From trial records to per-sample advantages: returns → episode rewards →
 * penalty → the chosen estimator. One pure function the learner calls.
 * Trials marked `failed` (policy failure after retries) are counted by the
 * metrics but not trained on: their samples are partial.
 */
import type { TrialRecord, TurnSample } from '../../streams/types.js';
import { episodeRewards } from './episode-rewards.js';
import { type GigpoMode, gigpoAdvantages } from './gigpo.js';
import { grpoAdvantages } from './grpo.js';
import { DEFAULT_INVALID_PENALTY, penalisedScores } from './penalty.js';
import { ppoBaselineAdvantages } from './ppo-baseline.js';
import { crossEpisodeReturns, type ReturnVariant } from './returns.js';

/** Advantage estimator: GiGPO (episode + anchor-state step term, LaMer's default), GRPO (group-normalised scores), or PPO's critic-free baseline. */
export type Estimator = 'gigpo' | 'grpo' | 'ppo';

/** How trial records become advantages: the estimator, the in-attempt and cross-attempt discounts, the return variant, the invalid-reply penalty and GiGPO's options. */
export interface CreditConfig {
  estimator: Estimator;
  stepGamma: number;
  trajGamma: number;
  returnVariant?: ReturnVariant;
  invalidPenalty?: number;
  gigpoMode?: GigpoMode;
  stepAdvantageWeight?: number;
}

/** The samples to train on with, per sample, the advantage, step return, episode reward and penalised score. */
export interface CreditedBatch {
  samples: TurnSample[];
  advantages: number[];
  stepReturns: number[];
  episodeRewards: number[];
  scores: number[];
}

/** Trial records to per-sample advantages: cross-episode returns, episode rewards, invalid penalty, then the estimator. Failed trials are left out (their samples are partial). */
export function computeAdvantages(records: readonly TrialRecord[], config: CreditConfig): CreditedBatch {
  const samples: TurnSample[] = [];
  const stepReturns: number[] = [];
  const epRewards: number[] = [];
  for (const record of records) {
    if (record.failed !== undefined) continue;
    samples.push(...record.samples);
    stepReturns.push(
      ...crossEpisodeReturns(record.samples, {
        stepGamma: config.stepGamma,
        trajGamma: config.trajGamma,
        variant: config.returnVariant ?? 'code',
      }),
    );
    epRewards.push(...episodeRewards(record.samples));
  }
  const scores = penalisedScores(
    epRewards,
    samples.map((s) => s.valid),
    config.invalidPenalty ?? DEFAULT_INVALID_PENALTY,
  );
  const groupIds = samples.map((s) => s.groupId);
  let advantages: number[];
  switch (config.estimator) {
    case 'gigpo': {
      const options = {
        ...(config.gigpoMode ? { mode: config.gigpoMode } : {}),
        ...(config.stepAdvantageWeight === undefined
          ? {}
          : { stepAdvantageWeight: config.stepAdvantageWeight }),
      };
      advantages = gigpoAdvantages(
        { scores, stepReturns, groupIds, anchors: samples.map((s) => s.anchor) },
        options,
      ).advantages;
      break;
    }
    case 'grpo':
      advantages = grpoAdvantages(scores, groupIds);
      break;
    case 'ppo':
      advantages = ppoBaselineAdvantages(stepReturns);
      break;
  }
  return { samples, advantages, stepReturns, episodeRewards: epRewards, scores };
}
