/**
 * Same seed, same run, whatever the load (issue 25.7): a short training (its own warm start, then
 * LaMer steps) runs twice, the second with a busy-looping thread per core competing for the cores
 * (onnxruntime's pool defaults to a thread per physical core: its threads are then preempted at times), and
 * writes the same history, warm-start report and weights byte for byte (wall times and the output
 * folder aside). Before the fix the warm start's losses differed between two such runs from their
 * second step: onnxruntime's ScatterND raced on the embedding gradient (see scatter-add.test.ts).
 * The model is 64 wide so that the embedding gradient is big enough for onnxruntime to split it
 * over threads; a narrower one runs that kernel on one thread and would not show the race.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_FILES } from '../../src/learner/checkpoint-dirs.js';
import { loadTrainConfig } from '../../src/train/config.js';
import { runTraining } from '../../src/train/loop.js';
import { comparable } from '../fixtures/run-files.js';

async function train(busyThreads: number): Promise<{ root: string; out: string }> {
  const root = await mkdtemp(join(tmpdir(), 'lamer-determinism-'));
  const config = loadTrainConfig({
    preset: 'quick',
    overrides: {
      env: 'minesweeper',
      seed: 5,
      steps: 1,
      tasksPerStep: 2,
      attemptBudget: 12,
      maxTurns: 4,
      ppo: { lr: 1e-3, miniBatchSize: 32, microBatchSize: 16 },
      sampling: { train: { maxTokens: 16 }, validation: { maxTokens: 16 } },
      validation: { every: 1, tasks: 2, trialsPerTask: 2, beforeTraining: false },
      checkpointEvery: 1,
      model: { dModel: 64, nLayers: 1, nHeads: 2, ffnHidden: 128, maxSeqLen: 640 },
      warmStart: {
        dir: join(root, 'warm'),
        tasks: 30,
        trialsPerTask: 1,
        steps: 4,
        batchSize: 32,
        evalTasks: 2,
      },
      out: join(root, 'run'),
    },
  });
  const busy = Array.from({ length: busyThreads }, () => new Worker('for (;;);', { eval: true }));
  try {
    const result = await runTraining(config, { io: { out: { write: () => true }, bars: false } });
    return { root, out: result.out };
  } finally {
    await Promise.all(busy.map((w) => w.terminate()));
  }
}

describe('determinism under load (issue 25.7)', () => {
  it('a seeded training gives the same history and weights with and without other threads busy', async () => {
    const quiet = await train(0);
    const loaded = await train(availableParallelism());
    const same = (file: string) =>
      expect(comparable(join(loaded.root, file), loaded.root)).toBe(
        comparable(join(quiet.root, file), quiet.root),
      );
    same('run/history.jsonl');
    same('warm/warmstart.json');
    const weights = (root: string) =>
      readFileSync(join(root, 'run', 'checkpoints', 'step-000001', CHECKPOINT_FILES.model));
    expect(weights(loaded.root).equals(weights(quiet.root))).toBe(true);
  }, 300_000);
});
