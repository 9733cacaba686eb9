/**
 * Cross-episode returns (reference §5.1): γ_step discounts inside an attempt,
 * γ_traj carries the value of the next attempt back into the previous one.
 *
 * `code` (default) is the public code's backward pass:
 *   G_t^(n) = g_t^(n) + γ_step^(T_n−1−t) · γ_traj · G_0^(n+1)
 * `paper` is the paper's formula (flag):
 *   G_t^(n) = g_t^(n) + Σ_{m>n} γ_traj^(m−n) g_0^(m)
 * where g_t^(n) = Σ_{l≥t} γ_step^(l−t) r_l^(n). A reflection sample gets the
 * return of the first play turn of the attempt that follows it (0 if none);
 * its own reward is ignored.
 */
import type { TurnSample } from '../../streams/types.js';

/** Which cross-episode return: the public code's backward pass (`code`, default) or the paper's formula. */
export type ReturnVariant = 'code' | 'paper';

/** Options of {@link crossEpisodeReturns}: γ_step inside an attempt, γ_traj across attempts, and the variant. */
export interface ReturnOptions {
  stepGamma: number;
  trajGamma: number;
  variant?: ReturnVariant;
}

/**
 * The fields of a turn sample the returns read.
 * @inline
 */
type CreditSample = Pick<TurnSample, 'phase' | 'attempt' | 'reward'>;

/** Returns of one trial's samples, given in play order. */
export function crossEpisodeReturns(samples: readonly CreditSample[], options: ReturnOptions): number[] {
  return (options.variant ?? 'code') === 'code'
    ? codeReturns(samples, options)
    : paperReturns(samples, options);
}

function codeReturns(samples: readonly CreditSample[], { stepGamma, trajGamma }: ReturnOptions): number[] {
  const out = new Array<number>(samples.length).fill(0);
  let running = 0;
  let cur = lastPlayAttempt(samples);
  for (let i = samples.length - 1; i >= 0; i--) {
    const s = samples[i]!;
    if (s.phase === 'reflect') {
      out[i] = running;
      continue;
    }
    if (s.attempt === cur) running = s.reward + stepGamma * running;
    else {
      running = s.reward + trajGamma * running;
      cur = s.attempt;
    }
    out[i] = running;
  }
  return out;
}

function paperReturns(samples: readonly CreditSample[], { stepGamma, trajGamma }: ReturnOptions): number[] {
  const out = new Array<number>(samples.length).fill(0);
  // g_t within each attempt, and g_0 per attempt.
  const g = new Array<number>(samples.length).fill(0);
  const g0 = new Map<number, number>();
  let running = 0;
  let cur: number | null = null;
  for (let i = samples.length - 1; i >= 0; i--) {
    const s = samples[i]!;
    if (s.phase === 'reflect') continue;
    if (s.attempt !== cur) {
      running = 0;
      cur = s.attempt;
    }
    running = s.reward + stepGamma * running;
    g[i] = running;
    g0.set(s.attempt, running);
  }
  const attempts = [...g0.keys()].sort((a, b) => a - b);
  const future = (n: number): number =>
    attempts.filter((m) => m > n).reduce((acc, m) => acc + trajGamma ** (m - n) * g0.get(m)!, 0);
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    if (s.phase === 'play') out[i] = g[i]! + future(s.attempt);
    else {
      const next = samples.slice(i + 1).find((x) => x.phase === 'play');
      out[i] = next === undefined ? 0 : g0.get(next.attempt)! + future(next.attempt);
    }
  }
  return out;
}

function lastPlayAttempt(samples: readonly CreditSample[]): number {
  for (let i = samples.length - 1; i >= 0; i--) if (samples[i]!.phase === 'play') return samples[i]!.attempt;
  return -1;
}
