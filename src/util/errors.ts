/**
 * Base class of every error lamer-ts throws on purpose. Each subclass names
 * what went wrong; each message says what to do next.
 */
export class LamerError extends Error {
  /** The CLI's exit code for it: 2 (bad input) unless a subclass says otherwise. */
  readonly exitCode: number = 2;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A configuration value is out of range or of the wrong shape. */
export class ConfigError extends LamerError {}

/** An id (env, preset, policy, ...) that is not registered. */
export class UnknownIdError extends LamerError {}

/** Input data (a level file, a layout, a checkpoint) could not be parsed. */
export class ParseError extends LamerError {}

/** An env broke its contract (see `checkEnvContract`). */
export class ContractViolationError extends LamerError {}
