import { beforeAll, describe, expect, it } from 'vitest';
import { resolveEpisodeInput } from '../../src/actors/episode.js';
import { resolveReflectorInput } from '../../src/actors/reflector.js';
import type { ScheduleStep } from '../../src/actors/schedule.js';
import {
  episodeInput,
  reflectorInput,
  type TrialContext,
  type TrialInput,
  trialSchedule,
} from '../../src/actors/trial-config.js';
import { initialContext, initialPlayContext } from '../../src/actors/trial-setup.js';
import { attemptConfig, startAttemptUpdate } from '../../src/actors/trial-updates.js';
import type { MemoryMode } from '../../src/envs/core/types.js';
import { ConfigError } from '../../src/util/errors.js';
import { PIT, registerPitCorridor } from './helpers.js';

beforeAll(registerPitCorridor);

const MODES: MemoryMode[] = ['reflection_only', 'history_only', 'history_and_reflection', 'none'];

/** A trial's context at schedule step `step`, after `attempt` attempts (each with one turn, in memory). */
function contextAt(input: TrialInput, step: number, attempt: number): TrialContext {
  const c = initialContext({ input });
  const history = [{ action: 'left', observation: 'o', reward: 0, done: false, won: false }];
  const memory = Array.from({ length: attempt }, (_, a) => ({ attempt: a, history, reflection: `r${a}` }));
  const last = attempt > 0 ? { attempt: attempt - 1, final: c.initial, history } : null;
  return Object.assign(c, { step, attempt, memory: c.cfg.memoryMode === 'none' ? [] : memory, last });
}

describe('trial context updates', () => {
  it("an attempt's and a reflection's settings are what the composed trial's resolved inputs are", () => {
    // a custom schedule with per-step overrides, and the reference one, under every memory mode
    const custom: ScheduleStep[] = [
      { phase: 'play', sampling: { temperature: 0.5 }, maxTurns: 2, style: 'compact' },
      { phase: 'reflect', sampling: { topP: 0.9 }, style: 'compact' },
      { phase: 'play' },
    ];
    let compared = 0;
    for (const memoryMode of MODES)
      for (const schedule of memoryMode === 'none' ? [undefined] : [undefined, custom]) {
        const input: TrialInput = {
          envId: 'pit-corridor',
          seed: 4,
          memoryMode,
          schedule,
          attempts: 2,
          sampling: { temperature: 1, seed: 9 },
          taskId: 'task',
          trialId: 'task#1',
          reportTo: 'lamer.rollout',
        };
        const steps = trialSchedule(input).schedule;
        let attempt = 0;
        steps.forEach((step, i) => {
          const c = contextAt(input, i, attempt);
          if (step.phase === 'play') {
            // JSON: the same fields in the same order (a persisted snapshot holds them)
            expect(JSON.stringify(attemptConfig(c))).toBe(
              JSON.stringify(resolveEpisodeInput(episodeInput(c))),
            );
            expect(attemptConfig(c)).toEqual(resolveEpisodeInput(episodeInput(c)));
            attempt++;
          } else {
            expect(JSON.stringify(reflectorInput(c))).toBe(
              JSON.stringify(resolveReflectorInput(reflectorInput(c))),
            );
          }
          compared++;
        });
      }
    expect(compared).toBe(3 + 3 + 2 + 2 + 3 * 3);
    // the env id an alias resolved to, and the task type, as resolveTrialInput found them
    const c = contextAt({ envId: 'pit-corridor', seed: 4 }, 0, 0);
    expect(attemptConfig(c)).toMatchObject({ envId: PIT, taskType: c.taskType, maxTurns: c.cfg.maxTurns });
  });

  it('a step whose turn budget is not an integer >= 0 fails the attempt with the same error', () => {
    const input: TrialInput = { envId: PIT, seed: 4, maxTurns: 1.5 };
    const c = initialContext({ input });
    expect(() => attemptConfig(c)).toThrow(ConfigError);
    expect(() => attemptConfig(c)).toThrow('maxTurns must be an integer >= 0, got 1.5');
    expect(() => resolveEpisodeInput(episodeInput(c))).toThrow('maxTurns must be an integer >= 0, got 1.5');
    // the trial starts failed (no request), as before
    expect(startAttemptUpdate(c)).toEqual({
      failed: 'ConfigError: maxTurns must be an integer >= 0, got 1.5',
      request: null,
    });
  });

  it('trials with the same settings share one reference schedule; a custom one is checked each time', () => {
    const a = initialPlayContext({ input: { envId: PIT, seed: 4, attempts: 3 } });
    const b = initialPlayContext({ input: { envId: PIT, seed: 5, attempts: 3 } });
    expect(a.cfg.schedule).toBe(b.cfg.schedule);
    expect(a.cfg.schedule.map((s) => s.phase)).toEqual(['play', 'reflect', 'play', 'reflect', 'play']);
    // other settings, other schedules; without reflections under history_only
    const h = trialSchedule({ attempts: 3, memoryMode: 'history_only' }).schedule;
    expect(h.map((s) => s.phase)).toEqual(['play', 'play', 'play']);
    expect(trialSchedule({ attempts: 2 }).schedule).toHaveLength(3);
    expect(trialSchedule({ attempts: 3 }).schedule).toBe(a.cfg.schedule);
    // a bad attempt count is an error every time, not cached
    for (let i = 0; i < 2; i++) expect(() => trialSchedule({ attempts: 0 })).toThrow(ConfigError);
    expect(() => trialSchedule({ attempts: 2, memoryMode: 'none', reflect: true })).toThrow(ConfigError);
    const bad: ScheduleStep[] = [{ phase: 'reflect' }];
    for (let i = 0; i < 2; i++) expect(() => trialSchedule({ schedule: bad })).toThrow(ConfigError);
  });
});
