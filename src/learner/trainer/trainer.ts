/**
 * The Trainer: owns the train state (weights, AdamW moments, update count),
 * the policy version and the shuffle RNG, and turns credited batches into
 * PPO updates (or token batches into supervised cross-entropy updates for
 * the warm start). Graphs run in worker threads by default, so the event
 * loop stays free. Checkpoints every K steps (or when the caller asks);
 * `resume` continues from the newest usable one (none is an error:
 * NothingToResumeError) and, with the same seed and data, reaches the same
 * weights as a run that was never interrupted.
 */
import type { TurnSample } from '../../streams/types.js';
import { ConfigError } from '../../util/errors.js';
import { deriveSeed, Rng } from '../../util/rng.js';
import type { CreditedBatch } from '../credit/index.js';
import { initTrainState, type TrainState } from '../train-state.js';
import { trainableShapes } from '../weights.js';
import {
  padSequences,
  planMiniBatches,
  recordedTokens,
  responseLogprobs,
  sampleLabel,
  TrainerError,
  type TrainSequence,
  type TurnTokens,
  toSequence,
} from './batch.js';
import { type TrainerConfig, trainerConfig } from './config.js';
import { type LossKind, TrainerGraphs } from './graphs.js';
import { budgetedMicroBatches } from './memory.js';
import type { CheckpointOptions, TrainerOptions, TrainStats } from './options.js';
import { saveTrainerCheckpoint, type TrainerCheckpoint, type TrainerSnapshot } from './persist.js';
import { startingCheckpoint } from './start.js';
import { runStep } from './step.js';

/**
 * Trains the built-in model: PPO updates from credited batches, supervised
 * cross-entropy steps for the warm start, checkpoints every K steps, and
 * `resume` that reaches the same weights as an uninterrupted run.
 * Graphs run in worker threads. Create with `Trainer.create(config)`.
 */
export class Trainer {
  /** The caller's state saved with the checkpoint this trainer resumed from (`checkpoint({ extra })`). */
  readonly resumedState: unknown;
  private readonly graphs: TrainerGraphs;
  private readonly logger: (message: string) => void;
  private readonly tokensOf: (sample: TurnSample) => TurnTokens;
  private busy = false;
  /** Weights of the KL penalty's reference policy (only with `loss.klCoef` > 0). */
  private readonly reference: Readonly<Record<string, Float32Array>> | undefined;

  private constructor(
    readonly config: TrainerConfig,
    private state: TrainState,
    private stepCount: number,
    private version: number,
    private readonly rng: Rng,
    options: TrainerOptions,
    resumed?: TrainerCheckpoint,
  ) {
    this.resumedState = resumed?.snapshot.extra;
    this.logger = options.logger ?? console.warn;
    this.tokensOf = options.tokens ?? recordedTokens;
    this.graphs = new TrainerGraphs(config, this.logger);
    const ref = options.referenceParams ?? options.initialParams;
    if (config.loss.klCoef > 0) this.reference = ref ? checkedParams(config, ref) : state.params;
  }

  /** A trainer from `config` (see `trainerConfig`); checks the checkpoint folder before anything else (start.ts). */
  static async create(input: TrainerConfig, options: TrainerOptions = {}): Promise<Trainer> {
    const config = trainerConfig(input); // a hand-built config is checked too
    const found = await startingCheckpoint(config, options, options.logger ?? console.warn);
    if (found) {
      const s = found.snapshot;
      return new Trainer(config, s.state, s.step, s.policyVersion, Rng.fromState(s.rng), options, found);
    }
    let state = initTrainState(config, config.seed);
    if (options.initialParams) state = { ...state, params: checkedParams(config, options.initialParams) };
    return new Trainer(config, state, 0, 0, Rng.seeded(deriveSeed(config.seed, 'trainer-shuffle')), options);
  }

  /** Training steps done. */
  get step(): number {
    return this.stepCount;
  }
  /** Version of the current weights (what the policy should report after `publish`). */
  get policyVersion(): number {
    return this.version;
  }
  /** The current weights (do not mutate). */
  get params(): Readonly<Record<string, Float32Array>> {
    return this.state.params;
  }
  /** The full train state (weights, moments, AdamW update count). */
  get trainState(): TrainState {
    return this.state;
  }

  /** One PPO step on a credited batch (computeAdvantages output). */
  async trainPpo(batch: CreditedBatch): Promise<TrainStats> {
    this.enter();
    try {
      return await this.ppo(batch);
    } finally {
      this.busy = false;
    }
  }

  /** One step at a time: a second call while one runs would train on weights that are about to change. */
  private enter(): void {
    if (this.busy)
      throw new TrainerError(
        'a training step is already running on this trainer: await it before the next one',
      );
    this.busy = true;
  }

  private async ppo(batch: CreditedBatch): Promise<TrainStats> {
    const { config: c } = this;
    const seqs: TrainSequence[] = [];
    let staleUsed = 0;
    let staleDropped = 0;
    batch.samples.forEach((sample, i) => {
      const label = sampleLabel(sample);
      if (sample.policyVersion > this.version)
        throw new TrainerError(
          `turn ${label} comes from policy version ${sample.policyVersion}, but the trainer is at version ` +
            `${this.version}: after resuming, publish the trainer's weights to the policy before new rollouts`,
        );
      const stale = sample.policyVersion < this.version;
      if (stale && c.staleness === 'drop') {
        staleDropped++;
        return;
      }
      const t = this.tokensOf(sample);
      if (t.logprobs !== undefined && t.logprobs.length !== t.responseTokens.length)
        throw new TrainerError(
          `turn ${label}: ${t.logprobs.length} log-probs for ${t.responseTokens.length} response tokens`,
        );
      const seq = toSequence(label, t, batch.advantages[i]!, c.model.maxSeqLen, c.overlong);
      if (stale) {
        if (t.logprobs === undefined) {
          staleDropped++;
          return;
        }
        staleUsed++;
        seq.oldLogprobs = t.logprobs;
      } else if (c.oldLogprobs === 'recorded' && t.logprobs !== undefined) seq.oldLogprobs = t.logprobs;
      seqs.push(seq);
    });
    if (staleDropped > 0) this.logger(`step ${this.stepCount + 1}: dropped ${staleDropped} stale sample(s)`);
    const plan = planMiniBatches(seqs.length, c, this.rng);
    // The first mini-batch trains on the weights that score it: its old log-probs come from its own
    // forward pass (verl's on-policy case). Only samples of later mini-batches need a pass before the step.
    const later = new Set(plan.slice(1).flat());
    seqs.forEach((s, i) => {
      if (s.oldLogprobs === undefined && !later.has(i)) s.onPolicy = true;
    });
    await this.fillOldLogprobs(seqs.filter((s) => s.oldLogprobs === undefined && !s.onPolicy));
    if (this.reference) await this.fillLogprobs(seqs, this.reference, 'refLogprobs');
    return this.finish('ppo', seqs, plan, { staleUsed, staleDropped });
  }

  /** One supervised step: token cross-entropy on the response tokens of each example (warm start). */
  async trainSupervised(examples: readonly TurnTokens[]): Promise<TrainStats> {
    this.enter();
    try {
      const { maxSeqLen } = this.config.model;
      const seqs = examples.map((t, i) => toSequence(`example ${i}`, t, 0, maxSeqLen, this.config.overlong));
      const plan = planMiniBatches(seqs.length, this.config, this.rng);
      return await this.finish('ce', seqs, plan, { staleUsed: 0, staleDropped: 0 });
    } finally {
      this.busy = false;
    }
  }

  /** Log-probs of each response token under the current weights (at `config.temperature`). */
  async responseLogprobs(turns: readonly TurnTokens[]): Promise<number[][]> {
    const { maxSeqLen } = this.config.model;
    const seqs = turns.map((t, i) => toSequence(`turn ${i}`, t, 0, maxSeqLen, this.config.overlong));
    await this.fillOldLogprobs(seqs);
    return seqs.map((s) => s.oldLogprobs!);
  }

  /** Old log-probs with the current weights, before any update of this step (the reference recomputes them). */
  private fillOldLogprobs(seqs: TrainSequence[]): Promise<void> {
    return this.fillLogprobs(seqs, this.state.params, 'oldLogprobs');
  }

  private async fillLogprobs(
    seqs: TrainSequence[],
    params: Readonly<Record<string, Float32Array>>,
    key: 'oldLogprobs' | 'refLogprobs',
  ): Promise<void> {
    const { model, logprobBatchSize, microBatchMiB } = this.config;
    for (const part of budgetedMicroBatches(seqs, model, logprobBatchSize, microBatchMiB)) {
      const { feeds } = padSequences(part);
      const lp = await this.graphs.logprobs(params, feeds);
      responseLogprobs(part, lp).forEach((l, j) => {
        part[j]![key] = l;
      });
    }
  }

  private async finish(
    mode: LossKind,
    seqs: TrainSequence[],
    plan: readonly (readonly number[])[],
    counts: { staleUsed: number; staleDropped: number },
  ): Promise<TrainStats> {
    const r = await runStep(this.graphs, this.config, this.state, seqs, mode, plan);
    this.stepCount++;
    this.state = r.state;
    if (r.updates > 0) this.version++;
    const stats: TrainStats = {
      ...r.means,
      step: this.stepCount,
      policyVersion: this.version,
      mode,
      samples: seqs.length,
      tokens: r.tokens,
      ...counts,
      updates: r.updates,
      skippedUpdates: r.skippedUpdates,
      stopped: r.stopped !== undefined,
    };
    if (r.stopped !== undefined) {
      stats.message = `step ${this.stepCount}: ${r.stopped}; the step was stopped and the weights of policy version ${this.version} were kept`;
      this.logger(stats.message);
    } else if (r.skippedUpdates > 0) {
      stats.message = `step ${this.stepCount}: ${r.skippedUpdates} update(s) skipped (non-finite gradient norm)`;
      this.logger(stats.message);
    }
    const ck = this.config.checkpoint;
    if (ck?.every !== undefined && this.stepCount % ck.every === 0) {
      try {
        stats.checkpoint = await this.checkpoint();
      } catch (cause) {
        throw new TrainerError(
          `step ${this.stepCount}: saving the checkpoint under ${ck.dir} failed (${(cause as Error).message}); ` +
            'the newest complete checkpoint is still usable: free space or fix the folder, then resume',
          { cause },
        );
      }
    }
    return stats;
  }

  /**
   * What a checkpoint of this moment holds (the weights and moments are never mutated in place, so
   * this is a cheap copy of references): save it later with `checkpoint({ at })`, e.g. after a
   * history line, while the trainer may have gone on.
   */
  snapshot(): TrainerSnapshot {
    return {
      state: this.state,
      step: this.stepCount,
      policyVersion: this.version,
      seed: this.config.seed,
      rng: this.rng.state(),
    };
  }

  /**
   * Save a checkpoint (also done every `checkpoint.every` steps) of now, or of `at`; returns its
   * folder. `extra` (plain JSON) is saved with it and comes back as `resumedState` on resume.
   */
  async checkpoint(options: CheckpointOptions = {}): Promise<string> {
    const ck = this.config.checkpoint;
    if (!ck) throw new ConfigError('no checkpoint folder configured (config.checkpoint.dir)');
    const snap = {
      ...(options.at ?? this.snapshot()),
      ...(options.extra !== undefined ? { extra: options.extra } : {}),
    };
    return saveTrainerCheckpoint(this.config, ck, snap, options.write);
  }

  /** Stop the graph sessions (worker threads). */
  async dispose(): Promise<void> {
    await this.graphs.dispose();
  }
}

function checkedParams(
  config: TrainerConfig,
  params: Readonly<Record<string, Float32Array>>,
): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, shape] of Object.entries(trainableShapes(config))) {
    const n = shape.reduce((a, b) => a * b, 1);
    const p = params[name];
    if (!(p instanceof Float32Array) || p.length !== n)
      throw new ConfigError(
        `initialParams: "${name}" must be a Float32Array of ${n} values (shape [${shape}])`,
      );
    out[name] = Float32Array.from(p);
  }
  return out;
}
