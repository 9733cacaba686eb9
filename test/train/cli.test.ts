import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram, main } from '../../src/cli/main.js';

afterEach(() => vi.restoreAllMocks());

describe('lamer train / pretrain commands', () => {
  it('are registered with their options', () => {
    const program = buildProgram();
    const train = program.commands.find((c) => c.name() === 'train')!;
    const pretrain = program.commands.find((c) => c.name() === 'pretrain')!;
    const flags = (c: typeof train) => c.options.map((o) => o.long);
    expect(flags(train)).toEqual(
      expect.arrayContaining([
        '--env',
        '--algo',
        '--config',
        '--preset',
        '--resume',
        '--restart',
        '--out',
        '--seed',
        '--steps',
      ]),
    );
    expect(flags(pretrain)).toEqual(
      expect.arrayContaining(['--env', '--steps', '--out', '--config', '--preset']),
    );
  });

  it('a bad config file stops with exit code 2 and names the field and the expected value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lamer-cli-'));
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ validation: { every: 0 } }));
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
    const code = await main(['node', 'lamer', 'train', '--env', 'minesweeper', '--config', path]);
    expect(code).toBe(2);
    expect(errors.join('\n')).toMatch(/validation\.every: .*>=1/);
  });

  it('an unknown algo is refused by the option parser', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const code = await main(['node', 'lamer', 'train', '--env', 'minesweeper', '--algo', 'dqn']);
    expect(code).not.toBe(0);
  });
});
