import { describe, expect, it, vi } from 'vitest';
import { PolicyError } from '../../src/policy/errors.js';
import type { Generation, GenerationRequest, Policy } from '../../src/policy/types.js';
import { MicroBatcher } from '../../src/serve/batcher.js';

const request = (key: string, signal?: AbortSignal): GenerationRequest => ({
  key,
  messages: [{ role: 'user', content: key }],
  sampling: {},
  ...(signal ? { signal } : {}),
});

/** A policy whose calls wait until the test answers them; it records every batch it gets. */
function heldPolicy() {
  const calls: { requests: GenerationRequest[]; answer(g: Generation[] | Error): void }[] = [];
  const policy: Policy = {
    name: 'held',
    generate: (requests) =>
      new Promise((resolve, reject) => {
        calls.push({ requests, answer: (g) => (g instanceof Error ? reject(g) : resolve(g)) });
      }),
  };
  return { policy, calls };
}

const texts = (requests: GenerationRequest[]): Generation[] =>
  requests.map((r) => ({ text: `re ${r.key}`, finishReason: 'stop' }));

describe('MicroBatcher', () => {
  it('a failed batch fails every request in it, once: it is never rerun row by row', async () => {
    const { policy, calls } = heldPolicy();
    const batcher = new MicroBatcher(policy);
    const first = batcher.submit([request('first')]);
    const rest = ['a', 'b', 'c'].map((k) => batcher.submit([request(k)]));
    calls[0]!.answer(texts(calls[0]!.requests));
    await first;
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    calls[1]!.answer(new PolicyError('the batch failed'));
    for (const r of rest) await expect(r).rejects.toThrow('the batch failed');
    expect(calls).toHaveLength(2);
    expect(batcher.batchSizes).toEqual([1, 3]);
  });

  it('a withdrawn request leaves the queue, or is answered at once while its batch runs on', async () => {
    const { policy, calls } = heldPolicy();
    const batcher = new MicroBatcher(policy);
    const running = new AbortController();
    const queued = new AbortController();
    const a = batcher.submit([request('a', running.signal), request('a2', running.signal)], running.signal);
    const other = batcher.submit([request('b')]); // queued behind the running batch
    const q = batcher.submit([request('q', queued.signal)], queued.signal);
    queued.abort(new Error('q went away'));
    await expect(q).rejects.toThrow('q went away');
    expect(batcher.pendingCount).toBe(1);
    running.abort(new Error('a went away'));
    await expect(a).rejects.toThrow('a went away'); // without waiting for the batch
    expect(calls[0]!.requests.map((r) => r.signal?.aborted)).toEqual([true, true]); // the policy drops those rows
    calls[0]!.answer(calls[0]!.requests.map(() => ({ text: '', finishReason: 'error' })));
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    calls[1]!.answer(texts(calls[1]!.requests));
    expect((await other)[0]!.text).toBe('re b');
    expect(batcher.batchSizes).toEqual([2, 1]);
    expect(batcher.withdrawn).toEqual({ queued: 1, running: 2 });
  });
});
