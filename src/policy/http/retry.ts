/**
 * Retry policy of the HTTP policy: exponential backoff with seeded jitter,
 * Retry-After honoured (capped), and the test for dropped connections.
 */
import type { Rng } from '../../util/rng.js';

/** Backoff of the HTTP policy: retries, exponential delay with jitter, and caps. */
export interface RetrySettings {
  /** Retries after the first try (default 5). */
  maxRetries: number;
  /** Delay before the first retry, before jitter (default 500 ms). */
  baseDelayMs: number;
  /** Cap of the exponential delay (default 30 s). */
  maxDelayMs: number;
  /** Cap of a server's Retry-After (default 60 s): a server asking for longer gets this. */
  maxRetryAfterMs: number;
}

/** The HTTP policy's default backoff: 5 retries from 500 ms, doubling up to 30 s; a Retry-After honoured up to 60 s. */
export const DEFAULT_RETRY: RetrySettings = {
  maxRetries: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
};

/**
 * Delay before retry number `retry` (0 = the first retry): `base * 2^retry`
 * capped at `maxDelayMs`, scaled by a seeded jitter factor in [0.5, 1), and
 * never shorter than the server's Retry-After (itself capped).
 */
export function retryDelayMs(
  retry: number,
  retryAfterMs: number | undefined,
  settings: RetrySettings,
  rng: Rng,
): number {
  const exponential = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** retry);
  const jittered = exponential * (0.5 + 0.5 * rng.float());
  const asked = retryAfterMs === undefined ? 0 : Math.min(retryAfterMs, settings.maxRetryAfterMs);
  return Math.max(jittered, asked);
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

const DROPPED_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * Whether a fetch failure is a dropped or refused connection (worth a retry):
 * undici wraps the socket error as the `cause` of a TypeError.
 */
export function droppedConnectionCode(error: unknown): string | null {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && DROPPED_CODES.has(code)) return code;
    if (/socket hang up|other side closed|terminated/i.test(e.message)) return e.message;
  }
  return null;
}

/** Resolve after `ms`, or reject with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
