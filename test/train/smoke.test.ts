/**
 * CI-sized training smoke test: a tiny model, a 4-step warm start, 2 LaMer steps with very short
 * replies. Checks the learning signals (finite, changing losses; weights that move; non-zero
 * advantages; a validation before and after) and the report files, not the quality of the agent.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrainerCheckpoint } from '../../src/learner/trainer/index.js';
import { loadTrainConfig, type TrainConfigInput } from '../../src/train/config.js';
import { runFinalEvaluation } from '../../src/train/final-eval.js';
import { readHistory } from '../../src/train/history.js';
import { runTraining } from '../../src/train/loop.js';
import { loadWarmStart, modelOf, warmStartKey } from '../../src/train/warmstart.js';
import { tinyTrainInput } from '../fixtures/tiny-train.js';

// One warm start for both tests: the second loads it (as `lamer train` does when it exists).
const warmRoot = mkdtempSync(join(tmpdir(), 'lamer-warm-'));

function tinyConfig(root: string, over: TrainConfigInput = {}) {
  const base = tinyTrainInput(join(warmRoot, 'warm'), {
    env: 'minesweeper',
    seed: 3,
    steps: 2,
    checkpointEvery: 1,
    out: join(root, 'run'),
  });
  return loadTrainConfig({ preset: 'quick', overrides: { ...base, ...over } });
}

// Each test's timeout (600 s) is a hang guard, not a speed bound: at 120 s the --resume test (two
// trainings) failed now and then on the shared 2-core machine under heavy load.
const sink = () => {
  const lines: string[] = [];
  return { lines, io: { out: { write: (t: string) => lines.push(t) }, bars: false } };
};

describe('lamer train (smoke)', () => {
  it('trains end to end: warm start, rollouts, PPO updates, validation, checkpoints, report', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lamer-train-'));
    const config = tinyConfig(root);
    const { io, lines } = sink();
    const result = await runTraining(config, { io });

    // Warm start: made because it was missing, with a finite, decreasing supervised loss.
    const ws = result.report.warmStart!;
    expect(ws.losses).toHaveLength(4);
    expect(ws.losses.every(Number.isFinite)).toBe(true);
    expect(ws.losses.at(-1)!).toBeLessThan(ws.losses[0]!);
    expect(ws.validation.pass).toHaveLength(3);

    // Two RL steps with finite losses, real updates and non-zero advantages.
    const steps = result.report.history.filter((h) => h.train);
    expect(steps.map((h) => h.step)).toEqual([1, 2]);
    for (const h of steps) {
      expect(Number.isFinite(h.train!.loss)).toBe(true);
      expect(h.train!.updates).toBeGreaterThan(0);
      expect(h.train!.stopped).toBe(false);
      expect(h.advantages!.nonZero).toBeGreaterThan(0);
      expect(h.rollout!.trials).toBe(4);
      // the step's log-prob shift of the scored play replies, by advantage sign
      expect(h.shift!.positiveCount + h.shift!.negativeCount).toBeGreaterThan(0);
      expect(Number.isFinite(h.shift!.positive) && Number.isFinite(h.shift!.negative)).toBe(true);
    }
    expect(steps[1]!.train!.policyVersion).toBeGreaterThan(steps[0]!.train!.policyVersion);
    expect(steps[1]!.train!.loss).not.toBe(steps[0]!.train!.loss);
    // Validation before training and at the last step.
    expect(result.report.history.filter((h) => h.validation).map((h) => h.step)).toEqual([0, 2]);
    // The floor: random admissible actions on the same validation tasks, in the log and the report.
    const floor = result.report.floor!;
    expect(floor.trials).toBe(result.report.history[0]!.validation!.trials);
    expect(floor.invalidRate).toBe(0);
    expect(lines.join('')).toMatch(/validation floor \(random admissible actions\): pass@1 /);
    // every validation line says how many trials it rests on and the noise that allows (2 tasks × 2 trials)
    expect(lines.join('')).toMatch(
      /validation @ step 2: pass@1 [\d.]+ pass@2 [\d.]+ pass@3 [\d.]+ \(4 trials, s\.e\. ≤ 0\.250\)/,
    );

    // The weights moved away from the warm start.
    const model = modelOf(config);
    const warm = await loadTrainerCheckpoint(model, { dir: join(ws.dir, 'checkpoints'), every: 1 }, () => {});
    const last = await loadTrainerCheckpoint(
      model,
      { dir: join(result.out, 'checkpoints'), every: 1 },
      () => {},
    );
    expect(last!.snapshot.step).toBe(2);
    const name = 'model.layers.0.mlp.down_proj.weight';
    const a = warm!.snapshot.state.params[name]!;
    const b = last!.snapshot.state.params[name]!;
    expect(a.some((x, i) => x !== b[i])).toBe(true);

    // History on disk, report JSON and a self-contained HTML page.
    expect((await readHistory(join(result.out, 'history.jsonl'))).map((h) => h.step)).toEqual([0, 1, 2]);
    const report = JSON.parse(readFileSync(result.reportPaths.json, 'utf8'));
    expect(report.history).toHaveLength(3);
    expect(report.config.algo).toBe('lamer');
    const html = readFileSync(result.reportPaths.html, 'utf8');
    expect(html).toContain('uPlot');
    expect(html).toContain('Validation pass@k');
    expect(html).toContain('random actions (floor)');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // nothing loaded from elsewhere
    expect(lines.join('')).toContain('step 2/2');
    expect(lines.join('')).toMatch(/Δlogp A>0 [+-]\d/);
    expect(existsSync(join(ws.dir, 'warmstart.json'))).toBe(true);

    // The paired final evaluation (finalEval): the warm start and the newest checkpoint on the same
    // validation tasks and sampling seeds, written to final-eval.json and printed with a verdict.
    const evalSink = sink();
    const fe = await runFinalEvaluation(
      tinyConfig(root, { finalEval: { seeds: 2, trialsPerTask: 1 } }),
      result.out,
      evalSink.io,
    );
    expect(fe.tasks).toBe(2);
    expect(fe.warmStart.summary.trials).toBe(2 * 2);
    expect(fe.trained.summary.trials).toBe(2 * 2);
    expect(fe.change.pass).toHaveLength(3);
    expect(JSON.parse(readFileSync(join(result.out, 'final-eval.json'), 'utf8')).seeds).toBe(2);
    const feText = evalSink.lines.join('');
    expect(feText).toMatch(/final evaluation \(paired\): 2 validation tasks × 1 trials × 2 sampling seeds/);
    expect(feText).toContain('| after 2 lamer steps |');
    expect(feText).toMatch(/RL (raised|lowered|did not change) pass@3/);

    // The named warm-start folder is reused by the same settings and refused under others.
    expect((await loadWarmStart(config))!.report.key).toBe(warmStartKey(config));
    const other = tinyConfig(root, { warmStart: { ...config.warmStart, steps: 5 } });
    await expect(loadWarmStart(other)).rejects.toThrow(/made with other settings.*delete the folder/);
  }, 600_000);

  it('--resume continues from the newest checkpoint, reusing the warm start and the history', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lamer-resume-'));
    const first = sink();
    await runTraining(tinyConfig(root, { steps: 1, validation: { every: 5, beforeTraining: false } }), first);
    const second = sink();
    const result = await runTraining(
      tinyConfig(root, { steps: 2, validation: { every: 5, beforeTraining: false } }),
      { ...second, resume: true },
    );
    const text = second.lines.join('');
    expect(text).toMatch(/warm start: .*warm/); // loaded, not made again
    expect(text).toMatch(/resuming from .*step-0+1/);
    expect(text).not.toContain('step 1/2');
    expect(text).toContain('step 2/2');
    expect(result.report.history.map((h) => h.step)).toEqual([1, 2]);
    // Without --resume the same folder is refused instead of overwritten.
    await expect(runTraining(tinyConfig(root, { steps: 2 }), sink())).rejects.toThrow(
      /already holds a run \(checkpoint step 2\): add --resume to continue it, --restart/,
    );
  }, 600_000);
});
