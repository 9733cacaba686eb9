/**
 * `lamer serve`: an OpenAI-compatible HTTP server (POST /v1/chat/completions,
 * GET /v1/models) in front of any Policy, the ONNX LM policy in particular.
 *
 * A request goes: Host check (guard.ts; 403) → API key (401) → route (404,
 * 405) → Content-Type (415) → body under the byte limit (reply.ts; 413) →
 * parse, validate and tokenize in the prepare worker (prepare.ts, parse.ts;
 * 400 naming the field or the prompt length, 404 for an unknown model) →
 * micro-batched generation (batcher.ts) → reply (completion.ts). The event
 * loop only moves bytes: no request's size stalls another. A client that goes
 * away withdraws its request: from the queue, or its rows from the running
 * batch (the policy drops them between decode steps). With `adapters`
 * (`--enable-lora`), vLLM's dynamic LoRA routes load and unload adapters
 * (adapters.ts) and a request names one in `model`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PolicyError } from '../policy/errors.js';
import type { Generation, Policy } from '../policy/types.js';
import { ConfigError } from '../util/errors.js';
import { type AdapterHost, AdapterRegistry } from './adapters.js';
import { MicroBatcher } from './batcher.js';
import { completionBody, generationRequests } from './completion.js';
import { apiKeyGuard, hostGuard, jsonContentType } from './guard.js';
import { DEFAULT_MAX_BODY_BYTES } from './limits.js';
import { Preparer } from './prepare.js';
import type { PromptSource } from './prepare-protocol.js';
import { ClientGone, errorBody, HttpError, readBody, sendJson, sendText } from './reply.js';

export interface ServeOptions {
  policy: Policy;
  /** The model id clients name (`GET /v1/models` lists it). */
  model: string;
  /**
   * The served model's tokenizer and context length: requests are tokenized off the event loop and a prompt
   * too long is refused alone (400) before it joins a batch. Without it, bodies are parsed and validated only.
   */
  prompt?: PromptSource;
  /** Default 127.0.0.1 (this machine only: `Host` must then name a loopback address). */
  host?: string;
  /** Default 8000; 0 picks a free port. */
  port?: number;
  /** Largest batch per generation (default 64). */
  maxBatch?: number;
  /** Largest request body in bytes (default 1 MiB, limits.ts). */
  maxBodyBytes?: number;
  /** Clients must send `Authorization: Bearer <apiKey>` (default: no key). */
  apiKey?: string;
  /** Seed of requests without one (their seed derives from it and a request counter). Default 0. */
  seed?: number;
  /**
   * LoRA adapters loaded while serving (`--enable-lora`): vLLM's `/v1/load_lora_adapter` and
   * `/v1/unload_lora_adapter`, requests naming an adapter in `model`. Absent: those routes are 404.
   */
  adapters?: AdapterHost;
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
  /** The Node HTTP server (its events, e.g. for tests). */
  server: Server;
  close(): Promise<void>;
}

const ADAPTER_ROUTES = new Set(['/v1/load_lora_adapter', '/v1/unload_lora_adapter']);

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new HttpError(400, `request body is not JSON (${(error as Error).message})`);
  }
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!(Number.isInteger(limit) && limit >= 1))
    throw new ConfigError(`maxBodyBytes must be an integer >= 1, got ${limit}`);
  const host = options.host ?? '127.0.0.1';
  const registry = options.adapters ? new AdapterRegistry(options.adapters, options.model) : null;
  const batcher = new MicroBatcher(
    options.policy,
    options.maxBatch ?? 64,
    options.adapters ? (adapter) => options.adapters!.activate(adapter) : undefined,
  );
  // with adapters the names change while serving: the model is checked here, not in the worker
  const preparer = await Preparer.start({
    model: registry ? null : options.model,
    prompt: options.prompt ?? null,
  });
  const guards = [hostGuard(host), apiKeyGuard(options.apiKey)].filter((g) => g !== null);
  const decodeToken = options.decodeToken ?? ((id: number) => `token_id:${id}`);
  const created = Math.floor(Date.now() / 1000);
  let counter = 0;

  const completions = async (
    req: IncomingMessage,
    res: ServerResponse,
    index: number,
    signal: AbortSignal,
  ): Promise<unknown> => {
    const wrongType = jsonContentType(req);
    if (wrongType !== null) throw wrongType;
    // Checked before the body is sent (Expect: 100-continue, as curl does for big bodies).
    if (req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();
    const bytes = await readBody(req, limit);
    const parsed = await preparer.prepare(bytes);
    if (!parsed.ok) throw new HttpError(parsed.status, parsed.message, parsed.type);
    const model = parsed.body.model;
    if (registry && !registry.serves(model)) {
      const names = [options.model, ...registry.list().map((a) => a.name)];
      throw new HttpError(
        404,
        `The model "${model}" does not exist; this server serves ${names.map((n) => `"${n}"`).join(', ')}`,
        'not_found_error',
      );
    }
    let generations: Generation[];
    try {
      generations = await batcher.submit(
        generationRequests(parsed, index, options.seed ?? 0, signal),
        signal,
        registry ? registry.adapterOf(model) : null,
      );
    } catch (error) {
      if (signal.aborted) throw new ClientGone('the client went away during generation');
      if (error instanceof PolicyError) throw new HttpError(400, error.message);
      throw new HttpError(500, `generation failed: ${(error as Error).message}`, 'server_error');
    }
    return completionBody(parsed, generations, { index, created, decodeToken });
  };

  const route = async (req: IncomingMessage, res: ServerResponse, index: number, signal: AbortSignal) => {
    for (const guard of guards) {
      const refusal = guard(req);
      if (refusal !== null) throw refusal;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
    if (path === '/v1/models' && req.method === 'GET') {
      sendJson(req, res, 200, {
        object: 'list',
        data: [
          {
            id: options.model,
            object: 'model',
            created,
            owned_by: 'lamer',
            // the style the model was trained on: `lamer eval --style auto` (the default) plays in it
            ...(options.policy.promptStyle ? { prompt_style: options.policy.promptStyle } : {}),
          },
          // adapters as vLLM lists them: root = where it was loaded from, parent = the base model
          ...(registry?.list() ?? []).map((a) => ({
            id: a.name,
            object: 'model',
            created: a.created,
            owned_by: 'lamer',
            root: a.path,
            parent: options.model,
          })),
        ],
      });
    } else if (registry && ADAPTER_ROUTES.has(path) && req.method === 'POST') {
      const wrongType = jsonContentType(req);
      if (wrongType !== null) throw wrongType;
      const json = parseJson(await readBody(req, limit));
      sendText(
        req,
        res,
        200,
        await (path === '/v1/load_lora_adapter' ? registry.load(json) : registry.unload(json)),
      );
    } else if (path === '/v1/chat/completions' && req.method === 'POST') {
      sendJson(req, res, 200, await completions(req, res, index, signal));
    } else if (path === '/v1/models' || path === '/v1/chat/completions') {
      throw new HttpError(405, `${req.method} is not allowed on ${path}`);
    } else {
      throw new HttpError(
        404,
        `no route ${req.method} ${path}; try POST /v1/chat/completions or GET /v1/models`,
        'not_found_error',
      );
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const index = counter++;
    const client = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) client.abort(new ClientGone('the client went away'));
    });
    try {
      if (options.intercept && (await options.intercept(req, res, index))) return;
      await route(req, res, index, client.signal);
    } catch (error) {
      if (error instanceof ClientGone || client.signal.aborted) return; // nobody to answer
      const e =
        error instanceof HttpError ? error : new HttpError(500, (error as Error).message, 'server_error');
      sendJson(req, res, e.status, errorBody(e), e.headers);
    }
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on('checkContinue', (req, res) => {
    void handle(req, res);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 8000, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await preparer.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${port}`;
  return {
    url,
    baseURL: `${url}/v1`,
    port,
    batcher,
    server,
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      });
      await preparer.close();
    },
  };
}
