import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadTrainConfig,
  parseTrainConfig,
  sessionSettingsOf,
  TRAIN_PRESETS,
  trainingPlan,
  trajGammaOf,
  validationMemory,
} from '../../src/train/config.js';
import { warmStartKey } from '../../src/train/warmstart-key.js';
import { ConfigError, ParseError } from '../../src/util/errors.js';

function configFile(value: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'lamer-config-'));
  const path = join(dir, 'train.json');
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

describe('train config', () => {
  it('presets are valid and keep the reference values that do not depend on scale', () => {
    for (const [name, preset] of Object.entries(TRAIN_PRESETS)) {
      const c = parseTrainConfig(preset);
      expect(c.stepGamma).toBe(0.95);
      expect(c.invalidPenalty).toBe(0.5);
      expect(c.ppo).toMatchObject({ clip: 0.2, dualClip: 3, entropyCoef: 0.001, epochs: 1 });
      expect(c.sampling.validation).toMatchObject({ temperature: 0.7, topP: 0.8, topK: 20 });
      expect(c.sampling.train.temperature).toBe(1);
      expect(c.memoryMode).toBe('reflection_only');
      // The built-in model reads compact prompts; a pretrained hf: model the reference's own.
      expect(c.style).toBe(name === 'hf-lora' ? 'faithful' : 'compact');
      expect(c.warmStart.enabled).toBe(name === 'hf-lora' ? false : undefined);
    }
  });

  it('LaMer and the baselines spend the same attempts per task (8 × 3 vs 24 × 1 in the paper preset)', () => {
    const paper = loadTrainConfig({ preset: 'paper' });
    expect(trainingPlan(paper)).toEqual({
      trialsPerTask: 8,
      attempts: 3,
      memoryMode: 'reflection_only',
      estimator: 'gigpo',
    });
    for (const algo of ['gigpo', 'grpo', 'ppo'] as const) {
      const c = loadTrainConfig({ preset: 'paper', overrides: { algo } });
      expect(trainingPlan(c)).toEqual({
        trialsPerTask: 24,
        attempts: 1,
        memoryMode: 'none',
        estimator: algo,
      });
      expect(validationMemory(c)).toBe('none');
    }
    expect(validationMemory(paper)).toBe('reflection_only');
  });

  it('γ_traj follows the reference scripts per env unless set', () => {
    const c = loadTrainConfig({});
    expect(trajGammaOf(c, 'Sokoban-v0')).toBe(0.9);
    expect(trajGammaOf(c, 'MineSweeper-v0')).toBe(0.6);
    expect(trajGammaOf({ ...c, trajGamma: 0.3 }, 'Sokoban-v0')).toBe(0.3);
  });

  it('a JSON file merges over the preset key by key, CLI overrides last', () => {
    const path = configFile({ steps: 9, ppo: { lr: 5e-5 }, validation: { every: 2 } });
    const c = loadTrainConfig({ preset: 'paper', file: path, overrides: { seed: 7 } });
    expect(c.steps).toBe(9);
    expect(c.ppo.lr).toBe(5e-5);
    expect(c.ppo.clip).toBe(0.2);
    expect(c.validation.every).toBe(2);
    expect(c.validation.tasks).toBe(TRAIN_PRESETS.paper.validation.tasks);
    expect(c.seed).toBe(7);
  });

  it('a bad value names the field and the expected value', () => {
    const path = configFile({ ppo: { clip: 'big' }, algo: 'dqn' });
    let message = '';
    try {
      loadTrainConfig({ file: path });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/ppo\.clip: .*expected number/i);
    expect(message).toMatch(/algo: .*"lamer"/);
    expect(() => loadTrainConfig({ overrides: { stepGamma: 1.5 } })).toThrow(/stepGamma: .*<=1/);
    expect(() => loadTrainConfig({ file: configFile({ ppo: { klCoef: -1 } }) })).toThrow(
      /ppo\.klCoef: .*>=0/,
    );
    expect(loadTrainConfig({ file: configFile({ ppo: { klCoef: 2 } }) }).ppo.klCoef).toBe(2);
    expect(loadTrainConfig({}).ppo.klCoef).toBeUndefined(); // off by default, as the reference
    expect(() => loadTrainConfig({ overrides: { attemptBudget: 10 } })).toThrow(
      /attemptBudget: expected a multiple of attempts \(3\)/,
    );
    expect(() => loadTrainConfig({ file: configFile({ sampling: { train: { temperature: 0 } } }) })).toThrow(
      /sampling\.train\.temperature: expected more than 0/,
    );
    expect(
      loadTrainConfig({ file: configFile({ ppo: { lastMiniBatch: 'partial' } }) }).ppo.lastMiniBatch,
    ).toBe('partial');
    expect(() => loadTrainConfig({ file: configFile({ ppo: { lastMiniBatch: 'drop' } }) })).toThrow(
      /ppo\.lastMiniBatch: .*"partial"/,
    );
    expect(() => loadTrainConfig({ file: configFile({ stepz: 3 }) })).toThrow(/stepz/);
    expect(() => loadTrainConfig({ file: configFile({ warmStart: { lossAgg: 'sum' } }) })).toThrow(
      /warmStart\.lossAgg: .*seq-mean-token-mean/,
    );
  });

  it('threads: onnxruntime intra-op threads for policy and learner; absent keeps onnxruntime’s default', () => {
    expect(sessionSettingsOf(loadTrainConfig({}))).toEqual({});
    expect(sessionSettingsOf(loadTrainConfig({ file: configFile({ threads: 1 }) }))).toEqual({
      intraOpNumThreads: 1,
    });
    expect(() => loadTrainConfig({ file: configFile({ threads: 0 }) })).toThrow(/threads: .*>=1/);
  });

  it('provider: a GPU provider reaches every session with no fallback to CPU; cpu and absent change nothing', () => {
    expect(sessionSettingsOf(loadTrainConfig({ file: configFile({ provider: 'cpu' }) }))).toEqual({});
    expect(
      sessionSettingsOf(loadTrainConfig({ file: configFile({ provider: 'webgpu', threads: 2 }) })),
    ).toEqual({
      intraOpNumThreads: 2,
      provider: 'webgpu',
      fallbackToCpu: false,
    });
    expect(() => loadTrainConfig({ file: configFile({ provider: 'tpu' }) })).toThrow(
      /provider: .*"cpu"\|"cuda"\|"webgpu"/,
    );
  });

  it('finalEval needs a warm start to compare with', () => {
    const finalEval = { seeds: 2, trialsPerTask: 2 };
    expect(loadTrainConfig({ overrides: { finalEval } }).finalEval).toEqual(finalEval);
    expect(() => loadTrainConfig({ overrides: { finalEval, warmStart: { enabled: false } } })).toThrow(
      /finalEval: compares the trained weights with the built-in model's warm start.*set finalEval to null/,
    );
    // null (a config file's way to drop the quick preset's) turns it off, and then no warm start is fine
    const off = { finalEval: null, warmStart: { enabled: false } };
    expect(loadTrainConfig({ file: configFile(off) }).finalEval).toBeNull();
  });

  it('unknown presets, unreadable and non-JSON files are named errors', () => {
    expect(() => loadTrainConfig({ preset: 'huge' })).toThrow(
      /--preset: expected one of quick, paper, hf-lora, got "huge"/,
    );
    expect(() => loadTrainConfig({ file: configFile('{ nope') })).toThrow(ParseError);
    expect(() => loadTrainConfig({ file: '/nonexistent/x.json' })).toThrow(/cannot read config file/);
    expect(() => loadTrainConfig({ file: configFile('[1]') })).toThrow(/JSON object/);
  });

  it('the example config (examples/train-minesweeper-4layer.json) is valid over the quick preset', () => {
    const c = loadTrainConfig({
      file: 'examples/train-minesweeper-4layer.json',
      overrides: { env: 'minesweeper' },
    });
    expect([c.model.nLayers, c.tasksPerStep, c.ppo.lr, c.warmStart.steps]).toEqual([4, 8, 1e-4, 1000]);
  });

  it('the GiGPO recipe (examples/train-minesweeper-gain.json) trains at the validation sampling, one update a step', () => {
    const c = loadTrainConfig({
      preset: 'paper',
      file: 'examples/train-minesweeper-gain.json',
      overrides: { env: 'minesweeper', algo: 'gigpo' },
    });
    const { maxTokens: _t, ...train } = c.sampling.train;
    const { maxTokens: _v, ...validation } = c.sampling.validation;
    expect(train).toEqual(validation);
    expect(c.ppo.miniBatchSize).toBeGreaterThan(c.tasksPerStep * c.attemptBudget * 6); // turns per step, with room
    expect([c.steps, c.ppo.lastMiniBatch]).toEqual([90, 'partial']);
  });

  it('the long bench settings (examples/bench-long.json): equal budget for both algos, one update a step, at T 1', () => {
    const [lamer, gigpo] = (['lamer', 'gigpo'] as const).map((algo) =>
      loadTrainConfig({
        preset: 'paper',
        file: 'examples/bench-long.json',
        overrides: { env: 'minesweeper', algo },
      }),
    );
    for (const c of [lamer!, gigpo!]) {
      expect(c.ppo.miniBatchSize).toBeGreaterThan(c.tasksPerStep * c.attemptBudget * 8); // turns and reflections
      expect([c.steps, c.ppo.lastMiniBatch, c.sampling.train.temperature]).toEqual([90, 'partial', 1]);
    }
    expect(trainingPlan(lamer!)).toMatchObject({ trialsPerTask: 8, attempts: 3 });
    expect(trainingPlan(gigpo!)).toMatchObject({ trialsPerTask: 24, attempts: 1 });
  });

  it("bench:paper's main-job recipe (examples/paper-main-job.json) is the quick preset with 6 final-evaluation seeds", () => {
    for (const algo of ['lamer', 'gigpo'] as const) {
      const bench = loadTrainConfig({
        preset: 'paper',
        file: 'examples/paper-main-job.json',
        overrides: { env: 'minesweeper', algo },
      });
      const quick = loadTrainConfig({ preset: 'quick', overrides: { env: 'minesweeper', algo } });
      const { finalEval, threads, ...rest } = bench;
      const { finalEval: _quickEval, ...quickRest } = quick;
      expect(rest).toEqual(quickRest);
      expect([finalEval, threads]).toEqual([{ seeds: 6, trialsPerTask: 4 }, 1]);
      expect(warmStartKey(bench)).toBe(warmStartKey(quick)); // the shipped warm start serves seed 0
    }
  });
});
