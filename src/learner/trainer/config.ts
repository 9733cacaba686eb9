/**
 * Trainer configuration: the reference's PPO settings (lamer.md §7) scaled to
 * the built-in model, validated with zod so a bad value names its field and
 * what is expected.
 */
import { z } from 'zod';
import { ConfigError } from '../../util/errors.js';
import { type AdamWConfig, DEFAULT_ADAMW_CONFIG } from '../adamw.js';
import { LORA_TARGETS, type LoraConfig, loraConfig } from '../lora.js';
import { DEFAULT_LOSS_CONFIG, type PpoLossConfig } from '../loss.js';
import { type ModelConfig, modelConfig } from '../model.js';
import type { SessionSettings } from '../session-core.js';
import type { LrSchedule } from '../train-state.js';
import type { FrozenWeights } from '../weights.js';

/** Where and how often the trainer saves checkpoints, and how many it keeps. */
export interface CheckpointConfig {
  /** Folder holding `step-NNNNNN/` checkpoints. */
  readonly dir: string;
  /** Save after every `every` training steps (reference save_freq 10); unset: only when `checkpoint()` is called. */
  readonly every?: number;
  /** Keep only the newest `keepLast` checkpoints (unset: keep all). */
  readonly keepLast?: number;
}

/** Everything a {@link Trainer} is built from: model, seed, loss, optimiser, learning rate, mini-batching, checkpoints, session settings. */
export interface TrainerConfig {
  readonly model: ModelConfig;
  /**
   * Weights that are not trained: a Hugging Face checkpoint's, as external constants the sessions
   * map from its files (`{ external }`), or values baked into the graphs. Needs `lora`.
   */
  readonly frozen?: FrozenWeights;
  /** Train LoRA adapters over `frozen` instead of the weights (the trained state is the adapters). */
  readonly lora?: LoraConfig;
  /** Seeds the initial weights and the mini-batch shuffle. */
  readonly seed: number;
  /** PPO clip, dual-clip, entropy bonus, KL (`kind` is chosen per call: PPO for RL, CE for the warm start). */
  readonly loss: Omit<PpoLossConfig, 'kind'>;
  readonly optim: AdamWConfig;
  readonly lr: LrSchedule;
  /** Turn samples per optimizer update (reference ppo_mini_batch_size 64). */
  readonly miniBatchSize: number;
  /** Samples per forward/backward; gradients of a mini-batch's micro-batches are summed (reference 16). */
  readonly microBatchSize: number;
  /**
   * How a mini-batch is cut into micro-batches: 'by-length' groups rows of similar length, so each
   * micro-batch pads little (`lengthChunks`); 'in-order' keeps the plan's order (the reference's; same
   * gradient up to the order of the float sum, more padding: `npm run bench:step` compares them).
   */
  readonly microBatches: 'by-length' | 'in-order';
  /**
   * Memory budget of one micro-batch, in MiB of estimated activations (`activationBytes`: grows with
   * rows × (T + T²·heads) per layer): a micro-batch takes rows (at most `microBatchSize`) while its
   * estimate stays within it, so long prompts train in fewer rows at a time; a row over it by itself
   * trains alone. Also bounds the log-prob passes. Same gradient whatever the split. The built-in
   * model's estimates are far below the default; a 135M model at 1.2k tokens needs ~3.6 GiB per row.
   */
  readonly microBatchMiB: number;
  /** Samples per log-prob recomputation call (grouped by length). */
  readonly logprobBatchSize: number;
  /** Seeded shuffle of the samples before splitting into mini-batches (reference: no shuffle). */
  readonly shuffle: boolean;
  /** 'copy': pad the batch to a multiple of miniBatchSize with copies of its first samples (reference adjust_batch); 'partial': last mini-batch smaller. */
  readonly lastMiniBatch: 'copy' | 'partial';
  /** Old log-probs of current-version samples: 'recompute' with the current weights before the update (reference), or 'recorded' sampling log-probs. */
  readonly oldLogprobs: 'recompute' | 'recorded';
  /** Samples from an older policy version: 'use' them with their recorded log-probs, or 'drop' them. */
  readonly staleness: 'use' | 'drop';
  /**
   * How token losses add up (verl `loss_agg_mode`): 'token-mean' over every response token of the
   * mini-batch (reference), or 'seq-mean-token-mean' (each sample's token mean, averaged over samples,
   * so long replies such as reflections weigh as much as a short action, not per token).
   */
  readonly lossAgg: 'token-mean' | 'seq-mean-token-mean';
  /** Prompt + response longer than model.maxSeqLen: 'error' naming the sample, or 'truncate-prompt' (drop prompt tokens from the left). */
  readonly overlong: 'error' | 'truncate-prompt';
  /**
   * The rollouts' sampling temperature: PPO scores tokens (old, new and reference log-probs, entropy)
   * under softmax(logits / temperature), as verl's actor does, so the update optimises the policy that
   * was sampled. 1 (reference) for temperature-1 rollouts; the supervised loss ignores it.
   */
  readonly temperature: number;
  readonly checkpoint?: CheckpointConfig;
  /** Run the graphs in a worker thread (keeps the event loop free; default true). */
  readonly worker: boolean;
  readonly session: SessionSettings;
}

/** Reference values (§7) except the learning rate: 1e-6 is for a 4B model; a 1M-parameter model from a warm start needs ~1e-4. */
export const DEFAULT_TRAINER_CONFIG: Omit<TrainerConfig, 'model'> = {
  seed: 0,
  loss: {
    clipLow: DEFAULT_LOSS_CONFIG.clipLow,
    clipHigh: DEFAULT_LOSS_CONFIG.clipHigh,
    clipRatioC: DEFAULT_LOSS_CONFIG.clipRatioC,
    entropyCoef: DEFAULT_LOSS_CONFIG.entropyCoef,
    klCoef: DEFAULT_LOSS_CONFIG.klCoef,
  },
  optim: DEFAULT_ADAMW_CONFIG,
  lr: { kind: 'constant', lr: 1e-4 },
  miniBatchSize: 64,
  microBatchSize: 16,
  microBatches: 'by-length',
  microBatchMiB: 3072,
  logprobBatchSize: 32,
  shuffle: false,
  lastMiniBatch: 'copy',
  oldLogprobs: 'recompute',
  staleness: 'use',
  lossAgg: 'token-mean',
  overlong: 'error',
  temperature: 1,
  worker: true,
  session: {},
};

const positiveInt = z.number().int().min(1);
const nonNegative = z.number().min(0);

const schema = z.strictObject({
  model: z.record(z.string(), z.unknown()),
  frozen: z
    .union([
      z.strictObject({
        external: z.strictObject({ dir: z.string().min(1), refs: z.record(z.string(), z.unknown()) }),
      }),
      z.strictObject({ values: z.record(z.string(), z.instanceof(Float32Array)) }),
    ])
    .optional(),
  lora: z
    .strictObject({
      rank: positiveInt,
      alpha: z.number().gt(0),
      targets: z.array(z.enum(LORA_TARGETS)).min(1),
      rslora: z.boolean(),
    })
    .optional(),
  seed: z.number().int(),
  loss: z.strictObject({
    clipLow: nonNegative,
    clipHigh: nonNegative,
    clipRatioC: z.number().gt(1),
    entropyCoef: z.number(),
    klCoef: nonNegative,
  }),
  optim: z.strictObject({
    beta1: z.number().min(0).lt(1),
    beta2: z.number().min(0).lt(1),
    eps: z.number().gt(0),
    weightDecay: nonNegative,
    decay: z.enum(['all', 'matrices']),
    maxGradNorm: z.number().gt(0),
  }),
  lr: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('constant'), lr: z.number().gt(0) }),
    z.strictObject({
      kind: z.literal('cosine'),
      lr: z.number().gt(0),
      warmupSteps: z.number().int().min(0),
      totalSteps: positiveInt,
      minLr: nonNegative,
    }),
  ]),
  miniBatchSize: positiveInt,
  microBatchSize: positiveInt,
  microBatches: z.enum(['by-length', 'in-order']),
  microBatchMiB: z.number().gt(0),
  logprobBatchSize: positiveInt,
  shuffle: z.boolean(),
  lastMiniBatch: z.enum(['copy', 'partial']),
  oldLogprobs: z.enum(['recompute', 'recorded']),
  staleness: z.enum(['use', 'drop']),
  lossAgg: z.enum(['token-mean', 'seq-mean-token-mean']),
  overlong: z.enum(['error', 'truncate-prompt']),
  temperature: z.number().gt(0),
  checkpoint: z
    .strictObject({ dir: z.string().min(1), every: positiveInt.optional(), keepLast: positiveInt.optional() })
    .optional(),
  worker: z.boolean(),
  session: z.record(z.string(), z.unknown()),
});

/** Overrides of {@link DEFAULT_TRAINER_CONFIG} (nested objects partial too; `lora` needs its rank), validated by {@link trainerConfig}. */
export type TrainerConfigInput = Partial<Omit<TrainerConfig, 'model' | 'loss' | 'optim' | 'lora'>> & {
  model?: Partial<ModelConfig>;
  lora?: Partial<LoraConfig> & { rank: number };
  loss?: Partial<TrainerConfig['loss']>;
  optim?: Partial<AdamWConfig>;
};

/** A full, validated trainer config from defaults and overrides; a bad value is a ConfigError naming the field. */
export function trainerConfig(input: TrainerConfigInput = {}): TrainerConfig {
  const d = DEFAULT_TRAINER_CONFIG;
  const raw = {
    ...d,
    ...input,
    ...(input.lora ? { lora: loraConfig(input.lora) } : {}),
    model: input.model ?? {},
    loss: { ...d.loss, ...input.loss },
    optim: { ...d.optim, ...input.optim },
  };
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues
      .map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`)
      .join('; ');
    throw new ConfigError(`invalid trainer config: ${problems}`);
  }
  const config = { ...raw, model: modelConfig(input.model) } as TrainerConfig;
  if ((config.lora === undefined) !== (config.frozen === undefined))
    throw new ConfigError(
      'invalid trainer config: lora and frozen go together (LoRA adapters are trained over frozen base weights)',
    );
  if (config.microBatchSize > config.miniBatchSize)
    throw new ConfigError(
      `invalid trainer config: microBatchSize (${config.microBatchSize}) must be at most miniBatchSize (${config.miniBatchSize})`,
    );
  return config;
}
