/**
 * A real OpenAI-compatible server on 127.0.0.1 (port 0) whose every answer a
 * test chooses: `answer(prompt, hit)` gets the last user message and how many
 * times that exact prompt was asked, and returns what to do. For tests that
 * drive whole evaluations through the HTTP policy, where the prompts are the
 * env's own (test/policy/http/fault-server.ts picks faults by message prefix).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Answer =
  | { reply: string; finishReason?: 'stop' | 'length'; delayMs?: number }
  | { status: number; body: string | object; headers?: Record<string, string> }
  | { hang: true }
  | { destroy: true };

export interface ScriptedServer {
  baseURL: string;
  /** Chat requests received, retries included. */
  requests: () => number;
  /** Most chat requests in flight at once. */
  maxInFlight: () => number;
  /** TCP connections accepted (keep-alive reuses them). */
  connections: () => number;
  /** Models listed by GET /v1/models (default `tiny`). */
  models: { id: string; prompt_style?: string }[];
  close(): Promise<void>;
}

export async function startScriptedServer(
  answer: (prompt: string, hit: number) => Answer,
): Promise<ScriptedServer> {
  const hits = new Map<string, number>();
  let requests = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const models: { id: string; prompt_style?: string }[] = [{ id: 'tiny' }];
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: models }));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.on('close', () => {
        inFlight--;
      });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages: { content: string }[] };
      const prompt = body.messages.at(-1)?.content ?? '';
      const hit = (hits.get(prompt) ?? 0) + 1;
      hits.set(prompt, hit);
      const a = answer(prompt, hit);
      if ('hang' in a) return;
      if ('destroy' in a) {
        req.socket.destroy();
        return;
      }
      if ('status' in a) {
        res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
        res.end(typeof a.body === 'string' ? a.body : JSON.stringify(a.body));
        return;
      }
      const reply = JSON.stringify({
        id: 'c',
        object: 'chat.completion',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: a.reply },
            finish_reason: a.finishReason ?? 'stop',
          },
        ],
      });
      const send = () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(reply);
      };
      if (a.delayMs === undefined) send();
      else setTimeout(send, a.delayMs);
    });
  });
  let connections = 0;
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests: () => requests,
    maxInFlight: () => maxInFlight,
    connections: () => connections,
    models,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
