import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveEvent } from '../../src/live/events.js';
import { LiveLog } from '../../src/live/log.js';
import { type LiveServer, LiveServerError, serveLive } from '../../src/live/server.js';

const servers: LiveServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function start(log: LiveLog, maxQueued?: number): Promise<LiveServer> {
  const server = await serveLive(log, { port: 0, ...(maxQueued ? { maxQueued } : {}) });
  servers.push(server);
  return server;
}

/** Reads an SSE stream to its end: the data of each message (and `dropped` notices). */
async function readSse(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  const text = await res.text();
  const messages = text
    .split('\n\n')
    .filter((m) => m.includes('data: '))
    .map((m) => ({
      event: /^event: (.*)$/m.exec(m)?.[1] ?? 'message',
      id: /^id: (.*)$/m.exec(m)?.[1],
      data: JSON.parse(/^data: (.*)$/m.exec(m)![1]!),
    }));
  return { type: res.headers.get('content-type'), messages };
}

const losses = (n: number) => ({ kind: 'warmstart' as const, losses: [n] });

describe('live server', () => {
  it('serves the dashboard, /history and /stats; /events replays from the start or after Last-Event-ID', async () => {
    const log = new LiveLog();
    const server = await start(log);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    for (let i = 0; i < 4; i++) log.publish(losses(i));
    const page = await (await fetch(server.url)).text();
    expect(page).toContain('id="step"');
    expect(page).not.toMatch(/<script[^>]+src=/); // self-contained
    const history = (await (await fetch(`${server.url}history?since=1`)).json()) as LiveEvent[];
    expect(history.map((e) => e.seq)).toEqual([2, 3]);
    const full = readSse(`${server.url}events`);
    const resumed = readSse(`${server.url}events`, { 'Last-Event-ID': '2' });
    await new Promise((r) => setTimeout(r, 50));
    log.publish(losses(4));
    log.publish({ kind: 'end', seconds: 1 });
    const a = await full;
    expect(a.type).toBe('text/event-stream');
    expect(a.messages.map((m) => m.data.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(a.messages.map((m) => m.id)).toEqual(['0', '1', '2', '3', '4', '5']);
    expect((await resumed).messages.map((m) => m.data.seq)).toEqual([3, 4, 5]);
    expect((await fetch(`${server.url}nope`)).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
  });

  it('answers only requests addressed to a loopback name (DNS rebinding): others get a 403 saying why', async () => {
    const log = new LiveLog();
    log.publish(losses(0));
    const server = await start(log);
    const get = (path: string, host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port, path, headers: { host } }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => {
            body += d.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    for (const path of ['/', '/events', '/history', '/stats']) {
      const r = await get(path, `rebound.example:${server.port}`);
      expect(r.status, path).toBe(403);
      expect(r.body).toMatch(
        /^Host "rebound\.example:\d+" is not allowed: .*Open the dashboard at its 127\.0\.0\.1 address/,
      );
    }
    expect((await get('/history', `localhost:${server.port}`)).status).toBe(200);
    expect((await get('/history', `127.0.0.1:${server.port}`)).body).toContain('"seq":0');
    expect(server.stats().served).toBe(0); // no refused request reached the event stream
  });

  it('a stalled client never holds up the run: its queue stays bounded and what it misses is counted; a reading client gets everything', async () => {
    const log = new LiveLog();
    const server = await start(log, 64);
    // a client that connects and never reads
    const stalled = connect(server.port, '127.0.0.1');
    stalled.pause();
    await new Promise<void>((r) => stalled.once('connect', () => r()));
    stalled.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const reader = readSse(`${server.url}events`);
    await new Promise((r) => setTimeout(r, 50));
    // ~16 MB of events, far more than the socket buffers between the ends hold, in chunks the reader keeps up with
    const n = 4000;
    for (let i = 0; i < n; i++) {
      log.publish({ kind: 'warmstart', losses: new Array(400).fill(i + 0.123456789) });
      if (i % 20 === 19) await new Promise((r) => setImmediate(r));
    }
    const stats = server.stats();
    const slow = stats.clients.find((c) => c.dropped > 0);
    expect(slow).toBeDefined();
    expect(slow!.queued).toBeLessThanOrEqual(64);
    expect(slow!.sent + slow!.queued + slow!.dropped).toBe(n);
    expect(stats.dropped).toBe(slow!.dropped);
    log.publish({ kind: 'end', seconds: 1 });
    const got = await reader;
    expect(got.messages.filter((m) => m.event === 'message').map((m) => m.data.seq)).toEqual(
      Array.from({ length: n + 1 }, (_, i) => i),
    );
    stalled.destroy();
  });
});

describe('live server errors', () => {
  it('a port in use is a LiveServerError naming the port', async () => {
    const first = await start(new LiveLog());
    await expect(serveLive(new LiveLog(), { port: first.port })).rejects.toThrow(
      new RegExp(`port ${first.port} is in use`),
    );
    await expect(serveLive(new LiveLog(), { port: first.port })).rejects.toBeInstanceOf(LiveServerError);
  });
});
