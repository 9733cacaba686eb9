/**
 * One Server-Sent-Events client with a bounded buffer, so a slow or dead
 * client never slows the run: an event goes straight to the socket while it
 * keeps up; once the socket's buffer is full (`write` returns false) events
 * wait in a queue of at most `maxQueued`, and beyond that they are dropped
 * and counted. When the socket drains, the queue is sent, then a `dropped`
 * event (`{ dropped, total, from, to }`: the sequence numbers lost) so the
 * client can fetch them from `/history`. Hand-written: the SSE framing is
 * three lines, and no SSE library bounds a slow client's buffer or counts
 * what it drops.
 */
import type { ServerResponse } from 'node:http';
import type { LiveEvent } from './events.js';

/** Counters of one SSE client. */
export interface SseClientStats {
  id: number;
  /** Events written to the socket. */
  sent: number;
  /** Events dropped because the client fell `maxQueued` events behind. */
  dropped: number;
  /** Events waiting for the socket to drain. */
  queued: number;
}

/** One SSE message: `id` (so a reconnecting EventSource sends Last-Event-ID), optional `event`, `data`. */
export function sseMessage(data: unknown, id?: number, event?: string): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
}

/**
 * One Server-Sent-Events connection with a bounded queue: events go straight
 * to the socket while it keeps up, wait (up to `maxQueued`) while it is
 * full, and beyond that are dropped and counted, then reported in a `dropped` event.
 */
export class SseClient {
  private readonly queue: string[] = [];
  private waiting = false;
  private closed = false;
  private gap: { from: number; to: number; count: number } | null = null;
  sent = 0;
  dropped = 0;

  constructor(
    readonly id: number,
    private readonly res: ServerResponse,
    private readonly maxQueued: number,
  ) {
    res.on('drain', () => this.drain());
    res.on('close', () => {
      this.closed = true;
      this.queue.length = 0;
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Writes the event, queues it while the socket is full, or drops it beyond `maxQueued`. Ignored once closed. */
  send(event: LiveEvent): void {
    if (this.closed) return;
    if (!this.waiting) {
      this.write(sseMessage(event, event.seq));
      return;
    }
    if (this.queue.length < this.maxQueued) {
      this.queue.push(sseMessage(event, event.seq));
      return;
    }
    this.dropped += 1;
    this.gap =
      this.gap === null
        ? { from: event.seq, to: event.seq, count: 1 }
        : { from: this.gap.from, to: event.seq, count: this.gap.count + 1 };
  }

  /** The client's counters now. */
  stats(): SseClientStats {
    return { id: this.id, sent: this.sent, dropped: this.dropped, queued: this.queue.length };
  }

  /** Ends the response (the client's stream). */
  end(): void {
    if (!this.closed) this.res.end();
  }

  private write(message: string): void {
    this.sent += message.startsWith('id: ') ? 1 : 0;
    if (!this.res.write(message)) this.waiting = true;
  }

  private drain(): void {
    this.waiting = false;
    while (this.queue.length > 0 && !this.waiting) this.write(this.queue.shift()!);
    if (this.waiting || this.gap === null) return;
    const { from, to, count } = this.gap;
    this.gap = null;
    this.write(sseMessage({ dropped: count, total: this.dropped, from, to }, undefined, 'dropped'));
  }
}
