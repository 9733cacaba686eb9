/** HTTP clients for the serve tests: fetch-like helpers and a raw socket for what fetch cannot send. */
import { request } from 'node:http';
import { connect } from 'node:net';
import type { Generation, GenerationRequest, Policy } from '../../src/policy/types.js';

export const chat = (content: string, extra: Record<string, unknown> = {}, model = 'tiny') => ({
  model,
  messages: [{ role: 'user', content }],
  max_tokens: 8,
  ...extra,
});

export type Reply = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: reply bodies are checked field by field in the tests
  json: any;
  /** The body as text (a plain-text body has json null). */
  text: string;
};

/** One request with full control of the headers (Host included), through node:http. */
export function send(
  url: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply> {
  const body =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const headers = {
    ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${options.path ?? '/v1/chat/completions'}`,
      { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const json = text !== '' && !res.headers['content-type']?.startsWith('text/plain');
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            json: json ? JSON.parse(text) : null,
            text,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A parsed raw HTTP response: status line and JSON body. */
export interface RawReply {
  status: number;
  json: unknown;
}

function parseRaw(text: string): RawReply | null {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  const length = Number(/\r\ncontent-length: (\d+)/i.exec(text.slice(0, end))?.[1] ?? -1);
  const body = text.slice(end + 4);
  if (length < 0 || Buffer.byteLength(body) < length) return null;
  return { status, json: JSON.parse(body) };
}

/**
 * POST a body over a raw socket: `head` headers, then `chunk` (one body piece) written again and again, each
 * after the socket drained, until the server answers or `maxBytes` were sent. Returns the answer and the body
 * bytes sent before it came.
 */
export function rawUpload(
  port: number,
  head: Record<string, string>,
  chunk: Buffer | null,
  maxBytes: number,
): Promise<{ reply: RawReply; sent: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let sent = 0;
    let answered = false;
    const chunked = head['transfer-encoding'] === 'chunked';
    socket.on('data', (d: Buffer) => {
      received += d.toString('utf8');
      const reply = parseRaw(received);
      if (reply && !answered) {
        answered = true;
        socket.destroy();
        resolve({ reply, sent });
      }
    });
    socket.on('error', (e) => {
      if (!answered) reject(e);
    });
    socket.on('close', () => {
      if (!answered) reject(new Error(`connection closed without an answer after ${sent} body bytes`));
    });
    const lines = Object.entries({ host: `127.0.0.1:${port}`, ...head }).map(([k, v]) => `${k}: ${v}`);
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
    const pump = () => {
      while (chunk !== null && !answered && sent < maxBytes && !socket.destroyed) {
        const piece = chunked ? `${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n` : chunk;
        sent += chunk.length;
        if (!socket.write(piece, 'latin1')) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

/** A policy whose first call waits for `release()`: lets a test queue requests behind a running batch. */
export function gated(inner: Policy): Policy & { release(): void; calls: number } {
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const p = {
    name: inner.name,
    calls: 0,
    release: () => open(),
    async generate(requests: GenerationRequest[]): Promise<Generation[]> {
      if (p.calls++ === 0) await gate;
      return inner.generate(requests);
    },
  };
  return p;
}
