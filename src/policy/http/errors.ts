/**
 * Errors of the OpenAI-compatible HTTP policy. Messages say what to do next
 * and never contain the API key (only the name of its environment variable).
 */
import { PolicyError } from '../errors.js';

/**
 * The server could not be used for a reason that retrying will not fix (final: the policy's own
 * retries, with their backoff and budget, are the only ones; the trial engine does not add more).
 */
export class HttpPolicyError extends PolicyError {
  constructor(
    message: string,
    /** HTTP status, when the server answered. */
    readonly status?: number,
    options?: { cause?: unknown; final?: boolean },
  ) {
    super(message, { final: true, ...options });
  }
}

/** 400 / 422: the server refused the request itself (sampling settings, context length, ...). */
export class HttpBadRequestError extends HttpPolicyError {}

/** 401 / 403: missing or wrong API key. */
export class HttpAuthError extends HttpPolicyError {}

/** 404: wrong model name or base URL. */
export class HttpNotFoundError extends HttpPolicyError {}

/** A 2xx reply that is not a chat completion (not JSON, or no `choices[0].message`), or a body over the size bound. */
export class HttpReplyFormatError extends HttpPolicyError {}

/** 429, 5xx, timeouts or dropped connections went on past the retry budget. */
export class HttpRetriesExhaustedError extends HttpPolicyError {}

/** A failure worth retrying (internal: turned into HttpRetriesExhaustedError when retries run out). */
export class RetryableHttpError extends HttpPolicyError {
  constructor(
    message: string,
    status?: number,
    /** The server's Retry-After, in ms, when it sent one. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, status, { ...options, final: false });
  }
}

/**
 * Token ids were asked for (training data) and the reply lacks them: the server ignored `logprobs` or
 * `return_tokens_as_token_ids`. Final: every reply of that server will lack them.
 */
export class HttpTokensMissingError extends HttpReplyFormatError {}

/** Loading or unloading a LoRA adapter on the server failed (vLLM's dynamic LoRA API). */
export class HttpAdapterError extends HttpPolicyError {}
