/**
 * The train tasks of each step: fresh seeds every step (the reference draws new
 * tasks per batch), or with `taskPool` a fixed pool cycled in order, the overfit
 * check. A pure function of the config and the step, so `--resume` replays the
 * same tasks.
 */
import type { RolloutInput } from '../actors/rollout.js';
import { taskSeeds } from '../envs/core/seeds.js';
import type { Json } from '../envs/core/types.js';
import { deriveSeed } from '../util/rng.js';
import type { AlgoPlan, TrainConfig } from './config.js';

type TaskPlan = Pick<TrainConfig, 'seed' | 'steps' | 'tasksPerStep' | 'taskPool'>;

/** "N tasks", with the pool when there is one: the plan line of the console and the report. */
export function taskCountText(c: Pick<TrainConfig, 'tasksPerStep' | 'taskPool'>): string {
  return `${c.tasksPerStep} tasks${c.taskPool ? ` (from a fixed pool of ${c.taskPool})` : ''}`;
}

/** Seeds of step `step` (1-based); `taskSeeds` is prefix-stable, so a pool is the start of the fresh list. */
export function stepTaskSeeds(c: TaskPlan, step: number): number[] {
  const n = c.tasksPerStep;
  const all = taskSeeds('train', c.taskPool ?? c.steps * n, deriveSeed(c.seed, 'train-tasks'));
  return Array.from({ length: n }, (_, j) => all[((step - 1) * n + j) % all.length]!);
}

/** The rollout of training step `step`: its tasks, the algo's trials and attempts, train sampling seeded per step. */
export function stepRolloutInput(
  c: TrainConfig,
  plan: AlgoPlan,
  env: { envId: string; params: Json },
  step: number,
): RolloutInput {
  return {
    envId: env.envId,
    params: env.params,
    tasks: stepTaskSeeds(c, step).map((seed) => ({ seed })),
    trialsPerTask: plan.trialsPerTask,
    trial: {
      attempts: plan.attempts,
      memoryMode: plan.memoryMode,
      style: c.style,
      sampling: { ...c.sampling.train, seed: deriveSeed(c.seed, 'rollout', step) },
      ...(c.maxTurns !== undefined ? { maxTurns: c.maxTurns } : {}),
    },
    runId: `step${step}`,
    concurrency: c.concurrency,
  };
}
