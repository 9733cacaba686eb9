/**
 * `lamer serve`: an OpenAI-compatible HTTP server (POST /v1/chat/completions,
 * GET /v1/models) in front of any Policy, the ONNX LM policy in particular.
 * Concurrent requests are micro-batched into one batched generation
 * (batcher.ts). Binds 127.0.0.1 unless told otherwise. Malformed requests get
 * 400 with a message naming the field; an unknown model 404.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PolicyError } from '../policy/errors.js';
import type { Generation, GenerationRequest, Policy, SamplingSettings } from '../policy/types.js';
import { deriveSeed } from '../util/rng.js';
import { MicroBatcher } from './batcher.js';
import { type ChatCompletionRequest, chatCompletionRequest, contentText, describeIssue } from './schema.js';

export interface ServeOptions {
  policy: Policy;
  /** The model id clients name (`GET /v1/models` lists it). */
  model: string;
  /** Default 127.0.0.1 (this machine only). */
  host?: string;
  /** Default 8000; 0 picks a free port. */
  port?: number;
  /** Largest batch per generation (default 64). */
  maxBatch?: number;
  /** Largest request body (default 8 MiB). */
  maxBodyBytes?: number;
  /** Seed of requests without one (their seed derives from it and a request counter). Default 0. */
  seed?: number;
  /** Token id → text, for the `logprobs.content[].token` field (default: `token_id:<id>`, vLLM's form). */
  decodeToken?: (id: number) => string;
  /**
   * Test seam for fault injection: runs first on every request; return true when it has
   * answered (or dropped) the request itself, e.g. a 500 or a destroyed socket.
   */
  intercept?: (req: IncomingMessage, res: ServerResponse, index: number) => boolean | Promise<boolean>;
}

export interface RunningServer {
  /** `http://host:port` */
  url: string;
  /** `http://host:port/v1`, what clients take as base URL. */
  baseURL: string;
  port: number;
  batcher: MicroBatcher;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed || res.writableEnded) return; // the client went away
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, `request body larger than ${limit} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function samplingOf(body: ChatCompletionRequest, seed: number): SamplingSettings {
  const s: SamplingSettings = { seed };
  if (body.temperature !== undefined) s.temperature = body.temperature;
  if (body.top_p !== undefined) s.topP = body.top_p;
  if (body.top_k !== undefined) s.topK = Math.max(0, body.top_k);
  const max = body.max_completion_tokens ?? body.max_tokens;
  if (max !== undefined) s.maxTokens = max;
  if (body.stop !== undefined && body.stop !== null)
    s.stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
  return s;
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const batcher = new MicroBatcher(options.policy, options.maxBatch ?? 64);
  const limit = options.maxBodyBytes ?? 8 * 2 ** 20;
  const decodeToken = options.decodeToken ?? ((id: number) => `token_id:${id}`);
  const created = Math.floor(Date.now() / 1000);
  let counter = 0;

  const completions = async (req: IncomingMessage, index: number): Promise<unknown> => {
    const raw = await readBody(req, limit);
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      throw new HttpError(400, `request body is not JSON (${(error as Error).message})`);
    }
    const parsed = chatCompletionRequest.safeParse(json);
    if (!parsed.success) throw new HttpError(400, describeIssue(parsed.error));
    const body = parsed.data;
    if (body.model !== options.model) {
      throw new HttpError(
        404,
        `The model "${body.model}" does not exist; this server serves "${options.model}"`,
        'not_found_error',
      );
    }
    const n = body.n ?? 1;
    const base = body.seed ?? deriveSeed(options.seed ?? 0, 'serve', index);
    const messages = body.messages.map((m) => ({ role: m.role, content: contentText(m.content) }));
    const requests: GenerationRequest[] = Array.from({ length: n }, (_, i) => ({
      key: `serve/${index}/${i}`,
      messages,
      // Choice i of n gets its own seed; choice 0 uses the request's seed as is.
      sampling: samplingOf(body, i === 0 ? base : deriveSeed(base, 'choice', i)),
    }));
    let generations: Generation[];
    try {
      generations = await batcher.submit(requests);
    } catch (error) {
      if (error instanceof PolicyError) throw new HttpError(400, error.message);
      throw new HttpError(500, `generation failed: ${(error as Error).message}`, 'server_error');
    }
    const promptTokens = generations[0]?.promptTokens?.length ?? 0;
    const completionTokens = generations.reduce((k, g) => k + (g.responseTokens?.length ?? 0), 0);
    return {
      id: `chatcmpl-${index}`,
      object: 'chat.completion',
      created,
      model: options.model,
      choices: generations.map((g, i) => ({
        index: i,
        message: { role: 'assistant', content: g.text },
        finish_reason: g.finishReason === 'length' ? 'length' : 'stop',
        logprobs:
          body.logprobs && g.logprobs
            ? {
                content: g.logprobs.map((logprob, t) => {
                  const token = g.responseTokens ? decodeToken(g.responseTokens[t]!) : '';
                  return { token, logprob, bytes: [...Buffer.from(token, 'utf8')], top_logprobs: [] };
                }),
              }
            : null,
      })),
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const index = counter++;
    try {
      if (options.intercept && (await options.intercept(req, res, index))) return;
      const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
      if (path === '/v1/models' && req.method === 'GET') {
        send(res, 200, {
          object: 'list',
          data: [{ id: options.model, object: 'model', created, owned_by: 'lamer' }],
        });
      } else if (path === '/v1/chat/completions' && req.method === 'POST') {
        send(res, 200, await completions(req, index));
      } else if (path === '/v1/models' || path === '/v1/chat/completions') {
        throw new HttpError(405, `${req.method} is not allowed on ${path}`);
      } else {
        throw new HttpError(
          404,
          `no route ${req.method} ${path}; try POST /v1/chat/completions or GET /v1/models`,
          'not_found_error',
        );
      }
    } catch (error) {
      const e =
        error instanceof HttpError ? error : new HttpError(500, (error as Error).message, 'server_error');
      send(res, e.status, { error: { message: e.message, type: e.type, param: null, code: e.status } });
    }
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8000, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${port}`;
  return {
    url,
    baseURL: `${url}/v1`,
    port,
    batcher,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
