/**
 * Console output of the training job: progress bars (cli-progress) on a
 * terminal, plain lines otherwise (logs, CI), and a sink for messages.
 */
import cliProgress from 'cli-progress';
import type { TextOut } from '../metrics/sinks/console-table.js';

/** Where a training run prints its progress and results. */
export interface TrainIO {
  /** Human-readable progress and results. */
  out: TextOut;
  /** Draw progress bars (default: when `out` is a terminal). */
  bars?: boolean;
}

export interface Bar {
  /** Set the position and the bar's status text. */
  update(value: number, status?: string): void;
  stop(): void;
}

/** A progress bar on a terminal; without one, nothing until `stop` (the caller logs its own lines). */
export function progressBar(io: TrainIO, label: string, total: number): Bar {
  const bars = io.bars ?? io.out.isTTY === true;
  if (!bars) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} {status}`,
      hideCursor: true,
      clearOnComplete: true,
      stream: io.out as NodeJS.WritableStream,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { status: '' });
  return {
    update: (value, status) => bar.update(value, { status: status ?? '' }),
    stop: () => bar.stop(),
  };
}

/** Write one line. */
export function line(io: TrainIO, text: string): void {
  io.out.write(`${text}\n`);
}

/** Seconds with one decimal. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
