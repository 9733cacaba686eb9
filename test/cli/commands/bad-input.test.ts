/**
 * Ordinary bad input to the other subcommands: one line on stderr and exit 2, before any work
 * (`lamer eval`'s cases are in ../eval.test.ts).
 */
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { listenError } from '../../../src/cli/commands/serve.js';
import { main } from '../../../src/cli/main.js';
import { ConfigError } from '../../../src/util/errors.js';

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  const lines: string[] = [];
  const err = vi.spyOn(console, 'error').mockImplementation((m: string) => void lines.push(m));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((m: string | Uint8Array) => {
    lines.push(String(m));
    return true;
  });
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return { code: await main(['node', 'lamer', ...args]), stderr: lines.join('') };
  } finally {
    err.mockRestore();
    write.mockRestore();
    out.mockRestore();
  }
}

describe('bad input to lamer pretrain / train / play / serve', () => {
  it.each([
    // pretrain wrote its folder only after minutes of data collection and training
    [
      'pretrain --out a file',
      ['pretrain', '--env', 'minesweeper', '--out', 'README.md'],
      /a file is in the way/,
    ],
    [
      'train --out under a file',
      ['train', '--env', 'minesweeper', '--out', 'README.md/x'],
      /a file is in the way/,
    ],
    [
      'train --config missing',
      ['train', '--env', 'minesweeper', '--config', '/nope.json'],
      /cannot read config/,
    ],
    ['play with an unknown param', ['play', 'minesweeper', '--set', 'mine=3'], /unknown param "mine"/],
    ['serve --checkpoint a file', ['serve', '--checkpoint', 'README.md', '--port', '0'], /is not a folder/],
    ['serve --port out of range', ['serve', '--port', '70000'], /expected a port/],
    // one rule for every command's seed (train and eval had it; play and serve took -5)
    [
      'play --seed negative',
      ['play', 'minesweeper', '--seed', '-5'],
      /expected a seed, an integer >= 0, got "-5"/,
    ],
    ['serve --seed negative', ['serve', '--seed', '-1', '--port', '0'], /expected a seed, an integer >= 0/],
    [
      'train --seed negative',
      ['train', '--env', 'minesweeper', '--seed', '-5'],
      /expected a seed, an integer >= 0/,
    ],
    [
      'eval --seed fractional',
      ['eval', '--env', 'minesweeper', '--seed', '1.5'],
      /expected an integer, got "1\.5"/,
    ],
    // 100000 onnxruntime threads per op: each an OS thread, the machine thrashes before the first reply
    [
      'serve --threads unbounded',
      ['serve', '--threads', '100000', '--port', '0'],
      new RegExp(`expected 1\\.\\.${4 * availableParallelism()} threads \\(4 per core`),
    ],
    ['serve --threads 0', ['serve', '--threads', '0', '--port', '0'], /expected 1\.\.\d+ threads/],
    ['no command at all', [], /Usage: lamer/],
  ])('%s', async (_what, args, message) => {
    const { code, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('says when the serve port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const taken = await new Promise<unknown>((resolve) => {
      const second = createServer();
      second.once('error', resolve);
      second.listen(port, '127.0.0.1', () => second.close(() => resolve(null)));
    });
    blocker.close();
    const error = listenError(taken, '127.0.0.1', port);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      `cannot listen on 127.0.0.1:${port}: port ${port} is in use: stop what runs there or pass another --port (0 picks a free one)`,
    );
    const other = new Error('boom');
    expect(listenError(other, 'h', 1)).toBe(other);
  });
});
