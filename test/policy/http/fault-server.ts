/**
 * A real OpenAI-compatible chat-completions server on 127.0.0.1 (port 0) with
 * fault injection chosen by the user message: `MODE:name`, where MODE is
 * `ok`, `long` (finish_reason length), `flaky500` (two 500s, then success), `slow` (first reply after 10 s),
 * `r429` (one 429 with Retry-After: 0), `drop` (first reply cut mid-body),
 * `reset` (first connection destroyed before any reply), `always500`,
 * `badjson`, `nochoices`, `e400`, `e401`, `e404`, `hang` (never answers).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultServer {
  baseURL: string;
  /** Requests received per user message (`MODE:name`), duplicates and retries included. */
  hits: Map<string, number>;
  /** Most requests in flight at once since the last `resetMaxInFlight`. */
  maxInFlight: () => number;
  resetMaxInFlight: () => void;
  /** Request bodies in arrival order. */
  bodies: Record<string, unknown>[];
  /** Authorization headers seen. */
  auth: (string | undefined)[];
  /** Resolves once a request with this user message has been received (at once if one was). */
  arrived(content: string): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultServer(): Promise<FaultServer> {
  const hits = new Map<string, number>();
  const bodies: Record<string, unknown>[] = [];
  const auth: (string | undefined)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const pending = new Set<NodeJS.Timeout>();
  const waiting = new Map<string, (() => void)[]>();

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      pending.delete(t);
      fn();
    }, ms);
    pending.add(t);
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'tiny', object: 'model' }] }));
      return;
    }
    let raw = '';
    req.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8');
    });
    req.on('end', () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.on('close', () => {
        inFlight--;
      });
      const body = JSON.parse(raw) as { messages: { content: string }[]; logprobs?: boolean };
      bodies.push(body);
      auth.push(req.headers.authorization);
      const content = body.messages.at(-1)?.content ?? '';
      const hit = (hits.get(content) ?? 0) + 1;
      hits.set(content, hit);
      for (const resolve of waiting.get(content) ?? []) resolve();
      waiting.delete(content);
      const mode = content.split(':')[0];
      const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(value));
      };
      const reply = () =>
        json(200, {
          id: 'c1',
          object: 'chat.completion',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: `reply to ${content}` },
              finish_reason: content.includes('long') ? 'length' : 'stop',
              logprobs: body.logprobs
                ? { content: [{ token: 'reply', logprob: -0.5, top_logprobs: [] }] }
                : null,
            },
          ],
        });
      switch (mode) {
        case 'ok':
        case 'long':
          return later(5, reply);
        case 'flaky500':
          return hit <= 2 ? json(500, { error: { message: 'engine overloaded' } }) : reply();
        case 'always500':
          return json(503, { error: { message: 'warming up' } });
        case 'slow':
          return hit === 1 ? later(10_000, reply) : reply();
        case 'r429':
          return hit === 1
            ? json(429, { error: { message: 'rate limited' } }, { 'retry-after': '0' })
            : reply();
        case 'drop':
          if (hit > 1) return reply();
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
          res.write('{"choices": [{"mess');
          return later(5, () => res.socket?.destroy());
        case 'reset':
          return hit === 1 ? req.socket.destroy() : reply();
        case 'badjson':
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end('{"choices": [ oops');
        case 'nochoices':
          return json(200, { choices: [] });
        case 'e400':
          return json(400, {
            error: { message: "max_tokens is too large: 999999. This model's maximum is 4096" },
          });
        case 'e401':
          // A careless server echoing the credentials it got.
          return json(401, { error: { message: `invalid key: ${req.headers.authorization}` } });
        case 'e404':
          return json(404, { detail: 'The model `nope` does not exist.' });
        case 'hang':
          return;
        default:
          return json(400, { error: `unknown test mode ${mode}` });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    hits,
    bodies,
    auth,
    arrived: (content) =>
      hits.has(content)
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiting.set(content, [...(waiting.get(content) ?? []), resolve])),
    maxInFlight: () => maxInFlight,
    resetMaxInFlight: () => {
      maxInFlight = inFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of pending) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
