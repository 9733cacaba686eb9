/**
 * The attempt schedule of a trial, as data: a list of steps such as
 * `[{ phase: 'play' }, { phase: 'reflect' }, { phase: 'play' }, ...]`.
 * Each step can carry its own sampling settings, turn budget or prompt style,
 * so a schedule expresses explore-then-exploit (hot first attempt, cold
 * later ones), curricula or budgets without touching the machines.
 */
import type { MemoryMode, PromptStyle } from '../envs/core/types.js';
import type { SamplingSettings } from '../policy/types.js';
import { ConfigError } from '../util/errors.js';

/** A play attempt in a schedule, with optional per-attempt sampling, turn budget and prompt style. */
export interface PlayStep {
  phase: 'play';
  /** Merged over the trial's sampling settings for this attempt. */
  sampling?: SamplingSettings;
  /** Turn budget of this attempt (default the trial's). */
  maxTurns?: number;
  style?: PromptStyle;
}

/** A reflection turn in a schedule, with optional sampling and prompt style. */
export interface ReflectStep {
  phase: 'reflect';
  sampling?: SamplingSettings;
  style?: PromptStyle;
}

/** One step of a trial's attempt schedule. */
export type ScheduleStep = PlayStep | ReflectStep;

/** Whether memory mode `mode` shows reflections (so reflection turns are worth generating). */
export function usesReflection(mode: MemoryMode): boolean {
  return mode === 'reflection_only' || mode === 'history_and_reflection';
}

/**
 * The reference schedule (§2.1): play; then for each later attempt an
 * optional reflect step and a play step.
 */
export function defaultSchedule(attempts: number, reflect: boolean): ScheduleStep[] {
  if (!(Number.isInteger(attempts) && attempts >= 1)) {
    throw new ConfigError(`attempts must be an integer >= 1, got ${attempts}`);
  }
  const steps: ScheduleStep[] = [{ phase: 'play' }];
  for (let k = 1; k < attempts; k++) {
    if (reflect) steps.push({ phase: 'reflect' });
    steps.push({ phase: 'play' });
  }
  return steps;
}

/** Number of attempts (play steps) of a schedule. */
export function playCount(schedule: readonly ScheduleStep[]): number {
  let n = 0;
  for (const s of schedule) if (s.phase === 'play') n++;
  return n;
}

/**
 * Checks a schedule: it starts with a play step, every reflect step follows a
 * play step, and memory mode `none` (independent retries) has no reflect steps.
 */
export function validateSchedule(schedule: readonly ScheduleStep[], memoryMode: MemoryMode): void {
  if (schedule.length === 0 || schedule[0]!.phase !== 'play') {
    throw new ConfigError('a trial schedule must start with a { phase: "play" } step');
  }
  schedule.forEach((step, i) => {
    if (step.phase !== 'play' && step.phase !== 'reflect') {
      throw new ConfigError(`schedule step ${i}: phase must be "play" or "reflect"`);
    }
    if (step.phase === 'reflect') {
      if (schedule[i - 1]?.phase !== 'play') {
        throw new ConfigError(`schedule step ${i}: a reflect step must follow a play step`);
      }
      if (memoryMode === 'none') {
        throw new ConfigError(
          `schedule step ${i}: memory mode "none" (independent retries) has no reflection turns; drop the reflect steps or pick another memory mode`,
        );
      }
    }
    if (
      step.phase === 'play' &&
      step.maxTurns !== undefined &&
      !(Number.isInteger(step.maxTurns) && step.maxTurns >= 0)
    ) {
      throw new ConfigError(`schedule step ${i}: maxTurns must be an integer >= 0`);
    }
  });
}
