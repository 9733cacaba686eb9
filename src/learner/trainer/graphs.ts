/**
 * The trainer's compiled graphs and their sessions: token log-probs (old
 * log-probs before a PPO update), per-loss gradient graphs (run per
 * micro-batch, summed on the host) and the clip + AdamW apply graph. Each is
 * compiled and opened on first use, in a worker thread by default.
 */
import * as G from '../graph/index.js';
import { buildLogprobGraph } from '../inference.js';
import type { PpoLossConfig } from '../loss.js';
import { type InferenceRunner, OnnxSession, WorkerSession } from '../session.js';
import type { SessionSettings, TensorValue } from '../session-core.js';
import { applyUpdate, optimizerFeeds, type TrainState } from '../train-state.js';
import { buildApplyGraph, buildGradGraph, trainGraphConfig, trainNames } from '../train-step.js';
import { trainableShapes, weightSettings } from '../weights.js';
import type { TrainerConfig } from './config.js';

export type LossKind = PpoLossConfig['kind'];

export interface GradResult {
  grads: Record<string, Float32Array>;
  /** Scalar outputs (loss, pg_loss, entropy, clipfrac, approx_kl, ...). */
  stats: Record<string, number>;
}

/**
 * What the trainer's sessions start from (`TrainerConfig.session` overrides it), measured on a LoRA
 * step at SmolLM2-135M's shape (docs/experiments.md): peak RSS 11.0 GiB with onnxruntime's defaults.
 */
export const TRAINER_SESSION_DEFAULTS: SessionSettings = {
  // The pattern's block comes on top of the arena's chunks from the first run: 2× the activations (11.0 → 6.0 GiB).
  memPattern: false,
  // A packed copy of every frozen weight per session (two layouts in a gradient graph: +1.1 GiB), and the step was not faster.
  prepack: false,
};

const f32 = (data: Float32Array, dims: readonly number[]): TensorValue => ({ type: 'float32', dims, data });

export class TrainerGraphs {
  private readonly sessions = new Map<string, Promise<InferenceRunner>>();
  private readonly shapes: Record<string, number[]>;

  constructor(
    private readonly config: TrainerConfig,
    private readonly logger: (message: string) => void,
  ) {
    this.shapes = trainableShapes(config);
  }

  private session(key: string, build: () => G.GraphSpec): Promise<InferenceRunner> {
    let s = this.sessions.get(key);
    if (!s) {
      const bytes = G.compileGraph(build());
      const options = {
        ...TRAINER_SESSION_DEFAULTS,
        ...this.config.session,
        ...weightSettings(this.config),
        logger: this.logger,
      };
      s = this.config.worker ? WorkerSession.create(bytes, options) : OnnxSession.create(bytes, options);
      this.sessions.set(key, s);
      // A session that failed to open is retried on the next call, not cached as failed.
      s.catch(() => this.sessions.delete(key));
    }
    return s;
  }

  private graphConfig(kind: LossKind) {
    const { model, optim, loss, temperature, frozen, lora } = this.config;
    return trainGraphConfig({
      model,
      optim,
      loss: { ...loss, kind },
      temperature,
      window: true,
      ...(frozen ? { frozen } : {}),
      ...(lora ? { lora } : {}),
    });
  }

  private paramFeeds(params: Readonly<Record<string, Float32Array>>): Record<string, TensorValue> {
    return Object.fromEntries(Object.entries(this.shapes).map(([n, dims]) => [n, f32(params[n]!, dims)]));
  }

  /** Log-prob of each response token given the tokens before it at the rollouts' temperature, [B, R] row-major (padSequences' window). */
  async logprobs(
    params: Readonly<Record<string, Float32Array>>,
    batch: Record<string, TensorValue>,
  ): Promise<Float32Array> {
    const s = await this.session('logprobs', () => {
      const { model, frozen, lora, temperature } = this.config;
      const weights =
        frozen === undefined
          ? { weights: 'inputs' as const }
          : 'external' in frozen
            ? { weights: 'external' as const, external: frozen.external }
            : { weights: 'initializers' as const, values: frozen.values };
      return buildLogprobGraph(model, { ...weights, ...(lora ? { lora } : {}), temperature, window: true });
    });
    const feeds = {
      ...this.paramFeeds(params),
      input_ids: batch.input_ids!,
      attention_mask: batch.attention_mask!,
      target_index: batch.target_index!,
      target_ids: batch.target_ids!,
    };
    const out = await s.run(feeds, ['logprobs']);
    return out.logprobs!.data as Float32Array;
  }

  /** Gradients and stats of one micro-batch, token means divided by `numTokens` (the mini-batch's tokens). */
  async grad(
    kind: LossKind,
    params: Readonly<Record<string, Float32Array>>,
    batch: Record<string, TensorValue>,
    numTokens: number,
  ): Promise<GradResult> {
    const s = await this.session(`grad-${kind}`, () => buildGradGraph(this.graphConfig(kind)));
    const out = await s.run({
      ...this.paramFeeds(params),
      ...batch,
      num_tokens: f32(Float32Array.of(numTokens), []),
    });
    const grads: Record<string, Float32Array> = {};
    const stats: Record<string, number> = {};
    for (const [name, t] of Object.entries(out)) {
      if (name.startsWith('grad.')) grads[name.slice(5)] = t.data as Float32Array;
      else if (t.dims.length === 0) stats[name] = Number((t.data as Float32Array)[0]);
    }
    return { grads, stats };
  }

  /** Clip + AdamW with summed gradients; `skipped` when their norm was not finite (nothing changed). */
  async apply(
    state: TrainState,
    grads: Readonly<Record<string, Float32Array>>,
    lr: number,
  ): Promise<{ state: TrainState; skipped: boolean; gradNorm: number }> {
    // The apply graph is the same for both losses (its loss config is unused).
    const s = await this.session('apply', () => buildApplyGraph(this.graphConfig('ppo')));
    const feeds = optimizerFeeds(this.config, state, lr) as Record<string, TensorValue>;
    for (const [n, dims] of Object.entries(this.shapes)) feeds[trainNames.grad(n)] = f32(grads[n]!, dims);
    const out = await s.run(feeds);
    const next = applyUpdate(state, out);
    return { ...next, gradNorm: Number((out.grad_norm!.data as Float32Array)[0]) };
  }

  /** Release every session (workers stop). */
  async dispose(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of await Promise.allSettled(all)) if (s.status === 'fulfilled') await s.value.dispose();
  }
}
