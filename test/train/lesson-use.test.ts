import { describe, expect, it } from 'vitest';
import { runRollout } from '../../src/actors/provide.js';
import { registerBuiltinEnvs } from '../../src/envs/builtin.js';
import { getEnv, resolveParams } from '../../src/envs/core/registry.js';
import { taskSeeds } from '../../src/envs/core/seeds.js';
import { wrapAction } from '../../src/envs/core/tags.js';
import type { Json } from '../../src/envs/core/types.js';
import { expertPolicy } from '../../src/policy/scripted.js';
import type { Policy } from '../../src/policy/types.js';
import { lessonUse, ReplayMismatchError } from '../../src/train/lesson-use.js';

registerBuiltinEnvs();
const env = getEnv('minesweeper');
const params = resolveParams(env) as Json;

/** The solver on the state alone: ignores every lesson; reflects like the expert. */
const lessonBlind: Policy = {
  name: 'lesson-blind',
  async generate(requests) {
    const expert = await expertPolicy().generate(requests);
    return requests.map((r, i) =>
      r.oracle?.phase === 'play'
        ? { text: wrapAction(env.formatAction(env.expertAction!(r.oracle.state)!)), finishReason: 'stop' }
        : expert[i]!,
    );
  },
};

const play = (policy: Policy) =>
  runRollout({
    envId: env.id,
    params,
    tasks: taskSeeds('train', 60, 7).map((seed) => ({ seed })),
    trialsPerTask: 1,
    trial: { attempts: 3, memoryMode: 'reflection_only', style: 'compact' },
    policy,
  });

describe('lesson use', () => {
  it('the lesson-aware expert always follows its lessons where they differ from the solver', async () => {
    const use = lessonUse(await play(expertPolicy()), params, 'reflection_only');
    expect(use.disagreements).toBeGreaterThan(0);
    expect(use.turns).toBeGreaterThanOrEqual(use.disagreements);
    expect(use.followedLesson).toBe(use.disagreements);
    expect(use.followedSolver).toBe(0);
  });

  it('a policy blind to its lessons follows the solver instead', async () => {
    const use = lessonUse(await play(lessonBlind), params, 'reflection_only');
    expect(use.disagreements).toBeGreaterThan(0);
    expect(use.followedSolver).toBe(use.disagreements);
    expect(use.followedLesson).toBe(0);
  });

  it('says so when the records were played with other params', async () => {
    const records = await play(expertPolicy());
    const other = resolveParams(env, '6x6-5') as Json;
    expect(() => lessonUse(records, other, 'reflection_only')).toThrow(ReplayMismatchError);
  });
});
