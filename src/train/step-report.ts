/**
 * What `lamer train` reports of one step: the history line (history.jsonl,
 * report.json), the console line, and the live table of the step's rollout
 * on a terminal.
 */
import { merge } from 'rxjs';
import type { TrainStats } from '../learner/trainer/index.js';
import { invalidActionRate } from '../metrics/invalid-action-rate.js';
import { passAtK } from '../metrics/pass-at-k.js';
import { reward } from '../metrics/reward.js';
import { consoleTable } from '../metrics/sinks/console-table.js';
import { type EmittingActor, rolloutStreams } from '../streams/bridge.js';
import type { TrainConfig } from './config.js';
import type { RolloutSummary } from './evaluate.js';
import type { HistoryEntry } from './history.js';
import type { LogprobShift } from './logprob-shift.js';
import { line, seconds, type TrainIO } from './progress.js';
import { formatPass } from './warmstart.js';

/** The learner's stats of one step with what the step's training also measured. */
export interface StepStats extends TrainStats {
  advantages: NonNullable<HistoryEntry['advantages']>;
  shift: LogprobShift;
}

export function advantageStats(a: readonly number[]): NonNullable<HistoryEntry['advantages']> {
  const n = a.length || 1;
  const mean = a.reduce((s, x) => s + x, 0) / n;
  const meanAbs = a.reduce((s, x) => s + Math.abs(x), 0) / n;
  const std = Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / n);
  return { mean, meanAbs, std, nonZero: a.filter((x) => x !== 0).length / n };
}

/** The step's history line (validation and checkpoint are added by the caller when the step has them). */
export function stepEntry(
  step: number,
  secondsSoFar: number,
  rolloutSeconds: number,
  rollout: RolloutSummary,
  stats: StepStats,
): HistoryEntry {
  return {
    step,
    seconds: secondsSoFar,
    rolloutSeconds,
    rollout,
    train: {
      loss: stats.loss,
      pgLoss: stats.pgLoss,
      entropy: stats.entropy,
      clipFrac: stats.clipFrac,
      approxKl: stats.approxKl,
      ...(stats.kl !== undefined ? { kl: stats.kl } : {}),
      gradNorm: stats.gradNorm,
      samples: stats.samples,
      tokens: stats.tokens,
      updates: stats.updates,
      stopped: stats.stopped,
      policyVersion: stats.policyVersion,
    },
    advantages: stats.advantages,
    shift: stats.shift,
  };
}

const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

/** The console line of a step. */
export function stepLine(c: TrainConfig, entry: HistoryEntry, stats: StepStats, ms: number): string {
  const rollout = entry.rollout!;
  const { shift } = stats;
  return (
    `step ${entry.step}/${c.steps} rollout ${formatPass(rollout)} invalid ${rollout.invalidRate.toFixed(3)} return ${rollout.episodeReturn.toFixed(2)} | ` +
    `loss ${stats.loss.toFixed(4)} entropy ${stats.entropy.toFixed(3)} kl ${stats.approxKl.toFixed(4)}${stats.kl !== undefined ? ` kl→warm ${stats.kl.toFixed(4)}` : ''} |A| ${stats.advantages.meanAbs.toFixed(3)} Δlogp A>0 ${signed(shift.positive)} A<0 ${signed(shift.negative)} | ${seconds(ms)}`
  );
}

/** The live metric table of a step's rollout on a terminal. */
export function rolloutTable(io: TrainIO, actor: EmittingActor, attempts: number): void {
  const s = rolloutStreams(actor);
  merge(
    s.trials$.pipe(passAtK({ k: attempts })),
    s.turns$.pipe(invalidActionRate()),
    s.trials$.pipe(reward()),
  )
    .pipe(
      consoleTable({
        out: io.out,
        tty: true,
        final: false,
        clear: true,
        show: (e) => Object.keys(e.tags).length === 0,
      }),
    )
    .subscribe({ error: (e) => line(io, `live metrics stopped: ${(e as Error).message}`) });
}
