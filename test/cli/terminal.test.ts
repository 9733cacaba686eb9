/**
 * Terminal manners of the `lamer` command: no box drawing and no escape codes when the output is
 * not a terminal, `--json` for `lamer envs` and `lamer eval`, and an example in every `--help`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram, main } from '../../src/cli/main.js';
import { registerPolicyKind } from '../../src/cli/policy-spec.js';
import { PolicyError } from '../../src/policy/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'lamer-terminal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Run the CLI with stdout captured (not a terminal, as in a pipe). */
async function cli(...args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
    stdout += `${parts.join(' ')}\n`;
  });
  const code = await main(['node', 'lamer', ...args]);
  vi.restoreAllMocks();
  return { code, stdout };
}

describe('lamer envs', () => {
  it('prints plain columns in a pipe: no box, no escape codes', async () => {
    const { code, stdout } = await cli('envs');
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/\x1b\[/);
    expect(stdout).not.toMatch(/[│┌─]/);
    expect(stdout.split('\n')[0]).toMatch(/^env\s+aliases\s+preset\s+params\s+turns$/);
    expect(stdout).toMatch(
      /^MineSweeper-v0\s+minesweeper, mines\s+default \(default\)\s+rows=6 cols=6 mines=3\s+7$/m,
    );
  });

  it('prints JSON with --json, and one env with its doc with --doc --json', async () => {
    const all = JSON.parse((await cli('envs', '--json')).stdout);
    const mines = all.find((e: { id: string }) => e.id === 'MineSweeper-v0');
    expect(mines).toMatchObject({ aliases: ['minesweeper', 'mines'], defaultPreset: 'default', maxTurns: 7 });
    expect(mines.presets.default).toEqual({ rows: 6, cols: 6, mines: 3 });
    const one = JSON.parse((await cli('envs', '--doc', 'sokoban', '--json')).stdout);
    expect(one.id).toBe('Sokoban-v0');
    expect(one.doc).toContain('Sokoban');
  });
});

describe('lamer eval --json', () => {
  it('prints the summary as JSON only', async () => {
    const out = join(dir, 'eval.jsonl');
    const args = ['--env', 'minesweeper', '--policy', 'expert', '--tasks', '4', '--trials-per-task', '2'];
    const { code, stdout } = await cli('eval', ...args, '--out', out, '--no-live', '--json');
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ env: 'MineSweeper-v0', policy: 'expert', tasks: 4, trials: 8, log: out });
    expect(summary.attempts).toBe(3);
    expect(summary.metrics['pass@1']).toBeGreaterThan(0);
    expect(summary.metrics['pass@3']).toBeGreaterThanOrEqual(summary.metrics['pass@1']);
    expect(typeof summary.metrics.entropy).toBe('number');
  });

  it('prints the summary even when failed trials make it exit 3, the failures on stderr', async () => {
    registerPolicyKind('json-broken-test', {
      usage: 'json-broken-test (always fails)',
      argument: 'none',
      create: () => ({
        name: 'broken',
        generate: () => Promise.reject(new PolicyError('server down', { final: true })),
      }),
    });
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const out = join(dir, 'broken.jsonl');
    const args = ['--env', 'minesweeper', '--policy', 'json-broken-test', '--tasks', '2'];
    const { code, stdout } = await cli('eval', ...args, '--out', out, '--no-live', '--json');
    expect(code).toBe(3);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ trials: 2, failedTrials: 2, log: out });
    expect(summary.metrics['pass@1']).toBe(0);
  });
});

describe('--help', () => {
  it('ends with an example line for the program and for every command', async () => {
    const names = ['', ...buildProgram().commands.map((c) => c.name())];
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) {
      const { code, stdout } = await cli(...(name ? [name] : []), '--help');
      expect(code, name).toBe(0);
      expect(stdout, `lamer ${name} --help`).toMatch(/\nExamples?:\n {2}\$ lamer \S+/);
    }
  });
});
