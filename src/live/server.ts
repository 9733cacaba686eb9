/**
 * The live metrics server (`--live [PORT]`), on 127.0.0.1 only:
 * - `GET /` the dashboard (dashboard.ts): live charts, step counter, drops;
 * - `GET /events` Server-Sent Events, one JSON event per message with its
 *   sequence number as the SSE id; it starts after `?since=N` or the
 *   `Last-Event-ID` header (a reconnecting EventSource loses nothing), from
 *   the run's first event otherwise;
 * - `GET /history?since=N` the events after N as a JSON array;
 * - `GET /stats` events published, clients, what each was sent and dropped.
 * Requests addressed to a name other than a loopback one get a 403 (the `Host`
 * check of `lamer serve`, src/serve/guard.ts): a web page whose domain was
 * made to resolve to 127.0.0.1 (DNS rebinding) cannot read the run's events.
 * Each client reads through a bounded buffer (sse-client.ts): publishing
 * never waits on a socket. The stream ends (connections closed) after the
 * run's `end` event.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Subscription } from 'rxjs';
import { hostGuard } from '../serve/guard.js';
import { LamerError } from '../util/errors.js';
import { dashboardHtml } from './dashboard.js';
import type { LiveLog } from './log.js';
import { SseClient, type SseClientStats } from './sse-client.js';

/** Options of {@link serveLive}. */
export interface LiveServerOptions {
  /** TCP port (0: any free one). */
  port: number;
  /** Most events one client may fall behind before its events are dropped (default 1024). */
  maxQueued?: number;
}

/** What the live server has done: events published, whether the run ended, per-client counts, drops. */
export interface LiveServerStats {
  /** Events in the run's log so far. */
  events: number;
  ended: boolean;
  clients: SseClientStats[];
  /** SSE connections opened so far. */
  served: number;
  /** Events dropped over all clients, those gone included. */
  dropped: number;
}

/** A running live server (see {@link serveLive}). */
export interface LiveServer {
  /** Its base URL, `http://127.0.0.1:PORT/`. */
  url: string;
  port: number;
  /** Counters of the server and its clients now. */
  stats(): LiveServerStats;
  /** Ends every client's stream and stops listening. */
  close(): Promise<void>;
}

/** The port is taken or not ours to open. */
export class LiveServerError extends LamerError {}

const HOST = '127.0.0.1';

function sinceOf(req: IncomingMessage, url: URL): number {
  const raw = req.headers['last-event-id'] ?? url.searchParams.get('since');
  const n = Number(Array.isArray(raw) ? raw[0] : raw);
  return raw !== null && raw !== undefined && Number.isInteger(n) && n >= -1 ? n : -1;
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * Serves a run's live log on 127.0.0.1: `GET /` the dashboard, `/events`
 * (Server-Sent Events, resumable with `?since=N` or `Last-Event-ID`),
 * `/history?since=N`, `/stats`. Rejects with `LiveServerError` when the port is taken.
 */
export async function serveLive(log: LiveLog, options: LiveServerOptions): Promise<LiveServer> {
  const maxQueued = options.maxQueued ?? 1024;
  const clients = new Set<SseClient>();
  const subscriptions = new Map<SseClient, Subscription>();
  let nextId = 0;
  let droppedGone = 0;
  const page = dashboardHtml();
  const checkHost = hostGuard(
    HOST,
    'Open the dashboard at its 127.0.0.1 address, as lamer train printed it.',
  );

  const events = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(': lamer live metrics\n\n');
    const client = new SseClient(nextId++, res, maxQueued);
    clients.add(client);
    const subscription = log.stream(sinceOf(req, url)).subscribe({
      next: (event) => client.send(event),
      complete: () => client.end(),
    });
    subscriptions.set(client, subscription);
    res.on('close', () => {
      subscription.unsubscribe();
      subscriptions.delete(client);
      clients.delete(client);
      droppedGone += client.dropped;
    });
  };

  const stats = (): LiveServerStats => {
    const list = [...clients].map((c) => c.stats());
    return {
      events: log.size,
      ended: log.ended,
      clients: list,
      served: nextId,
      dropped: droppedGone + list.reduce((n, c) => n + c.dropped, 0),
    };
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    const refused = checkHost?.(req);
    if (refused) {
      res
        .writeHead(refused.status, { 'content-type': 'text/plain; charset=utf-8' })
        .end(`${refused.message}\n`);
      return;
    }
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    switch (url.pathname) {
      case '/':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
        return;
      case '/events':
        events(req, res, url);
        return;
      case '/history':
        json(res, log.history(sinceOf(req, url)));
        return;
      case '/stats':
        json(res, stats());
        return;
      default:
        res
          .writeHead(404, { 'content-type': 'text/plain' })
          .end('not found: try /, /events, /history, /stats\n');
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new LiveServerError(
          error.code === 'EADDRINUSE'
            ? `--live: port ${options.port} is in use; pick another (--live PORT) or 0 for any free port`
            : `--live: cannot listen on ${HOST}:${options.port} (${error.message})`,
          { cause: error },
        ),
      ),
    );
    server.listen(options.port, HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${HOST}:${port}/`,
    port,
    stats,
    close: async () => {
      for (const client of clients) client.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
