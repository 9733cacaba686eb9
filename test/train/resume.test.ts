/**
 * Nothing lost to a kill (issue 25.3). One training is killed (SIGKILL, in a child process, at a
 * named phase: test/fixtures/kill-train.ts) during its warm start, between the warm start's last
 * checkpoint and its report, and then in each phase of a step — rollout, update, validation,
 * history write, checkpoint write — and restarted each time; it must end with the history, warm
 * start and weights of the same run never interrupted. Then: `--resume` with nothing usable is an
 * error (exit 2) that leaves the history alone, unless `--restart`; a damaged warmstart.json is
 * made again; a history that does not match its checkpoint is refused.
 */
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { CHECKPOINT_FILES } from '../../src/learner/checkpoint-dirs.js';
import { loadTrainConfig, type TrainConfigInput } from '../../src/train/config.js';
import type { HistoryEntry } from '../../src/train/history.js';
import { runTraining } from '../../src/train/loop.js';
import { openRunFolder, ResumeError, reconcileHistory } from '../../src/train/resume.js';
import { ensureWarmStart, modelOf } from '../../src/train/warmstart.js';
import { comparable, historySteps } from '../fixtures/run-files.js';
import { tinyTrainInput } from '../fixtures/tiny-train.js';

/** Three steps, a checkpoint after each, a validation before training and at steps 2 and 3. */
const input = (root: string, over: TrainConfigInput = {}): TrainConfigInput =>
  tinyTrainInput(join(root, 'warm'), {
    env: 'minesweeper',
    checkpointEvery: 1,
    out: join(root, 'run'),
    ...over,
  });
const quiet = () => {
  const lines: string[] = [];
  return { lines, io: { out: { write: (t: string) => lines.push(t) > 0 }, bars: false } };
};

const fixture = join(import.meta.dirname, '..', 'fixtures', 'kill-train.ts');

/** Run the fixture; resolves with how it ended and what it wrote. */
function child(config: string, phase: string, step: number, flags: string[]) {
  const p = spawn(process.execPath, ['--import', 'tsx', fixture, config, phase, String(step), ...flags], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const text = { out: '', err: '' };
  p.stdout.on('data', (d: Buffer) => {
    text.out += d.toString();
  });
  p.stderr.on('data', (d: Buffer) => {
    text.err += d.toString();
  });
  return new Promise<{ code: number | null; signal: string | null; out: string; err: string }>((resolve) =>
    p.on('close', (code, signal) => resolve({ code, signal, ...text })),
  );
}

describe('kill -9 at every phase, then again (issue 25.3)', () => {
  it('a run killed in each phase and restarted each time ends as the uninterrupted run', async () => {
    const straight = mkdtempSync(join(tmpdir(), 'lamer-straight-'));
    await runTraining(loadTrainConfig({ preset: 'quick', overrides: input(straight) }), quiet());

    const root = mkdtempSync(join(tmpdir(), 'lamer-killed-'));
    const config = join(root, 'config.json');
    writeFileSync(config, JSON.stringify(input(root)));
    const history = join(root, 'run', 'history.jsonl');
    const checkpoints = join(root, 'run', 'checkpoints');
    const kills: Array<[string, number, string[], () => void]> = [
      ['warmstart', 2, [], () => expect(existsSync(join(root, 'warm', 'warmstart.json'))).toBe(false)],
      // the warm start's last checkpoint is written, its report is not (it used to block every later run)
      [
        'warmstart-validation',
        4,
        [],
        () => {
          expect(readdirSync(join(root, 'warm', 'checkpoints'))).toContain('step-000004');
          expect(existsSync(join(root, 'warm', 'warmstart.json'))).toBe(false);
        },
      ],
      ['rollout', 2, [], () => expect(historySteps(history)).toEqual([0, 1])],
      ['update', 2, ['--resume'], () => expect(historySteps(history)).toEqual([0, 1])],
      // a validation after a checkpoint: the step's line is not lost (it used to be, for good)
      ['validation', 2, ['--resume'], () => expect(historySteps(history)).toEqual([0, 1])],
      [
        'history',
        2,
        ['--resume'],
        () => {
          expect(historySteps(history)).toEqual([0, 1]);
          // the kill left the new version's temporary file, never read (removed by the next run)
          expect(readdirSync(join(root, 'run')).filter((n) => n.endsWith('.tmp'))).toHaveLength(1);
        },
      ],
      [
        'checkpoint',
        2,
        ['--resume'],
        () => {
          expect(historySteps(history)).toEqual([0, 1, 2]);
          expect(existsSync(join(checkpoints, 'step-000002', CHECKPOINT_FILES.manifest))).toBe(false);
        },
      ],
    ];
    for (const [phase, step, flags, check] of kills) {
      const r = await child(config, phase, step, flags);
      expect([r.signal, r.err.trim()], `kill at ${phase} ${step}`).toEqual([
        'SIGKILL',
        `killing at ${phase} ${step}`,
      ]);
      check();
    }
    const last = await child(config, 'none', 0, ['--resume']);
    expect(last.err).toBe('');
    expect(last.code).toBe(0);
    expect(last.out).toContain('step(s) 2 came after the checkpoint of step 1: re-doing them');
    expect(readdirSync(join(root, 'run')).filter((n) => n.endsWith('.tmp'))).toEqual([]);

    for (const file of ['run/history.jsonl', 'warm/warmstart.json'])
      expect(comparable(join(root, file), root), file).toBe(comparable(join(straight, file), straight));
    const weights = (r: string) =>
      readFileSync(join(r, 'run', 'checkpoints', 'step-000003', CHECKPOINT_FILES.model));
    expect(weights(root).equals(weights(straight))).toBe(true);
    const report = JSON.parse(readFileSync(join(root, 'run', 'report.json'), 'utf8'));
    expect(report.history.map((h: HistoryEntry) => h.step)).toEqual([0, 1, 2, 3]);

    // A warmstart.json cut short (as a non-atomic write could leave it) is made again from the checkpoint.
    const warm = join(root, 'warm', 'warmstart.json');
    truncateSync(warm, 100);
    const q = quiet();
    await ensureWarmStart(loadTrainConfig({ preset: 'quick', overrides: input(root) }), q.io);
    expect(q.lines.join('')).toMatch(/warmstart\.json is damaged \(not JSON\); making it again/);
    expect(comparable(warm, root)).toBe(comparable(join(straight, 'warm', 'warmstart.json'), straight));

    // --resume with every checkpoint damaged: an error that leaves the history as it was, unless --restart.
    const copy = mkdtempSync(join(tmpdir(), 'lamer-damaged-'));
    cpSync(root, copy, { recursive: true });
    for (const name of readdirSync(join(copy, 'run', 'checkpoints')))
      truncateSync(join(copy, 'run', 'checkpoints', name, CHECKPOINT_FILES.model), 1000);
    const before = readFileSync(join(copy, 'run', 'history.jsonl'), 'utf8');
    const damaged = loadTrainConfig({ preset: 'quick', overrides: input(copy) });
    await expect(runTraining(damaged, { ...quiet(), resume: true })).rejects.toThrow(
      /--resume: nothing to resume in .*: all 2 checkpoint\(s\) under .* are damaged \(above\)\. Add --restart/,
    );
    expect(readFileSync(join(copy, 'run', 'history.jsonl'), 'utf8')).toBe(before);
    // with --restart it starts over: the run's files are removed before anything else
    const log: string[] = [];
    const model = modelOf(damaged);
    const start = await openRunFolder(damaged.out!, model, { resume: true, restart: true }, (m) =>
      log.push(m),
    );
    expect(start).toBeNull();
    expect(log.at(-2)).toMatch(/nothing to resume in .*; --restart: starting over/);
    expect(log.at(-1)).toMatch(
      /--restart: removed .*checkpoints, .*history\.jsonl, .*report\.json, .*report\.html/,
    );
    expect(readdirSync(join(copy, 'run'))).toEqual([]);
  }, 600_000);
});

describe('--resume and --restart (issue 25.3)', () => {
  it('--resume with nothing to resume is one line and exit 2, before the warm start', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lamer-nothing-'));
    const config = join(root, 'config.json');
    writeFileSync(config, JSON.stringify(input(root)));
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const code = await main([
      'node',
      'lamer',
      'train',
      '--env',
      'minesweeper',
      '--config',
      config,
      '--resume',
    ]);
    vi.restoreAllMocks();
    expect(code).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /--resume: nothing to resume in .*run: no checkpoint under .*Add --restart .*or run without --resume/,
    );
    expect(existsSync(join(root, 'warm'))).toBe(false);
  });

  it('keeps the history up to the checkpoint, re-does what came after, and refuses a gap', () => {
    const e = (step: number): HistoryEntry => ({ step, seconds: 1 });
    const path = 'h.jsonl';
    const kept = reconcileHistory({ entries: [e(0), e(1), e(2), e(3)], cutLine: 5 }, path, 2, true);
    expect(kept.entries.map((x) => x.step)).toEqual([0, 1, 2]);
    expect(kept.notes).toEqual([
      'h.jsonl: line 5 was cut short (the run was killed writing it) and is dropped',
      'h.jsonl: step(s) 3 came after the checkpoint of step 2: re-doing them',
    ]);
    // the loss issue 25.3 found: steps 0-7, 9, 10 after a resume from step 8's checkpoint
    const lost = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10].map(e);
    expect(() => reconcileHistory({ entries: lost }, path, 10, true)).toThrow(ResumeError);
    expect(() => reconcileHistory({ entries: lost }, path, 10, true)).toThrow(
      /h\.jsonl lacks step\(s\) 8 of the 10 the newest checkpoint covers: .* --restart/,
    );
    expect(() => reconcileHistory({ entries: [e(1), e(1), e(2)] }, path, 2, false)).toThrow(
      /repeats step\(s\) 1/,
    );
    expect(reconcileHistory({ entries: [e(1)] }, path, 1, true).notes).toEqual([
      'h.jsonl: no validation before training (step 0); it is not re-done',
    ]);
  });
});
