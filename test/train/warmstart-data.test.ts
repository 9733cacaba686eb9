import { describe, expect, it } from 'vitest';
import { makeRequest } from '../../src/actors/shared.js';
import { registerBuiltinEnvs } from '../../src/envs/builtin.js';
import { getEnv, resolveParams } from '../../src/envs/core/registry.js';
import type { Json, MemoryMode } from '../../src/envs/core/types.js';
import { loadBuiltinTokenizer } from '../../src/policy/tokenizer.js';
import {
  type DemoOptions,
  demoTokens,
  gatherDemonstrations,
  noisyExpert,
} from '../../src/train/warmstart-data.js';

registerBuiltinEnvs();

function options(envName: string, over: Partial<DemoOptions> = {}): DemoOptions {
  const env = getEnv(envName);
  return {
    envId: env.id,
    params: resolveParams(env) as Json,
    tasks: 12,
    trialsPerTask: 2,
    epsilon: 0.3,
    attempts: 3,
    memoryMode: 'reflection_only',
    style: 'compact',
    seed: 5,
    ...over,
  };
}

describe('warm-start demonstrations', () => {
  it.each(['minesweeper', 'sokoban'])(
    '%s: noisy play gives failures, reflections and solver targets',
    async (name) => {
      const { demos, stats, records } = await gatherDemonstrations(options(name));
      expect(stats.trials).toBe(24);
      expect(stats.noisyTurns).toBeGreaterThan(0);
      // Some trials fail their first attempt, so reflection examples and retries exist.
      expect(stats.reflectExamples).toBeGreaterThan(0);
      expect(records.some((r) => r.wonAt !== null && r.wonAt > 0)).toBe(true);
      const env = getEnv(name);
      for (const d of demos) {
        if (d.phase === 'play') expect(env.project(d.target).kind).toBe('action');
        else expect(env.parseReflection(d.target).kind).toBe('reflection');
      }
      // Every example is distinct.
      expect(new Set(demos.map((d) => `${d.prompt}\u0000${d.target}`)).size).toBe(demos.length);
      // Later attempts show an earlier attempt's reflection in their prompt (reflection_only memory).
      const lessons = demos.flatMap((d) => {
        const parsed = env.parseReflection(d.target);
        return d.phase === 'reflect' && parsed.kind === 'reflection' ? [parsed.text] : [];
      });
      expect(demos.some((d) => d.phase === 'play' && lessons.some((l) => d.prompt.includes(l)))).toBe(true);
    },
  );

  it('single attempt without memory: play examples only, none showing an earlier attempt', async () => {
    const { demos, stats } = await gatherDemonstrations(
      options('minesweeper', { attempts: 1, memoryMode: 'none' }),
    );
    expect(stats.reflectExamples).toBe(0);
    expect(stats.wonAt).toHaveLength(2);
    expect(demos.length).toBeGreaterThan(0);
    for (const d of demos) {
      expect(d.phase).toBe('play');
      expect(d.prompt).not.toMatch(/Trial [2-9]|lesson/);
    }
  });

  it('noise moves are played but never targets: the target is the solver move from that state', async () => {
    const noisy = await gatherDemonstrations(options('minesweeper', { epsilon: 1 }));
    const env = getEnv('minesweeper');
    // With epsilon 1 every move is random, yet each play target equals the expert's choice.
    const first = noisy.records[0]!.samples[0]!;
    const state = env.initial(noisy.records[0]!.seed, resolveParams(env));
    const target = noisy.demos.find((d) => d.prompt === first.prompt)!.target;
    expect(target).toBe(`<action>${env.formatAction(env.expertAction!(state))}</action>`);
  });

  it('targets act on the lessons the prompt shows (a mine a reflection names is never the target)', async () => {
    const env = getEnv('minesweeper');
    const initial = env.initial(3, resolveParams(env));
    const solver = env.formatAction(env.expertAction!(initial));
    const reflection = `I revealed ${solver}, which was a mine, on turn 1. Plan: never reveal ${solver}.`;
    const target = async (memoryMode: MemoryMode) => {
      const { policy, targets } = noisyExpert(0);
      const play = {
        initial,
        attempt: 1,
        history: [],
        memory: [{ attempt: 0, history: [], reflection }],
        memoryMode,
      };
      const oracle = { envId: env.id, phase: 'play' as const, state: initial, play };
      await policy.generate([makeRequest('k', 'prompt', {}, 1, oracle)]);
      return targets.get('k');
    };
    expect(await target('none')).toBe(`<action>${solver}</action>`);
    const lesson = await target('reflection_only');
    expect(lesson).not.toBe(`<action>${solver}</action>`);
    expect(env.project(lesson!).kind).toBe('action');
  });

  it('is seeded: same options, same demonstrations; another seed, other ones', async () => {
    const a = await gatherDemonstrations(options('sokoban', { tasks: 4 }));
    const b = await gatherDemonstrations(options('sokoban', { tasks: 4 }));
    const c = await gatherDemonstrations(options('sokoban', { tasks: 4, seed: 6 }));
    expect(b.demos).toEqual(a.demos);
    expect(c.demos).not.toEqual(a.demos);
  });

  it('tokens: the chat-template prompt, then the target and the end token', async () => {
    const { demos } = await gatherDemonstrations(options('minesweeper', { tasks: 2, trialsPerTask: 1 }));
    const tok = loadBuiltinTokenizer();
    const codec = { tokenizer: tok.tokenizer, chatTemplate: tok.chatTemplate! };
    const end = tok.tokenizer.tokenToId('<|im_end|>')!;
    const [t] = demoTokens(demos.slice(0, 1), codec, end);
    expect(t!.responseTokens.at(-1)).toBe(end);
    expect(tok.tokenizer.decode(t!.responseTokens.slice(0, -1))).toBe(demos[0]!.target);
    expect(tok.tokenizer.decode(t!.promptTokens)).toContain(demos[0]!.prompt);
    expect(
      tok.tokenizer.decode(t!.promptTokens).endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'),
    ).toBe(true);
  });
});
