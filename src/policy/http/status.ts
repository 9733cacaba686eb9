/** A non-2xx answer that no retry fixes, as the named error saying what to do. */
import { HttpAuthError, HttpBadRequestError, HttpNotFoundError, HttpPolicyError } from './errors.js';

export interface StatusContext {
  /** The policy's name (message prefix). */
  name: string;
  /** The model the policy was made for. */
  model: string;
  /** `GET` here lists the served models. */
  modelsUrl: string;
  /** Name of the API key's environment variable, and whether it was set. */
  apiKeyEnv: string;
  hasKey: boolean;
}

export function statusError(status: number, message: string, c: StatusContext): HttpPolicyError {
  const prefix = `${c.name}: server answered ${status}: ${message}`;
  if (status === 401 || status === 403) {
    const fix = c.hasKey
      ? `the API key in the environment variable ${c.apiKeyEnv} was refused: set ${c.apiKeyEnv} to a valid key`
      : `the server wants an API key: set the environment variable ${c.apiKeyEnv}`;
    return new HttpAuthError(`${prefix}. ${fix}`, status);
  }
  if (status === 404) {
    return new HttpNotFoundError(
      `${prefix}. Check the model name "${c.model}" (GET ${c.modelsUrl} lists them) and the base URL (it usually ends in /v1)`,
      status,
    );
  }
  if (status === 400 || status === 422) {
    return new HttpBadRequestError(
      `${prefix}. The server refused the request: check the sampling settings (top_k needs a server that accepts it: sendTopK false for OpenAI) and the prompt length`,
      status,
    );
  }
  return new HttpPolicyError(prefix, status);
}
