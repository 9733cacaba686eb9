/**
 * The HTTP edges of `lamer serve`: errors in OpenAI's shape (`{ error: {
 * message, type, param, code } }`, code = the status, as vLLM), JSON replies,
 * and reading a body under a byte limit (raw-body: a declared Content-Length
 * over the limit is refused before a byte is read; a chunked body as soon as
 * it passes the limit, so memory stays at most the limit).
 *
 * A refusal sent before the body was read (413, 401, 403, 415) must reach a
 * client that is still sending: closing at once would reset the connection
 * and the client would see a reset instead of the answer. So the rest of the
 * body is read and dropped (constant memory) and the connection stays open
 * for `LINGER_MS`, then is cut if the client is still sending.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import getRawBody from 'raw-body';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** The client went away before its body arrived: nothing to answer. */
export class ClientGone extends Error {}

/** How long a client still sending a refused body gets before its connection is cut. */
export const LINGER_MS = 5000;

export function errorBody(e: HttpError): unknown {
  return { error: { message: e.message, type: e.type, param: null, code: e.status } };
}

export function sendJson(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.destroyed || res.writableEnded) return; // the client went away
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
  if (!req.complete) linger(req);
}

/** A plain-text reply (vLLM answers its LoRA routes so). */
export function sendText(req: IncomingMessage, res: ServerResponse, status: number, text: string): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
  if (!req.complete) linger(req);
}

/** Drop the unread rest of a refused body; cut the connection if it has not ended after LINGER_MS. */
function linger(req: IncomingMessage): void {
  const socket = req.socket;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  const stop = () => clearTimeout(timer);
  req.once('end', stop);
  socket.once('close', stop);
  req.resume();
}

/** The whole body, at most `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  try {
    return await getRawBody(req, { length: req.headers['content-length'] ?? null, limit });
  } catch (error) {
    const type = (error as { type?: unknown }).type;
    if (type === 'entity.too.large') {
      throw new HttpError(
        413,
        `request body larger than ${limit} bytes; send a smaller one (lamer serve --max-body-bytes raises the limit)`,
      );
    }
    if (type === 'request.aborted') throw new ClientGone('the client went away while sending its body');
    throw new HttpError(400, `could not read the request body: ${(error as Error).message}`);
  }
}
