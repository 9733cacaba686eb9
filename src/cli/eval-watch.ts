/**
 * What `lamer eval` says on stderr while it runs, so that nothing goes wrong
 * silently in a long unattended run: each failed trial once, with its cause;
 * requests being retried (throttled: a server that is down makes every request
 * in flight retry at once); replies cut at the length bound. At the end it
 * judges the run: failed trials above `--max-failed` make it exit 3 after the
 * report, and when the first trials of a run all fail the policy is not
 * working at all, so the run stops there instead of scoring every task 0.
 */
import type { TextOut } from '../metrics/sinks/console-table.js';
import type { RetryNotice } from '../policy/http/openai.js';
import type { TrialRecord, TurnSample } from '../streams/types.js';
import { LamerError } from '../util/errors.js';

/** Trials failed above the allowed share: the scores count them as losses, so they are not a benchmark number. */
export class FailedTrialsError extends LamerError {
  override readonly exitCode = 3;
}

/** The first trials of a run all failed: the policy does not work (server down, wrong model, prompts too long). */
export class PolicyNotWorkingError extends LamerError {
  override readonly exitCode = 3;
}

/** The run stops when this many first finished trials (or all, when fewer) have all failed. */
export const BROKEN_POLICY_TRIALS = 16;
/** At most one retry line per this many ms; the lines between are counted in the next one. */
export const RETRY_LINE_MS = 10_000;
/** A failure cause is shown up to this many characters. */
const CAUSE_CHARS = 400;

export interface EvalWatchOptions {
  /** Where the lines go (stderr). */
  err: TextOut;
  /** Trials the run plans. */
  total: number;
  /** Allowed share of failed trials, 0..1 (default 0: any failed trial fails the run). */
  maxFailed?: number;
  /** Called once when the first trials all failed (the eval aborts its rollout with it). */
  onBroken?: (error: PolicyNotWorkingError) => void;
  /** Clock of the retry-line throttle (tests pass a fake one). */
  now?: () => number;
}

const short = (text: string) => (text.length > CAUSE_CHARS ? `${text.slice(0, CAUSE_CHARS)}…` : text);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export class EvalWatch {
  private finished = 0;
  private readonly failures: TrialRecord[] = [];
  private broken = false;
  private lastRetryLine = Number.NEGATIVE_INFINITY;
  private retriesUnsaid = 0;
  private retriesTotal = 0;
  private readonly now: () => number;

  constructor(private readonly options: EvalWatchOptions) {
    this.now = options.now ?? Date.now;
  }

  private say(line: string): void {
    this.options.err.write(`lamer eval: ${line}\n`);
  }

  /** A finished trial: a failed one is said once, with its cause. */
  trial(record: TrialRecord): void {
    this.finished++;
    if (record.failed === undefined) return;
    this.failures.push(record);
    const turns = record.samples.length;
    this.say(
      `trial ${record.trialId} failed after ${turns} turn${turns === 1 ? '' : 's'} (kept in the log): ${short(record.failed)}`,
    );
    const first = Math.min(BROKEN_POLICY_TRIALS, this.options.total);
    if (
      !this.broken &&
      this.finished === first &&
      this.failures.length === first &&
      first < this.options.total
    ) {
      this.broken = true;
      this.options.onBroken?.(
        new PolicyNotWorkingError(
          `the first ${first} trials all failed, so the policy is not working; stopped before the other ${this.options.total - first} ` +
            `(finished trials are in the trial log). Cause of the last: ${short(record.failed)}`,
        ),
      );
    }
  }

  /** A request about to be retried: a line at once, then at most one per RETRY_LINE_MS. */
  retry(notice: RetryNotice): void {
    this.retriesTotal++;
    const t = this.now();
    if (t - this.lastRetryLine < RETRY_LINE_MS) {
      this.retriesUnsaid++;
      return;
    }
    const more =
      this.retriesUnsaid > 0
        ? ` (and ${this.retriesUnsaid} other retries in the last ${seconds(t - this.lastRetryLine)})`
        : '';
    this.lastRetryLine = t;
    this.retriesUnsaid = 0;
    this.say(
      `retrying ${notice.key} in ${seconds(notice.delayMs)}: try ${notice.try} of ${notice.tries} failed: ${short(notice.reason)}${more}`,
    );
  }

  /** A reply over the length bound, cut by the policy client. */
  cut(sample: TurnSample, bound: number): void {
    this.say(
      `the ${sample.phase} reply of ${sample.trialId} (attempt ${sample.attempt}, turn ${sample.turn}) had ${sample.responseCut} characters; ` +
        `cut to ${bound} (64 per token of --max-tokens) and marked responseCut in the trial log`,
    );
  }

  /** Retries counted but not said yet, said now (at the end of the run). */
  flush(): void {
    if (this.retriesUnsaid > 0) this.say(`${this.retriesUnsaid} more retries since the last line`);
    this.retriesUnsaid = 0;
  }

  get failedCount(): number {
    return this.failures.length;
  }

  /** Requests retried during the run. */
  get retries(): number {
    return this.retriesTotal;
  }

  /** The summary line of failed trials for the report, or null when none failed. */
  summary(trials: number): string | null {
    if (this.failures.length === 0) return null;
    const share = ((100 * this.failures.length) / Math.max(1, trials)).toFixed(1);
    return `failed trials: ${this.failures.length} of ${trials} (${share}%), counted as losses in pass@k; causes on stderr and in the trial log ("failed")`;
  }

  /** Throws FailedTrialsError when the failed share is above `maxFailed`. */
  judge(trials: number): void {
    const allowed = this.options.maxFailed ?? 0;
    const n = this.failures.length;
    if (n === 0 || n / Math.max(1, trials) <= allowed) return;
    const causes = new Map<string, number>();
    for (const r of this.failures) {
      // request keys and ids differ per trial: compare the causes without them
      const cause = short(r.failed ?? '')
        .replace(/"[^"]*"/g, '"…"')
        .replace(/\d+/g, 'N');
      causes.set(cause, (causes.get(cause) ?? 0) + 1);
    }
    const [top, count] = [...causes.entries()].sort((a, b) => b[1] - a[1])[0]!;
    throw new FailedTrialsError(
      `${n} of ${trials} trials failed (above --max-failed ${allowed}), so the scores above are not a benchmark number; ` +
        `most common cause (${count}×, numbers shown as N): ${top}`,
    );
  }
}
