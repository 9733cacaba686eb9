/**
 * The warm start's supervised steps, resumable. Batches come from two seeded pools (play and
 * reflection examples; `reflectShare` of every batch from the second), each drawn in shuffled
 * epochs. A checkpoint every tenth of the steps and after the last carries, besides the weights and
 * AdamW state, the draw state and the losses so far (`WarmProgress`, the trainer's `extra`), so a
 * warm start killed at any point continues from its newest checkpoint and ends with the weights and
 * losses of one that was never interrupted (test/train/resume.test.ts).
 */
import { rm } from 'node:fs/promises';
import { latestCheckpoint } from '../learner/checkpoint-dirs.js';
import {
  NothingToResumeError,
  Trainer,
  type TrainerConfig,
  type TurnTokens,
} from '../learner/trainer/index.js';
import { ConfigError } from '../util/errors.js';
import { deriveSeed, Rng, type RngState } from '../util/rng.js';
import type { TrainConfig } from './config.js';
import { type TrainHooks, writesAt } from './phases.js';
import { line, progressBar, type TrainIO } from './progress.js';

/** What a warm-start checkpoint holds besides the trainer's state. */
export interface WarmProgress {
  format: 'lamer-warmstart';
  /** `warmStartKey` of the config that made it. */
  key: string;
  /** Supervised loss of each step so far. */
  losses: number[];
  /** The draw RNG's state and each pool's examples left in its current epoch. */
  draw: RngState;
  orders: number[][];
}

function isProgress(x: unknown): x is WarmProgress {
  const p = x as Partial<WarmProgress> | undefined;
  return (
    p?.format === 'lamer-warmstart' &&
    typeof p.key === 'string' &&
    Array.isArray(p.losses) &&
    Array.isArray(p.draw) &&
    Array.isArray(p.orders)
  );
}

/** Steps between warm-start checkpoints: a tenth of the run (only the newest is kept). */
export const warmCheckpointEvery = (steps: number): number => Math.max(1, Math.ceil(steps / 10));

/**
 * The warm start's trainer: resumed from the newest checkpoint under `config.checkpoint.dir` when it
 * holds progress of this `key`; else fresh, after removing checkpoints that cannot be continued
 * (damaged, or made before progress was saved: the warm start is derived data, so it is made
 * again). Progress of another key is a ConfigError: that folder holds another warm start.
 */
export async function openWarmTrainer(
  config: TrainerConfig,
  key: string,
  dir: string,
  io: TrainIO,
): Promise<{ trainer: Trainer; progress?: WarmProgress }> {
  const ck = config.checkpoint!;
  const logger = (m: string) => line(io, m);
  let stale: string | undefined;
  if (await latestCheckpoint(ck.dir)) {
    try {
      const trainer = await Trainer.create(config, { logger, resume: true });
      const progress = trainer.resumedState;
      if (isProgress(progress) && progress.key === key) return { trainer, progress };
      await trainer.dispose();
      if (isProgress(progress))
        throw new ConfigError(
          `${dir} holds a warm start in progress made with other settings (key ${progress.key}, this config ${key}): ` +
            'delete the folder to make a new one, or set warmStart.dir to another folder',
        );
      stale = 'was made by an older lamer without its progress record';
    } catch (error) {
      if (!(error instanceof NothingToResumeError)) throw error;
      stale = 'is damaged';
    }
    line(io, `warm start: the checkpoint under ${ck.dir} ${stale}; making the warm start again`);
    await rm(ck.dir, { recursive: true, force: true });
  }
  return { trainer: await Trainer.create(config, { logger }) };
}

export interface WarmSteps {
  /** Token ids of every example, and each one's pool. */
  examples: readonly TurnTokens[];
  phases: readonly ('play' | 'reflect')[];
  steps: number;
  batchSize: number;
  reflectShare: number;
}

/** Run the warm start's remaining steps (from `trainer.step`), checkpointing; returns every step's loss. */
export async function trainWarmSteps(
  c: TrainConfig,
  key: string,
  trainer: Trainer,
  progress: WarmProgress | undefined,
  s: WarmSteps,
  io: TrainIO,
  hooks?: TrainHooks,
): Promise<number[]> {
  const rng = progress ? Rng.fromState(progress.draw) : Rng.seeded(deriveSeed(c.seed, 'warmstart-order'));
  const pools = (['play', 'reflect'] as const).map((phase, i) => ({
    ids: s.phases.flatMap((p, j) => (p === phase ? [j] : [])),
    order: [...(progress?.orders[i] ?? [])],
  }));
  const draw = (pool: (typeof pools)[number]) => {
    if (pool.order.length === 0) pool.order = rng.shuffle([...pool.ids]);
    return s.examples[pool.order.pop()!]!;
  };
  const losses = [...(progress?.losses ?? [])];
  const reflectPerBatch = pools[1]!.ids.length === 0 ? 0 : Math.round(s.batchSize * s.reflectShare);
  const every = warmCheckpointEvery(s.steps);
  const bar = progressBar(io, 'warm start', s.steps);
  for (let step = trainer.step + 1; step <= s.steps; step++) {
    const batch = [];
    for (let i = 0; i < s.batchSize; i++) batch.push(draw(pools[i < reflectPerBatch ? 1 : 0]!));
    const r = await trainer.trainSupervised(batch);
    losses.push(r.loss);
    bar.update(step, `loss ${r.loss.toFixed(3)}`);
    if (!(io.bars ?? io.out.isTTY) && (step % 25 === 0 || step === s.steps))
      line(io, `  step ${step}/${s.steps} loss ${r.loss.toFixed(4)}`);
    hooks?.at?.('warmstart', step);
    if (step % every === 0 || step === s.steps) {
      const saved: WarmProgress = {
        format: 'lamer-warmstart',
        key,
        losses,
        draw: rng.state(),
        orders: pools.map((p) => p.order),
      };
      await trainer.checkpoint({ extra: saved, write: writesAt(hooks, 'warmstart-checkpoint', step) });
    }
  }
  bar.stop();
  return losses;
}
