/**
 * The zod schema of a training config (`lamer train`, `lamer pretrain`) and its types: every field
 * with its range and meaning; unknown keys are errors. Loading, merging and the plans derived from a
 * config are in config.ts, which re-exports these names.
 */
import { z } from 'zod';
import { LORA_TARGETS } from '../learner/lora.js';
import { EXECUTION_PROVIDERS } from '../learner/providers.js';

/** Training algorithms: LaMer (multi-attempt trials with memory, cross-episode returns, GiGPO advantages) and the single-attempt GiGPO, GRPO and PPO baselines. */
export const ALGOS = ['lamer', 'gigpo', 'grpo', 'ppo'] as const;
/** One of {@link ALGOS}. */
export type Algo = (typeof ALGOS)[number];
/** Training presets: `quick` (minutes on a CPU), `paper` (the reference's settings at our scale), `hf-lora` (LoRA fine-tuning of a Hugging Face model). */
export const PRESETS = ['quick', 'paper', 'hf-lora'] as const;
/** One of {@link PRESETS}. */
export type PresetName = (typeof PRESETS)[number];

const int = (min: number) => z.number().int().min(min);
const prob = z.number().min(0).max(1);

const samplingSchema = z.strictObject({
  temperature: z.number().min(0),
  topP: z.number().gt(0).max(1),
  /** 0 = no top-k. */
  topK: int(0),
  maxTokens: int(1),
});

const modelSchema = z.strictObject({
  dModel: int(8),
  nLayers: int(1),
  nHeads: int(1),
  ffnHidden: int(8),
  maxSeqLen: int(64),
});

/** The zod schema of a training config (unknown keys are errors); {@link TrainConfig} is its type. */
export const trainConfigSchema = z.strictObject({
  /** Env id or alias (`minesweeper`, `sokoban`). */
  env: z.string().min(1),
  /** The env's difficulty preset (default its own default: MineSweeper 6×6/3, Sokoban 6×6/2). */
  envPreset: z.string().min(1).optional(),
  /** Env params over the preset, e.g. ALFWorld's `{ "games": "DIR" }` (real game files). */
  envParams: z.record(z.string(), z.unknown()).optional(),
  algo: z.enum(ALGOS),
  seed: int(0),
  /** Training steps (reference total_epochs 300). */
  steps: int(1),
  /** Distinct train tasks per step (reference train_batch_size 16). */
  tasksPerStep: int(1),
  /**
   * Train on a fixed pool of this many tasks, cycled (absent: fresh tasks every step, as the
   * reference). A small pool is the overfit check: RL must raise the rollout pass@1 on it.
   */
  taskPool: int(1).optional(),
  /**
   * Attempts per task per step, the sample budget (reference 24): LaMer plays budget/attempts
   * trials of `attempts` attempts (8 × 3), the baselines budget single-attempt trials (24 × 1).
   */
  attemptBudget: int(1),
  /** Attempts per trial: LaMer training, and every algo's validation (pass@1..N). */
  attempts: int(1),
  /** Turns per attempt (default the env's: 7 for both). */
  maxTurns: int(1).optional(),
  stepGamma: prob,
  /** Default per env (SCRIPT_TRAJ_GAMMA). */
  trajGamma: prob.optional(),
  /** 'code' (the reference code's returns, default) or 'paper' (the paper's formula, §12.1). */
  returnVariant: z.enum(['code', 'paper']),
  /** LaMer's cross-attempt memory (reference reflection_only). Baselines always play memory-less retries. */
  memoryMode: z.enum(['reflection_only', 'history_only', 'history_and_reflection']),
  style: z.enum(['compact', 'faithful']),
  invalidPenalty: z.number().min(0),
  ppo: z.strictObject({
    clip: z.number().gt(0).lt(1),
    dualClip: z.number().gt(1),
    entropyCoef: z.number().min(0),
    /**
     * KL penalty to the warm start (verl use_kl_loss, low_var_kl): loss += klCoef · KL. Absent or 0:
     * off, as the reference; costs one more forward pass per step.
     */
    klCoef: z.number().min(0).optional(),
    lr: z.number().gt(0),
    miniBatchSize: int(1),
    microBatchSize: int(1),
    /**
     * Memory budget of one micro-batch in MiB of estimated activations (the trainer's `microBatchMiB`,
     * default 3072): long sequences train in fewer rows than microBatchSize at a time, the same gradient.
     */
    microBatchMiB: z.number().gt(0).optional(),
    /**
     * A batch that is not a multiple of miniBatchSize: 'copy' pads it with its first samples again
     * (reference adjust_batch; absent = 'copy'), 'partial' trains the last mini-batch as it is. With
     * miniBatchSize above the batch (one update per step), 'copy' would train some samples 3 times
     * and others twice, at up to twice the compute.
     */
    lastMiniBatch: z.enum(['copy', 'partial']).optional(),
    /** One epoch over the batch, as the reference (other values are not implemented). */
    epochs: z.literal(1),
    staleness: z.enum(['use', 'drop']),
    /** 'token-mean' (reference) or 'seq-mean-token-mean' (every sample weighs the same, whatever its length). */
    lossAgg: z.enum(['token-mean', 'seq-mean-token-mean']),
  }),
  sampling: z.strictObject({ train: samplingSchema, validation: samplingSchema }),
  validation: z.strictObject({
    /** Validate every K steps (reference test_freq 5) and after the last step. */
    every: int(1),
    /** Fixed validation tasks (validationSeeds(tasks, seed)). */
    tasks: int(1),
    /** Trials per validation task (entropy needs >= 2). */
    trialsPerTask: int(1),
    seed: int(0),
    /** Validate before the first step (reference val_before_train). */
    beforeTraining: z.boolean(),
  }),
  /** Save a checkpoint every K steps (reference save_freq 10) and after the last step. */
  checkpointEvery: int(1),
  keepCheckpoints: int(1),
  /** Trials in flight at once during rollouts (bigger batches use the 2 cores better). */
  concurrency: int(1),
  pipeline: z.strictObject({
    /**
     * Steps a rollout may run ahead of the learner: 0 (the reference's synchronous loop), or 1: step t+1's
     * rollout runs while the learner trains on step t (its later turns use step t's weights once published).
     */
    staleness: z.union([z.literal(0), z.literal(1)]),
  }),
  /**
   * Threads inside one onnxruntime op, for the policy and the learner, the warm start's included
   * (absent: onnxruntime's default, one per core). 1 on a machine shared with other jobs: a pool
   * thread waiting for its sibling takes the time slices the other jobs need.
   */
  threads: int(1).optional(),
  /**
   * onnxruntime execution provider of every session of the run (the rollout policy's and the trainer's;
   * absent: cpu). A GPU provider that cannot start is an error before any work, never a silent CPU run.
   */
  provider: z.enum(EXECUTION_PROVIDERS).optional(),
  model: modelSchema,
  /**
   * Fine-tune a Hugging Face model folder (`--model hf:DIR`: Llama, Qwen2, Qwen3 safetensors) instead of
   * the built-in model; `model` is then unused (the folder's config.json says it all).
   */
  hf: z
    .strictObject({
      dir: z.string().min(1),
      /** 'lora': LoRA adapters over the frozen weights (default); 'full': every weight (fed from JS each run). */
      finetune: z.enum(['lora', 'full']),
      lora: z.strictObject({
        rank: int(1),
        /** Scale numerator: the update is (alpha / rank) · B A x. */
        alpha: z.number().gt(0),
        targets: z.array(z.enum(LORA_TARGETS)).min(1),
        rslora: z.boolean(),
      }),
    })
    .optional(),
  /**
   * Sample the rollouts from a served copy of the hf: model (`--rollout openai:URL#MODEL`: vLLM with
   * `--enable-lora`, or `lamer serve --enable-lora`) instead of in this process; each published LoRA
   * adapter goes to the servers (vLLM's `/v1/load_lora_adapter`) and later requests name it.
   */
  rollout: z
    .strictObject({
      /** `openai:URL[,URL...]#MODEL`: the servers and the base model's name there. */
      policy: z.string().min(1),
      /** `<out>/adapters` as the servers see it (default: its absolute path here: a shared filesystem). */
      serverDir: z.string().min(1).optional(),
      /** Requests in flight (default: the HTTP policy's, 64). */
      maxInFlight: int(1).optional(),
    })
    .optional(),
  warmStart: z.strictObject({
    /** Run the supervised warm start before RL (the built-in model needs it; a pretrained hf: model does not). */
    enabled: z.boolean().optional(),
    /** Folder of the warm-start model (default runs/warmstart/<env>-<preset>-s<seed>). */
    dir: z.string().min(1).optional(),
    /**
     * What the demonstrations teach. 'lessons' (absent = this): trials of `attempts` attempts under the
     * config's memory mode, rule-written reflections, targets acting on the lessons shown (so the model
     * starts out using earlier attempts). 'single-attempt': one attempt per trial, no memory, no
     * reflections, the plain solver's moves: any use of earlier attempts must come from RL's
     * cross-episode credit (the paper's claim); one such warm start serves every memory mode and algo.
     */
    mode: z.enum(['lessons', 'single-attempt']).optional(),
    /** Train tasks played by the noisy expert. */
    tasks: int(1),
    /** Trials per task (different noise, so different failures and recoveries). */
    trialsPerTask: int(1),
    /** Probability of a random move instead of the solver's. */
    epsilon: prob,
    /** Share of each batch drawn from the reflection examples (they are ~10% of the data but teach the long replies). */
    reflectShare: prob,
    /** Supervised steps and examples per step. */
    steps: int(1),
    batchSize: int(1),
    lr: z.number().gt(0),
    /**
     * How example losses combine: 'token-mean' lets the long reflections (~50 tokens) outweigh the play
     * replies, whose one informative token is the cell; 'seq-mean-token-mean' weighs every example alike.
     */
    lossAgg: z.enum(['token-mean', 'seq-mean-token-mean']),
    /** Validation tasks used to report the warm-start model's pass@k. */
    evalTasks: int(1),
  }),
  /**
   * After training, `lamer train` plays the warm start and the trained weights on the validation
   * tasks, `trialsPerTask` trials each under the same `seeds` sampling seeds, and prints what RL
   * changed with its standard error (final-eval.ts). Absent or null (how a config file turns off the
   * quick preset's): no final evaluation.
   */
  finalEval: z
    .strictObject({ seeds: int(1), trialsPerTask: int(1) })
    .nullable()
    .optional(),
  /** Output folder (default runs/train-<env>-<algo>-s<seed>). */
  out: z.string().min(1).optional(),
});

/** A complete, validated training config: env, algorithm, seed, model, steps, rollout, credit, optimiser, validation, checkpoints, warm start, output folder. */
export type TrainConfig = z.infer<typeof trainConfigSchema>;
/** `T` with every field optional, recursively. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
/** A partial training config, merged key by key over a preset (see {@link loadTrainConfig}). */
export type TrainConfigInput = DeepPartial<TrainConfig>;
