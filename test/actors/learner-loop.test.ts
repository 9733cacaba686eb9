/**
 * The whole loop on a real (tiny) model: the ONNX policy plays MineSweeper, the learner
 * actor trains on the records with the token ids the policy saw and sampled, publishes the
 * new weights to the policy, and the next rollout reports the new policy version.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createActor, waitFor } from 'xstate';
import { learnerWithTrainer } from '../../src/actors/learner.js';
import { runRollout } from '../../src/actors/provide.js';
import { registerBuiltinEnvs } from '../../src/envs/builtin.js';
import { Trainer, trainerConfig } from '../../src/learner/trainer/index.js';
import { OnnxPolicy } from '../../src/policy/onnx/policy.js';
import { trainingTokens } from '../../src/policy/onnx/tokens.js';
import type { TrialRecord } from '../../src/streams/types.js';

const MODEL = { vocabSize: 1024, dModel: 32, nLayers: 2, nHeads: 2, ffnHidden: 64, maxSeqLen: 2048 };
const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const f of cleanup) await f();
});

function rollout(policy: OnnxPolicy, runId: string): Promise<TrialRecord[]> {
  return runRollout({
    envId: 'MineSweeper-v0',
    tasks: [{ seed: 1 }, { seed: 2 }],
    trialsPerTask: 2,
    trial: {
      attempts: 2,
      maxTurns: 2,
      style: 'compact',
      sampling: { temperature: 1, maxTokens: 12, stop: ['</action>'] },
    },
    runId,
    policy,
  });
}

describe('rollout → learner actor → policy weights', () => {
  it('trains on the ids the policy sampled and the next rollout runs the new version', async () => {
    registerBuiltinEnvs();
    let policy: OnnxPolicy | undefined;
    const config = trainerConfig({ model: MODEL, seed: 2, miniBatchSize: 8, microBatchSize: 8 });
    const trainer = await Trainer.create(config, {
      logger: () => {},
      tokens: (s) => trainingTokens(s, policy!.promptCodec),
    });
    cleanup.push(() => trainer.dispose());
    policy = await OnnxPolicy.fromParams(config.model, trainer.params, trainer.policyVersion);
    const p = policy;
    cleanup.push(() => p.dispose());

    const learner = createActor(
      learnerWithTrainer(trainer, (params, version) => p.setWeights(params, version)),
      { input: { credit: { estimator: 'gigpo', stepGamma: 0.95, trajGamma: 0.6 } } },
    );
    const stats: number[][] = [];
    learner.on('learner-stats', (e) => stats.push([e.step, e.stats.policyVersion, e.stats.staleUsed]));
    learner.start();

    const first = await rollout(p, 'r0');
    expect(first.flatMap((r) => r.samples).every((s) => s.policyVersion === 0)).toBe(true);
    learner.send({ type: 'batch', records: first });
    await waitFor(learner, () => stats.length === 1);
    expect(p.policyVersion).toBe(1);

    const second = await rollout(p, 'r1');
    const samples = second.flatMap((r) => r.samples);
    expect(samples.length).toBeGreaterThan(4);
    expect(samples.every((s) => s.policyVersion === 1)).toBe(true);
    // the first rollout's records are stale now: trained on with their recorded sampling log-probs
    learner.send({ type: 'batch', records: second });
    learner.send({ type: 'batch', records: first });
    learner.send({ type: 'close' });
    const done = await waitFor(learner, (s) => s.status === 'done');
    expect(done.value).toBe('closed');
    expect(stats.map(([step, version]) => [step, version])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(stats[1]![2]).toBe(0);
    expect(stats[2]![2]).toBe(first.flatMap((r) => r.samples).length);
    expect(p.policyVersion).toBe(3);
  }, 60_000);
});
