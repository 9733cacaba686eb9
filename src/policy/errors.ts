import { LamerError } from '../util/errors.js';

/** A policy could not answer a request (bad reply count, missing oracle, exhausted script, failed call). */
export class PolicyError extends LamerError {
  /**
   * Asking again cannot help: the policy already retried, or the request itself was refused. The
   * trial engine then ends the trial at once instead of retrying the call.
   */
  readonly final: boolean;

  constructor(message: string, options?: { cause?: unknown; final?: boolean }) {
    super(message, options);
    this.final = options?.final ?? false;
  }
}

/** Whether `error` is a policy failure that a retry of the same request cannot fix. */
export function isFinalFailure(error: unknown): boolean {
  return error instanceof PolicyError && error.final;
}
