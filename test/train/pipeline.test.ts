import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainInput } from '../../src/actors/learner.js';
import { runRollout } from '../../src/actors/provide.js';
import { planRollout, type RolloutInput } from '../../src/actors/rollout.js';
import { TrainerError, type TrainStats } from '../../src/learner/trainer/index.js';
import { randomPolicy } from '../../src/policy/scripted.js';
import { LearnerFailedError } from '../../src/streams/learner.js';
import { loadTrainConfig } from '../../src/train/config.js';
import { readHistory } from '../../src/train/history.js';
import { runTraining } from '../../src/train/loop.js';
import { type PipelineOptions, runPipeline } from '../../src/train/pipeline.js';
import { PIT, registerPitCorridor } from '../actors/helpers.js';
import { tinyTrainInput } from '../fixtures/tiny-train.js';

beforeAll(registerPitCorridor);

const credit = { estimator: 'gigpo' as const, stepGamma: 0.95, trajGamma: 0.6 };

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A pipeline over real rollouts of the pit corridor (3 tasks × 2 trials, 2 in flight) and a fake learner. */
function harness(staleness: 0 | 1, over: Partial<PipelineOptions<TrainStats>> = {}) {
  const log: string[] = [];
  const batches: string[][] = [];
  const options: PipelineOptions<TrainStats> = {
    from: 1,
    to: 3,
    staleness,
    credit,
    rollout: (step) => {
      const input: RolloutInput = {
        envId: PIT,
        tasks: [{ seed: step }, { seed: step + 10 }, { seed: step + 20 }],
        trialsPerTask: 2,
        concurrency: 2,
        runId: `step${step}`,
      };
      const index = new Map(planRollout(input).map((t, i) => [t.trialId!, i]));
      return {
        planIndex: (id) => index.get(id),
        run: async (attach) => {
          log.push(`rollout ${step}`);
          await runRollout({ ...input, policy: randomPolicy(), attach });
          log.push(`rolled ${step}`);
        },
      };
    },
    train: async ({ records }: TrainInput) => {
      const step = batches.length + 1;
      batches.push(records.map((r) => r.trialId));
      log.push(`train ${step}`);
      return { step, policyVersion: step, updates: 1 } as TrainStats;
    },
    publish: async (version) => {
      log.push(`publish ${version}`);
    },
    afterStep: async (s) => {
      log.push(`after ${s.step}`);
    },
    ...over,
  };
  return { log, batches, options };
}

describe('training pipeline: rollout actor → records stream → learner actor → subscribers', () => {
  it('staleness 0 is the synchronous loop: roll out, train, publish, write, then the next step; records in plan order', async () => {
    const h = harness(0);
    await runPipeline(h.options);
    expect(h.log).toEqual(
      [1, 2, 3].flatMap((t) => [`rollout ${t}`, `rolled ${t}`, `train ${t}`, `publish ${t}`, `after ${t}`]),
    );
    expect(h.batches[0]).toEqual(['t0-s1#0', 't0-s1#1', 't1-s11#0', 't1-s11#1', 't2-s21#0', 't2-s21#1']);
  });

  it('staleness 1 rolls out step t+1 while the learner trains on t, and publishes t+1 only after step t is written', async () => {
    const release = { train1: deferred(), after1: deferred() };
    const h = harness(1);
    const { log } = h;
    const train = h.options.train;
    h.options.train = async (input) => {
      const stats = await train(input);
      if (stats.step === 1) await release.train1.promise;
      return stats;
    };
    h.options.afterStep = async (s) => {
      log.push(`after ${s.step}`);
      if (s.step === 1) await release.after1.promise;
    };
    const run = runPipeline(h.options);
    const until = async (entry: string) => {
      while (!log.includes(entry)) await new Promise((r) => setImmediate(r));
    };
    await until('rolled 2'); // step 2's rollout ran while step 1 was still training
    expect(log).not.toContain('publish 1');
    expect(log).not.toContain('rollout 3'); // at most one step ahead
    release.train1.resolve();
    await until('after 1');
    await until('train 2');
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(log).not.toContain('publish 2'); // step 1's subscribers (its validation) are not done
    release.after1.resolve();
    await run;
    expect(log.filter((e) => e.startsWith('after') || e.startsWith('publish'))).toEqual([
      'publish 1',
      'after 1',
      'publish 2',
      'after 2',
      'publish 3',
      'after 3',
    ]);
  });

  it('a learner failure stops the run with its cause; no later step rolls out', async () => {
    const h = harness(0);
    const train = h.options.train;
    h.options.train = async (input) => {
      const stats = await train(input);
      if (stats.step === 2) throw new TrainerError('loss is NaN');
      return stats;
    };
    const failure = await runPipeline(h.options).then(
      () => null,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(LearnerFailedError);
    expect((failure as Error).message).toBe('learner failed on batch 2: TrainerError: loss is NaN');
    expect((failure as Error).cause).toBeInstanceOf(TrainerError);
    expect(h.log).not.toContain('rollout 3');
    expect(h.log).not.toContain('after 2');
  });

  it('a rollout failure stops the run with that error', async () => {
    const h = harness(0);
    const rollout = h.options.rollout;
    h.options.rollout = (step) => {
      const r = rollout(step);
      return step === 2 ? { ...r, run: async () => Promise.reject(new RangeError('env crashed')) } : r;
    };
    await expect(runPipeline(h.options)).rejects.toThrow(/env crashed/);
    expect(h.log).toEqual(['rollout 1', 'rolled 1', 'train 1', 'publish 1', 'after 1']);
  });

  it('lamer train with pipeline.staleness 1 trains every step on a real model, each step on a newer policy', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lamer-pipeline-'));
    const config = loadTrainConfig({
      preset: 'quick',
      overrides: {
        env: 'minesweeper',
        ...tinyTrainInput(join(root, 'warm'), { pipeline: { staleness: 1 } }),
        out: join(root, 'run'),
      },
    });
    const lines: string[] = [];
    const result = await runTraining(config, {
      io: { out: { write: (t: string) => lines.push(t) }, bars: false },
    });
    const steps = result.report.history.filter((h) => h.train);
    expect(steps.map((h) => h.step)).toEqual([1, 2, 3]);
    expect(steps.map((h) => h.train!.policyVersion)).toEqual([1, 2, 3]);
    expect(steps.every((h) => Number.isFinite(h.train!.loss) && h.train!.updates > 0)).toBe(true);
    expect(result.report.history.filter((h) => h.validation).map((h) => h.step)).toEqual([0, 2, 3]);
    expect(await readHistory(join(root, 'run', 'history.jsonl'))).toEqual(
      JSON.parse(JSON.stringify(result.report.history)),
    );
  }, 300_000);
});
