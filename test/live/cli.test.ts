import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { livePort } from '../../src/live/cli.js';

afterEach(() => vi.restoreAllMocks());

describe('--live [PORT] on the command line', () => {
  it('lamer eval --live 0 serves the run on a free port: the address first, the count of events at the end', async () => {
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((t) => {
      err.push(String(t));
      return true;
    });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const out = join(mkdtempSync(join(tmpdir(), 'lamer-live-cli-')), 'eval.jsonl');
    const argv = ['node', 'lamer', 'eval', '--env', 'sokoban', '--policy', 'random', '--tasks', '3'];
    expect(await main([...argv, '--out', out, '--live', '0'])).toBe(0);
    const text = err.join('');
    expect(text).toMatch(/^live metrics: http:\/\/127\.0\.0\.1:\d+\/ /m);
    // run + one summary per trial + turn batches + end
    const events = Number(
      /live metrics: (\d+) events, 0 SSE connection\(s\), 0 events dropped/.exec(text)?.[1],
    );
    expect(events).toBeGreaterThan(3 + 2);
  });

  it('a bad port is refused by the option parser; no --live means no server', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const argv = ['node', 'lamer', 'eval', '--env', 'sokoban', '--policy', 'random', '--tasks', '1'];
    expect(await main([...argv, '--live', 'http'])).not.toBe(0);
    expect(await main([...argv, '--live', '70000'])).not.toBe(0);
    expect(livePort(undefined)).toBeUndefined();
    expect(livePort(false)).toBeUndefined();
    expect(livePort(true)).toBe(6600);
    expect(livePort(0)).toBe(0);
  });
});
