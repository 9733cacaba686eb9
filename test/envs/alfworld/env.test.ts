import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runEval } from '../../../src/cli/eval-run.js';
import { alfworld } from '../../../src/envs/alfworld/index.js';
import { lessonCommand } from '../../../src/envs/alfworld/lessons.js';
import type { AlfWorldState } from '../../../src/envs/alfworld/world.js';
import { registerBuiltinEnvs } from '../../../src/envs/builtin.js';
import { getEnv, resolveParams } from '../../../src/envs/core/registry.js';
import type { HistoryRecord } from '../../../src/envs/core/types.js';
import { ConfigError } from '../../../src/util/errors.js';

registerBuiltinEnvs();

describe('ALFWorld-v0 in the registry', () => {
  it('resolves by alias, with presets train / id (types 1-4), ood (5-6), all', () => {
    const env = getEnv('alfworld');
    expect(env.id).toBe('ALFWorld-v0');
    expect(env.defaultPreset).toBe('train');
    expect(resolveParams(env, 'train')).toMatchObject({ taskTypes: [1, 2, 3, 4] });
    expect(resolveParams(env, 'id')).toMatchObject({ taskTypes: [1, 2, 3, 4] });
    expect(resolveParams(env, 'ood')).toMatchObject({ taskTypes: [5, 6] });
    expect(env.maxTurns).toBe(10);
    expect(env.evalMaxTurns).toBe(30);
    const types = new Set<string>();
    for (let seed = 0; seed < 40; seed++)
      types.add(env.taskType!(env.initial(seed, resolveParams(env, 'ood'))));
    expect([...types].sort()).toEqual(['cool', 'pick2']);
  });

  it('names a bad param', () => {
    const env = getEnv('alfworld');
    expect(() => resolveParams(env, 'train', { taskTypes: [7] })).toThrow(ConfigError);
    expect(() => resolveParams(env, 'train', { taskTypes: [4], rooms: ['bedroom'] })).toThrow(
      /taskTypes: task type 4 \(pick_heat_then_place_in_recep\) needs a room of kind kitchen/,
    );
  });
});

/** Commands a person exploring the room would type: the lesson expert's, played in-process. */
function explore(initial: AlfWorldState, turns: number): string[] {
  let s = initial;
  const history: HistoryRecord[] = [];
  for (let t = 0; t < turns && !s.won; t++) {
    const cmd = lessonCommand({ initial, current: s, attempt: 0, history, memory: [], memoryMode: 'none' })!;
    const r = alfworld.step(s, cmd);
    history.push({ action: cmd, observation: r.state.feedback, reward: r.reward, done: r.done, won: r.won });
    s = r.state;
  }
  return history.map((h) => h.action);
}

describe('lamer play alfworld', () => {
  it('lets a person finish "put a clean mug in coffeemachine" typing commands on stdin', () => {
    const params = { ...alfworld.presets.train!, taskTypes: [3] as const };
    const initial = alfworld.initial(176, params as never);
    expect(initial.game.task).toBe('put a clean mug in coffeemachine');
    const commands = explore(initial, 30);
    const bin = fileURLToPath(new URL('../../../bin/lamer.js', import.meta.url));
    const run = spawnSync(
      process.execPath,
      [bin, 'play', 'alfworld', '--seed', '176', '--set', 'taskTypes=[3]'],
      {
        input: `${commands.join('\n')}\n:quit\n`,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Your task is to: put a clean mug in coffeemachine.');
    expect(run.stdout).toContain('(turn budget 30)');
    expect(run.stdout).toMatch(/You clean the mug \d using the sinkbasin 1\./);
    expect(run.stdout).toMatch(/reward 10 .*\n.*Solved in \d+ turn\(s\)!/);
    expect(run.stdout).toContain(`Solved in ${commands.length} turn(s)!`);
  });
});

describe('lamer eval on ALFWorld', () => {
  it('prints pass@k per task type with the expert policy, at the 30-turn evaluation budget', async () => {
    const out: string[] = [];
    const io = { out: { write: (t: string) => out.push(t) }, live: { write: () => true } };
    const result = await runEval(
      {
        env: 'alfworld',
        policy: 'expert',
        preset: 'all',
        tasks: 12,
        attempts: 2,
        memory: 'reflection_only',
        seed: 5,
        out: `${process.env.TMPDIR ?? '/tmp'}/alfworld-eval-test.jsonl`,
      },
      io,
    );
    const report = out.join('');
    // plain columns (the report is not on a terminal): the overall row has no tags
    expect(report).toMatch(/^pass@1\s+[\d.]+\s+\d+$/m);
    expect(report).toMatch(/^pass@2\s+taskType=\w+/m);
    const perType = result.metrics.filter((e) => e.name === 'pass@1' && e.tags.taskType);
    expect(perType.length).toBeGreaterThanOrEqual(3);
    // The expert explores without reading hidden state, yet solves most tasks in 2 × 30 turns.
    const overall = result.metrics.find((e) => e.name === 'pass@2' && Object.keys(e.tags).length === 0)!;
    expect(overall.value).toBeGreaterThan(0.7);
    const turns = Math.max(...result.records.flatMap((r) => r.samples.map((s) => s.turn)));
    expect(turns).toBeGreaterThan(10);
  });
});
