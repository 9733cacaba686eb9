/**
 * GiGPO advantages as LaMer uses them (reference §6.2), `mean_norm` mode by
 * default:
 * 1. episode term: s_i − mean over the task group (all turns, all attempts,
 *    all reflections of the n trials of one task; a singleton group uses mean 0);
 * 2. step term: R_i − mean over the samples of the task group with the same
 *    anchor (exact string equality; all reflections share the anchor
 *    'reflection'), where R_i is the cross-episode step return; a singleton
 *    step group gives 0;
 * 3. A_i = A_ep,i + w · A_step,i (w = step_advantage_w, 1.0).
 * `mean_std_norm` divides each term by (unbiased std + 1e-6) (singleton std 1).
 */
import { groupStats } from './group-stats.js';

/** GiGPO normalisation: subtract the group mean, or also divide by the group's std. */
export type GigpoMode = 'mean_norm' | 'mean_std_norm';

/** Per-sample inputs of {@link gigpoAdvantages} (parallel arrays). */
export interface GigpoInput {
  /** Penalised episode scores s_i (episode reward − invalid penalty). */
  scores: readonly number[];
  /** Cross-episode step returns R_i. */
  stepReturns: readonly number[];
  /** Task group id per sample (uid). */
  groupIds: readonly string[];
  /** Anchor per sample. */
  anchors: readonly string[];
}

/** Options of {@link gigpoAdvantages}: mode, the step term's weight (default 1), epsilon of the std division. */
export interface GigpoOptions {
  mode?: GigpoMode;
  stepAdvantageWeight?: number;
  epsilon?: number;
}

/** Per sample: the advantage and its episode and step terms. */
export interface GigpoResult {
  advantages: number[];
  episode: number[];
  step: number[];
}

/** GiGPO advantages as LaMer uses them: episode term (score minus task-group mean) plus weighted step term (step return minus the mean over the same anchor state in the group). */
export function gigpoAdvantages(input: GigpoInput, options: GigpoOptions = {}): GigpoResult {
  const mode = options.mode ?? 'mean_norm';
  const w = options.stepAdvantageWeight ?? 1.0;
  const eps = options.epsilon ?? 1e-6;
  const ep = groupStats(input.scores, input.groupIds);
  const stepKeys = input.groupIds.map((g, i) => `${g}\u0000${input.anchors[i]}`);
  const st = groupStats(input.stepReturns, stepKeys);
  const episode = input.scores.map((s, i) => {
    const g = ep.get(input.groupIds[i]!)!;
    const mean = g.size === 1 ? 0 : g.mean;
    const std = mode === 'mean_norm' || g.size === 1 ? null : g.std;
    return std === null ? s - mean : (s - mean) / (std + eps);
  });
  const step = input.stepReturns.map((r, i) => {
    const g = st.get(stepKeys[i]!)!;
    const std = mode === 'mean_norm' || g.size === 1 ? null : g.std;
    return std === null ? r - g.mean : (r - g.mean) / (std + eps);
  });
  return { advantages: episode.map((a, i) => a + w * step[i]!), episode, step };
}
