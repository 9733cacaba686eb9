/**
 * What an agent can read from earlier attempts in its play prompt: the
 * reflections and the histories its memory mode shows (reference §3.3). Envs' `lessonAction`
 * (the expert acting on those lessons) reads them through this, so an expert
 * never uses memory the prompt hides.
 */
import type { HistoryRecord, MemoryMode, PlayPromptContext } from './types.js';

const SHOWS_REFLECTIONS: ReadonlySet<MemoryMode> = new Set(['reflection_only', 'history_and_reflection']);

/** The non-empty reflections of earlier attempts that the play prompt of `ctx` shows, oldest first. */
export function shownReflections(ctx: PlayPromptContext<unknown>): string[] {
  if (ctx.attempt === 0 || !SHOWS_REFLECTIONS.has(ctx.memoryMode)) return [];
  return ctx.memory.map((m) => m.reflection).filter((r) => r.length > 0);
}

const SHOWS_HISTORY: ReadonlySet<MemoryMode> = new Set(['history_only', 'history_and_reflection']);

/** The histories of earlier attempts that the play prompt of `ctx` shows (history modes), oldest first. */
export function shownHistories(ctx: PlayPromptContext<unknown>): HistoryRecord[][] {
  if (ctx.attempt === 0 || !SHOWS_HISTORY.has(ctx.memoryMode)) return [];
  return ctx.memory.map((m) => m.history);
}
