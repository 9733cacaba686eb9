/**
 * Shared option parsers for the CLI (commander hands us strings).
 */
import { availableParallelism } from 'node:os';
import { InvalidArgumentError, Option } from 'commander';
import { EXECUTION_PROVIDERS } from '../../learner/providers.js';
import { ConfigError } from '../../util/errors.js';

export function parseIntOption(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
  return n;
}

export function parsePositiveIntOption(value: string): number {
  const n = parseIntOption(value);
  if (n < 1) throw new InvalidArgumentError(`expected an integer >= 1, got "${value}"`);
  return n;
}

/** A seed: an integer >= 0 (the same rule for every command's --seed). */
export function parseSeedOption(value: string): number {
  const n = parseIntOption(value);
  if (n < 0) throw new InvalidArgumentError(`expected a seed, an integer >= 0, got "${value}"`);
  return n;
}

/** Most onnxruntime threads per op a command accepts: 4 per core (more only adds switching). */
export const maxThreads = (): number => 4 * availableParallelism();

/** onnxruntime threads per op: 1 .. `maxThreads()`. */
export function parseThreadsOption(value: string): number {
  const n = parseIntOption(value);
  const most = maxThreads();
  if (n < 1 || n > most)
    throw new InvalidArgumentError(
      `expected 1..${most} threads (4 per core on this machine, ${availableParallelism()} cores), got "${value}"`,
    );
  return n;
}

/** `key=value` pairs → object; values parsed as JSON when they are valid JSON, else kept as strings. */
export function parseSetOptions(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set expects key=value (e.g. --set mines=4), got "${pair}"`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
    }
    out[pair.slice(0, eq)] = value;
  }
  return out;
}

/**
 * `--provider <p>`: the onnxruntime execution provider (cpu, cuda, webgpu), one rule for every command
 * that runs a model (`serve`, `train`); commander refuses any other value with the list.
 */
export function providerOption(description = 'onnxruntime execution provider'): Option {
  return new Option('--provider <p>', description).choices(EXECUTION_PROVIDERS);
}
