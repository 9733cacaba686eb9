/**
 * The training job's configuration (`lamer train`, `lamer pretrain`): the
 * reference's hyper-parameters (lamer.md §9) scaled to the built-in model,
 * two presets (`quick`: a few minutes on a 2-core CPU; `paper`: the
 * bench:paper scale), a JSON file merged over the preset, and CLI flags over
 * both. Validated with zod: a bad value names its field and what is expected.
 */
import { readFileSync } from 'node:fs';
import type { Json } from '../envs/core/types.js';
import { type ExecutionProvider, strictProviderSettings } from '../learner/providers.js';
import {
  type TrainerConfig as LearnerConfig,
  type TrainerConfigInput,
  trainerConfig,
} from '../learner/trainer/index.js';
import { ConfigError, ParseError } from '../util/errors.js';
import { deriveSeed } from '../util/rng.js';
import {
  ALGOS,
  type Algo,
  type DeepPartial,
  PRESETS,
  type PresetName,
  type TrainConfig,
  type TrainConfigInput,
  trainConfigSchema,
} from './config-schema.js';
import type { ValidationOptions } from './evaluate.js';
import { HF_DEFAULTS, TRAIN_PRESETS } from './presets.js';

/**
 * γ_traj per env as the reference scripts set it (lamer.md §5, §9): Sokoban 0.9, the others 0.6.
 * The paper's ablation reportedly prefers the opposite for Sokoban/MineSweeper (§12.2): set `trajGamma` to compare.
 */
export const SCRIPT_TRAJ_GAMMA: Record<string, number> = { 'Sokoban-v0': 0.9 };
export const DEFAULT_TRAJ_GAMMA = 0.6;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `over` merged into `base`, objects key by key (arrays and values replace). */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

function describeIssue(issue: { path: PropertyKey[]; message: string }): string {
  const field = issue.path.map(String).join('.') || '(config)';
  return `${field}: ${issue.message}`;
}

/** Validate a whole config; a ConfigError names each bad field and what it expects. */
export function parseTrainConfig(raw: unknown, source = 'config'): TrainConfig {
  const result = trainConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(describeIssue).join('; ');
    throw new ConfigError(`invalid ${source}: ${problems}`);
  }
  const c = result.data;
  if (c.ppo.microBatchSize > c.ppo.miniBatchSize)
    throw new ConfigError(
      `invalid ${source}: ppo.microBatchSize: expected at most ppo.miniBatchSize (${c.ppo.miniBatchSize}), got ${c.ppo.microBatchSize}`,
    );
  if (c.taskPool !== undefined && c.taskPool < c.tasksPerStep)
    throw new ConfigError(
      `invalid ${source}: taskPool: expected at least tasksPerStep (${c.tasksPerStep}) so a step plays distinct tasks, got ${c.taskPool}`,
    );
  if (c.sampling.train.temperature <= 0)
    throw new ConfigError(
      `invalid ${source}: sampling.train.temperature: expected more than 0 (RL needs sampled rollouts, and the learner scores tokens at this temperature), got ${c.sampling.train.temperature}`,
    );
  if (c.algo === 'lamer' && c.attemptBudget % c.attempts !== 0)
    throw new ConfigError(
      `invalid ${source}: attemptBudget: expected a multiple of attempts (${c.attempts}) so LaMer's trials fill the budget, got ${c.attemptBudget}`,
    );
  if (c.rollout && (c.hf === undefined || c.hf.finetune !== 'lora'))
    throw new ConfigError(
      `invalid ${source}: rollout: sampling from a server trains LoRA adapters that are pushed to it; ` +
        'give --model hf:DIR (LoRA, not --full-finetune)',
    );
  if (c.hf && c.warmStart.enabled === true)
    throw new ConfigError(
      `invalid ${source}: warmStart.enabled: the supervised warm start is implemented for the built-in model only; ` +
        'an hf: model starts RL from its pretrained weights (set warmStart.enabled to false)',
    );
  if (c.finalEval && (c.hf !== undefined || c.warmStart.enabled === false))
    throw new ConfigError(
      `invalid ${source}: finalEval: compares the trained weights with the built-in model's warm start; ` +
        'this run has none (an hf: model, or warmStart.enabled false): set finalEval to null',
    );
  if (c.model.dModel % c.model.nHeads !== 0 || (c.model.dModel / c.model.nHeads) % 2 !== 0)
    throw new ConfigError(
      `invalid ${source}: model.nHeads: expected a divisor of model.dModel (${c.model.dModel}) leaving an even head width, got ${c.model.nHeads}`,
    );
  return c;
}

/** Read a JSON config file (a partial config, merged over the preset). */
export function readConfigFile(path: string): TrainConfigInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ParseError(`config file ${path} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!isObject(value)) throw new ConfigError(`config file ${path}: expected a JSON object at the top level`);
  return value as TrainConfigInput;
}

/** Where {@link loadTrainConfig} takes a config from: a preset, then a JSON file, then overrides, merged in that order. */
export interface ConfigSources {
  preset?: PresetName | string;
  /** A JSON file merged over the preset. */
  file?: string;
  /** CLI flags, merged last. */
  overrides?: TrainConfigInput;
}

/** The preset, then the file, then the overrides; validated. */
export function loadTrainConfig(sources: ConfigSources = {}): TrainConfig {
  const name = sources.preset ?? 'quick';
  const preset = TRAIN_PRESETS[name as PresetName];
  if (!preset) throw new ConfigError(`--preset: expected one of ${PRESETS.join(', ')}, got "${name}"`);
  let merged = deepMerge(preset, sources.file ? readConfigFile(sources.file) : {});
  merged = deepMerge(merged, sources.overrides ?? {});
  const hf = (merged as { hf?: unknown }).hf;
  if (hf !== undefined) merged = { ...(merged as object), hf: deepMerge(HF_DEFAULTS, hf) };
  return parseTrainConfig(merged, sources.file ? `config (${sources.file} over preset ${name})` : 'config');
}

/** What one algo plays during training: trials per task, attempts, memory, reflection, estimator. */
export interface AlgoPlan {
  trialsPerTask: number;
  attempts: number;
  memoryMode: TrainConfig['memoryMode'] | 'none';
  estimator: 'gigpo' | 'grpo' | 'ppo';
}

/** LaMer: budget/attempts trials of `attempts` attempts with memory; baselines: budget single-attempt trials. */
export function trainingPlan(c: TrainConfig): AlgoPlan {
  if (c.algo === 'lamer')
    return {
      trialsPerTask: c.attemptBudget / c.attempts,
      attempts: c.attempts,
      memoryMode: c.memoryMode,
      estimator: 'gigpo',
    };
  return { trialsPerTask: c.attemptBudget, attempts: 1, memoryMode: 'none', estimator: c.algo };
}

/** Validation: N attempts for every algo; LaMer reflects between them, baselines retry memory-less (§10, §12.7). */
export function validationMemory(c: TrainConfig): AlgoPlan['memoryMode'] {
  return c.algo === 'lamer' ? c.memoryMode : 'none';
}

/**
 * The validation run of a config on an env (training's validation rounds and the
 * paper bench's harder-preset evaluation): the fixed set, §10 sampling, and the
 * same sampling seed every round, so curves compare the weights, not the dice.
 */
export function validationOptions(c: TrainConfig, envId: string, params: Json): ValidationOptions {
  return {
    envId,
    params,
    tasks: c.validation.tasks,
    trialsPerTask: c.validation.trialsPerTask,
    seed: c.validation.seed,
    attempts: c.attempts,
    memoryMode: validationMemory(c),
    style: c.style,
    sampling: { ...c.sampling.validation, seed: deriveSeed(c.seed, 'validation') },
    concurrency: c.concurrency,
    ...(c.maxTurns !== undefined ? { maxTurns: c.maxTurns } : {}),
  };
}

export function trajGammaOf(c: TrainConfig, envId: string): number {
  return c.trajGamma ?? SCRIPT_TRAJ_GAMMA[envId] ?? DEFAULT_TRAJ_GAMMA;
}

export {
  ALGOS,
  type Algo,
  type DeepPartial,
  PRESETS,
  type PresetName,
  TRAIN_PRESETS,
  type TrainConfig,
  type TrainConfigInput,
  trainConfigSchema,
};

/** The onnxruntime session settings of a config (`threads`, `provider`), for the policy and the learner. */
export function sessionSettingsOf(c: TrainConfig): {
  intraOpNumThreads?: number;
  provider?: ExecutionProvider;
  fallbackToCpu?: false;
} {
  return {
    ...(c.threads !== undefined ? { intraOpNumThreads: c.threads } : {}),
    // a GPU asked for and missing fails the session (ProviderUnavailableError) instead of running on CPU
    ...strictProviderSettings(c.provider),
  };
}

/**
 * The Trainer's config of a `lamer train` run: the model fields from the model setup, PPO's loss,
 * rate and batching from `c.ppo`, the training sampling's temperature, checkpoints in `checkpointsDir`.
 */
export function trainerConfigOf(
  c: TrainConfig,
  model: Pick<TrainerConfigInput, 'model' | 'frozen' | 'lora'>,
  checkpointsDir: string,
): LearnerConfig {
  return trainerConfig({
    ...model,
    seed: c.seed,
    loss: {
      clipLow: c.ppo.clip,
      clipHigh: c.ppo.clip,
      clipRatioC: c.ppo.dualClip,
      entropyCoef: c.ppo.entropyCoef,
      klCoef: c.ppo.klCoef ?? 0,
    },
    lr: { kind: 'constant', lr: c.ppo.lr },
    miniBatchSize: c.ppo.miniBatchSize,
    microBatchSize: c.ppo.microBatchSize,
    ...(c.ppo.microBatchMiB !== undefined ? { microBatchMiB: c.ppo.microBatchMiB } : {}),
    ...(c.ppo.lastMiniBatch ? { lastMiniBatch: c.ppo.lastMiniBatch } : {}),
    staleness: c.ppo.staleness,
    lossAgg: c.ppo.lossAgg,
    overlong: 'truncate-prompt',
    temperature: c.sampling.train.temperature,
    checkpoint: { dir: checkpointsDir, keepLast: c.keepCheckpoints },
    session: sessionSettingsOf(c),
  });
}
