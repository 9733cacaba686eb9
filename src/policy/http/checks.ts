/**
 * The checks of the HTTP policy before a run and between tries: does a replica serve the model
 * (`GET {base}/models`, with the prompt style `lamer serve` lists), is a replica that was down up
 * again, and in token mode, does every replica return the sampled token ids.
 */
import { request } from 'undici';
import type { GenerationRequest } from '../types.js';
import { attempt, type HttpContext } from './attempt.js';
import { HttpNotFoundError, HttpPolicyError, RetryableHttpError } from './errors.js';
import type { Replica } from './replicas.js';
import { messageOf, servedModels, serverMessage } from './wire.js';

/**
 * `GET {base}/models`: throws HttpNotFoundError naming the served models when the model is not one
 * of them, HttpPolicyError when the server cannot be reached; resolves with the model's prompt style
 * when the server lists one (`lamer serve` does), else undefined.
 */
export async function checkReplica(
  ctx: HttpContext,
  base: string,
  signal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<'faithful' | 'compact' | undefined> {
  const url = `${base}/models`;
  let status: number;
  let text: string;
  try {
    const response = await request(url, {
      dispatcher: ctx.dispatcher,
      headers: ctx.getHeaders,
      signal: signal ?? AbortSignal.timeout(timeoutMs),
    });
    status = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    throw new HttpPolicyError(
      `${ctx.name}: cannot reach ${url} (${ctx.redact(messageOf(error))}): is the server running, and is the URL right?`,
      undefined,
      { cause: error },
    );
  }
  if (status < 200 || status >= 300) throw ctx.statusError(status, ctx.redact(serverMessage(text)));
  const models = servedModels(text);
  if (models === null) return undefined;
  const card = models.find((m) => m.id === ctx.model);
  if (card === undefined) {
    throw new HttpNotFoundError(
      `${ctx.name}: the server does not serve "${ctx.model}"; it serves: ${models.map((m) => m.id).join(', ') || '(nothing)'}`,
      404,
    );
  }
  return card.promptStyle;
}

/** Whether a replica that was down answers `GET {base}/models` again (at most 10 s). */
export async function probeReplica(ctx: HttpContext, replica: Replica): Promise<boolean> {
  const response = await request(`${replica.base}/models`, {
    dispatcher: ctx.dispatcher,
    headers: ctx.getHeaders,
    signal: AbortSignal.timeout(Math.min(ctx.timeoutMs, 10_000)),
  });
  await response.body.dump();
  return response.statusCode >= 200 && response.statusCode < 300;
}

/** The one-token request of the token check (`checkTokens`). */
export const TOKEN_PROBE: GenerationRequest = {
  key: 'preflight/tokens',
  messages: [{ role: 'user', content: 'Say OK.' }],
  sampling: { maxTokens: 1, temperature: 0 },
};

/**
 * Token mode: `body` (the {@link TOKEN_PROBE} request) sent once to every replica must come back with
 * its token id (else HttpTokensMissingError); a replica that does not answer is named.
 */
export async function checkTokens(
  ctx: HttpContext,
  replicas: readonly Replica[],
  body: Buffer,
  timeoutMs: number,
): Promise<void> {
  await Promise.all(
    replicas.map(async (r) => {
      try {
        await attempt(ctx, r, body, AbortSignal.timeout(timeoutMs));
      } catch (error) {
        if (error instanceof HttpPolicyError && !(error instanceof RetryableHttpError)) throw error;
        const why = error instanceof HttpPolicyError ? error.message : `no reply within ${timeoutMs} ms`;
        throw new HttpPolicyError(
          `${ctx.name}: the token check request to ${r.url} failed: ${why}`,
          undefined,
          {
            cause: error,
          },
        );
      }
    }),
  );
}
