/**
 * vLLM's dynamic LoRA API, client side: `POST {base}/load_lora_adapter` with `{ lora_name,
 * lora_path }` and `POST {base}/unload_lora_adapter` with `{ lora_name }` (vLLM serves them under
 * `/v1` when started with `--enable-lora` and `VLLM_ALLOW_RUNTIME_LORA_UPDATING=True`; `lamer serve
 * --enable-lora` serves the same). Sent to every replica, since each must hold the adapter its
 * requests name. The path is read by the server, so it must name a folder the server can read.
 */
import { type Dispatcher, request } from 'undici';
import type { Rng } from '../../util/rng.js';
import { HttpAdapterError, RetryableHttpError } from './errors.js';
import { droppedConnectionCode, type RetrySettings, retryDelayMs, sleep } from './retry.js';
import { messageOf, serverMessage } from './wire.js';

/** What the admin calls need of the policy: where, through what, with which headers. */
export interface AdminTarget {
  /** The policy's name (error messages). */
  name: string;
  bases: readonly string[];
  dispatcher: Dispatcher;
  headers: Record<string, string>;
  timeoutMs: number;
  retry: RetrySettings;
  rng: Rng;
  /** Removes the API key from text a server echoed. */
  redact: (text: string) => string;
}

const HINT =
  'the server must allow adapters to be loaded while it serves: vLLM with --enable-lora and ' +
  'VLLM_ALLOW_RUNTIME_LORA_UPDATING=True (and --max-lora-rank at least the adapter rank), or lamer serve --enable-lora';

/** Load adapter `name` from `path` (a PEFT folder the server can read) on every replica. */
export async function loadAdapter(target: AdminTarget, name: string, path: string): Promise<void> {
  await Promise.all(
    target.bases.map((base) =>
      post(target, `${base}/load_lora_adapter`, { lora_name: name, lora_path: path }, (status, message) =>
        status === 404 && /not found/i.test(message) && !message.includes(name)
          ? `${base} has no /load_lora_adapter route: ${HINT}`
          : `loading LoRA adapter "${name}" from ${path} on ${base} failed (${status}: ${message}); ` +
            `the path must be a PEFT adapter folder that the server can read; ${HINT}`,
      ),
    ),
  );
}

/** Unload adapter `name` from every replica (its requests then get 404). */
export async function unloadAdapter(target: AdminTarget, name: string): Promise<void> {
  await Promise.all(
    target.bases.map((base) =>
      post(
        target,
        `${base}/unload_lora_adapter`,
        { lora_name: name },
        (status, message) => `unloading LoRA adapter "${name}" on ${base} failed (${status}: ${message})`,
      ),
    ),
  );
}

/** One admin POST, retried on dropped connections, timeouts and 5xx (the retry settings' budget). */
async function post(
  target: AdminTarget,
  url: string,
  body: Record<string, string>,
  refused: (status: number, message: string) => string,
): Promise<void> {
  for (let retry = 0; ; retry++) {
    try {
      await once(target, url, body, refused);
      return;
    } catch (error) {
      if (!(error instanceof RetryableHttpError) || retry >= target.retry.maxRetries) {
        if (error instanceof RetryableHttpError) {
          throw new HttpAdapterError(`${target.name}: ${error.message} (${retry + 1} tries)`, error.status, {
            cause: error,
          });
        }
        throw error;
      }
      await sleep(retryDelayMs(retry, error.retryAfterMs, target.retry, target.rng));
    }
  }
}

async function once(
  target: AdminTarget,
  url: string,
  body: Record<string, string>,
  refused: (status: number, message: string) => string,
): Promise<void> {
  let status: number;
  let text: string;
  try {
    const response = await request(url, {
      dispatcher: target.dispatcher,
      method: 'POST',
      headers: target.headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(target.timeoutMs),
    });
    status = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    const dropped = droppedConnectionCode(error);
    if (dropped !== null || (error as { name?: unknown }).name === 'TimeoutError') {
      throw new RetryableHttpError(`${url}: ${dropped ?? 'no reply in time'}`, undefined, undefined, {
        cause: error,
      });
    }
    throw new HttpAdapterError(
      `${target.name}: ${url} failed: ${target.redact(messageOf(error))}`,
      undefined,
      {
        cause: error,
      },
    );
  }
  if (status >= 200 && status < 300) return;
  const message = target.redact(serverMessage(text));
  if (status >= 500) throw new RetryableHttpError(`${url} answered ${status}: ${message}`, status);
  throw new HttpAdapterError(`${target.name}: ${refused(status, message)}`, status);
}
