/**
 * `--live [PORT]` for `lamer train` and `lamer eval`: a live log served on
 * 127.0.0.1 for the run's life; the address is printed first, and what slow
 * clients missed is printed at the end.
 */
import { InvalidArgumentError } from 'commander';
import type { TextOut } from '../metrics/sinks/console-table.js';
import { LiveLog } from './log.js';
import { serveLive } from './server.js';

/** `--live` without a port. */
export const DEFAULT_LIVE_PORT = 6600;

/** The option parser of `--live [port]` (commander calls it only when a port is given). */
export function parseLivePort(value: string): number {
  const n = Number(value);
  if (!(value.trim() !== '' && Number.isInteger(n) && n >= 0 && n <= 65535))
    throw new InvalidArgumentError(`expected a port 0..65535 (0: any free port), got "${value}"`);
  return n;
}

/** commander's value of `--live [port]` (true without a port) → the port; false/undefined → no server. */
export function livePort(value: number | boolean | undefined): number | undefined {
  if (value === undefined || value === false) return undefined;
  return value === true ? DEFAULT_LIVE_PORT : value;
}

/** Run `run` with a live log served on `port` (no server when `port` is undefined). */
export async function withLiveServer<T>(
  port: number | undefined,
  out: TextOut,
  run: (log: LiveLog | undefined) => Promise<T>,
): Promise<T> {
  if (port === undefined) return run(undefined);
  const log = new LiveLog();
  const server = await serveLive(log, { port });
  out.write(`live metrics: ${server.url} (SSE ${server.url}events, JSON ${server.url}history)\n`);
  try {
    return await run(log);
  } finally {
    const { events, served, dropped } = server.stats();
    out.write(
      `live metrics: ${events} events, ${served} SSE connection(s), ${dropped} events dropped for slow clients${dropped > 0 ? ' (all in /history)' : ''}\n`,
    );
    await server.close();
  }
}
