/** `lamer eval`'s count options checked before any work starts (a typo like `--tasks 1e9` refused at once). */
import { ConfigError } from '../util/errors.js';
import type { EvalOptions } from './eval-run.js';

/**
 * Upper bounds of the eval's counts. Every trial record stays in memory until the run ends (the
 * result and the metrics hold them) and a trial's schedule and prompts grow with its attempts, so a
 * typo like `--tasks 1e9` is refused at once instead of dying minutes later on a heap limit.
 */
export const EVAL_LIMITS = {
  '--tasks': 100_000,
  '--trials-per-task': 1_000,
  '--attempts': 100,
  '--max-turns': 1_000,
  '--max-tokens': 1_048_576,
  '--concurrency': 100_000,
  '--max-in-flight': 100_000,
  '--retries': 100,
  /** seconds */
  '--timeout': 86_400,
  /** tasks × trials per task */
  trials: 100_000,
} as const;

function bounded(name: keyof typeof EVAL_LIMITS, value: number | undefined): void {
  const max = EVAL_LIMITS[name];
  if (value !== undefined && !(Number.isInteger(value) && value >= 1 && value <= max)) {
    throw new ConfigError(`${name} must be an integer in 1..${max}, got ${value}`);
  }
}

/** Every count option in range (before any work starts). */
export function checkCounts(options: EvalOptions): void {
  bounded('--max-tokens', options.maxTokens);
  bounded('--tasks', options.tasks);
  bounded('--attempts', options.attempts);
  bounded('--trials-per-task', options.trialsPerTask);
  bounded('--concurrency', options.concurrency);
  bounded('--max-turns', options.maxTurns);
  bounded('--timeout', options.timeoutS);
  bounded('--max-in-flight', options.maxInFlight);
  if (
    options.retries !== undefined &&
    !(
      Number.isInteger(options.retries) &&
      options.retries >= 0 &&
      options.retries <= EVAL_LIMITS['--retries']
    )
  ) {
    throw new ConfigError(
      `--retries must be an integer in 0..${EVAL_LIMITS['--retries']}, got ${options.retries}`,
    );
  }
  if (options.maxFailed !== undefined && !(options.maxFailed >= 0 && options.maxFailed <= 1)) {
    throw new ConfigError(
      `--max-failed must be a share in 0..1 (e.g. 0.05 for 5%), got ${options.maxFailed}`,
    );
  }
  const trials = options.tasks * (options.trialsPerTask ?? 1);
  if (trials > EVAL_LIMITS.trials) {
    throw new ConfigError(
      `--tasks × --trials-per-task is ${trials} trials; at most ${EVAL_LIMITS.trials} fit one eval (every record is kept until the end): split it over several --seed values`,
    );
  }
}
