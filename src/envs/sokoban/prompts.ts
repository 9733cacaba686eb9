/**
 * Sokoban play and reflect prompts.
 *
 * `faithful`: the reference's `get_sokoban_prompt` (templates in
 * `templates.ts`): memory blocks for every earlier attempt per memory mode,
 * then the current-attempt block; play history = last 7 turns with the last 2
 * observations printed, reflect history = last 7 with all printed, past
 * attempts with the default window (7 turns, 2 observations). Memory mode
 * `none` renders every attempt as a fresh attempt 0 (our fix of §12.7).
 *
 * `compact`: the same information without the natural-language rules, for a
 * small model: initial grid, memory, this attempt's moves, current grid.
 */
import { formatHistory, GRID_WINDOWS, type HistoryWindow } from '../core/history.js';
import type {
  AttemptMemory,
  HistoryRecord,
  MemoryMode,
  PlayPromptContext,
  PromptSet,
  PromptStyle,
  ReflectPromptContext,
} from '../core/types.js';
import { renderGrid } from './render.js';
import type { SokobanState } from './rules.js';
import {
  CURR_TRAJ_AT_TRAJ1,
  CURR_TRAJ_AT_TRAJ2_TO_N,
  fill,
  HISTORY_ONLY_TEMPLATE,
  NUMBER_WORDS,
  PAST_TRAJECTORY_AND_REFLECTION_TEMPLATE,
  REFLECTION_ONLY_TEMPLATE,
  SOKOBAN_PLAY_PROMPT,
  SOKOBAN_REFLECT_PROMPT,
  TRAJ_2_TO_N_INIT,
} from './templates.js';

/** History windows: the reference grid envs' (core/history.ts). */
export const { play: PLAY_WINDOW, reflect: REFLECT_WINDOW, past: PAST_WINDOW } = GRID_WINDOWS;

/** Reference `parse_reflection`: the memory blocks of earlier attempts. */
export function memoryBlocks(attempt: number, memory: readonly AttemptMemory[], mode: MemoryMode): string {
  if (mode === 'none' || attempt === 0 || memory.length === 0) return '\n';
  return memory
    .slice(0, attempt)
    .map((m, j) => {
      // formatted only where shown (reflection_only shows no past history)
      if (mode === 'history_and_reflection') {
        return fill(PAST_TRAJECTORY_AND_REFLECTION_TEMPLATE, {
          traj_idx: j + 1,
          past_trajectory: formatHistory(m.history, PAST_WINDOW),
          reflection: m.reflection,
        });
      }
      if (mode === 'history_only')
        return fill(HISTORY_ONLY_TEMPLATE, {
          traj_idx: j + 1,
          past_trajectory: formatHistory(m.history, PAST_WINDOW),
        });
      return fill(REFLECTION_ONLY_TEMPLATE, { traj_idx: j + 1, reflection: m.reflection });
    })
    .join('');
}

/** Reference `parse_current_trajectory`. */
export function currentBlock(
  attempt: number,
  history: readonly HistoryRecord[],
  window: HistoryWindow,
): string {
  const turn = history.length;
  if (attempt === 0) {
    return turn === 0 ? '' : fill(CURR_TRAJ_AT_TRAJ1, { current_trajectory: formatHistory(history, window) });
  }
  if (turn === 0) return fill(TRAJ_2_TO_N_INIT, { traj_idx: attempt + 1 });
  return fill(CURR_TRAJ_AT_TRAJ2_TO_N, {
    traj_idx: attempt + 1,
    current_trajectory: formatHistory(history, window),
  });
}

function numberWord(n: number): string {
  return NUMBER_WORDS[n] ?? String(n);
}

function faithfulPlay(ctx: PlayPromptContext<SokobanState>): string {
  const fresh = ctx.memoryMode === 'none';
  const attempt = fresh ? 0 : ctx.attempt;
  return fill(SOKOBAN_PLAY_PROMPT, {
    init_observation: renderGrid(ctx.initial),
    past_trajectories_reflections: memoryBlocks(attempt, fresh ? [] : ctx.memory, ctx.memoryMode),
    current_trajectory: currentBlock(attempt, ctx.history, PLAY_WINDOW),
    num_actions_per_turn: numberWord(ctx.initial.movesPerTurn),
  }).trim();
}

function faithfulReflect(ctx: ReflectPromptContext<SokobanState>): string {
  return fill(SOKOBAN_REFLECT_PROMPT, {
    init_observation: renderGrid(ctx.initial),
    current_trajectory: currentBlock(ctx.attempt, ctx.history, REFLECT_WINDOW),
  }).trim();
}

/** Actions of an attempt in compact form, turns separated by `;`: `up,left;down`. */
function compactMoves(history: readonly HistoryRecord[]): string {
  const turns: string[] = [];
  for (const rec of history) {
    turns.push(rec.action.replace(/[[\]' ]/g, ''));
    if (rec.done) break;
  }
  return turns.length === 0 ? '-' : turns.join(';');
}

function compactMemory(memory: readonly AttemptMemory[], mode: MemoryMode): string {
  if (mode === 'none' || memory.length === 0) return '';
  const lines = memory.map((m, j) => {
    const parts: string[] = [];
    if (mode !== 'reflection_only') parts.push(`moves ${compactMoves(m.history)}`);
    if (mode !== 'history_only') parts.push(`note ${m.reflection}`);
    return `try${j + 1}: ${parts.join(' | ')}`;
  });
  return `memory:\n${lines.join('\n')}\n`;
}

function compactPlay(ctx: PlayPromptContext<SokobanState>): string {
  const init = renderGrid(ctx.initial);
  const now = renderGrid(ctx.current);
  const memory = ctx.memoryMode === 'none' ? '' : compactMemory(ctx.memory, ctx.memoryMode);
  const moves = ctx.history.length === 0 ? '' : `moves: ${compactMoves(ctx.history)}\n`;
  return `sokoban\ninit:\n${init}\n${memory}${moves}now:\n${now}\nact ${ctx.initial.movesPerTurn}:`;
}

function compactReflect(ctx: ReflectPromptContext<SokobanState>): string {
  const init = renderGrid(ctx.initial);
  return `sokoban\ninit:\n${init}\nmoves: ${compactMoves(ctx.history)}\nend:\n${renderGrid(ctx.current)}\nfailed. remark:`;
}

export const SOKOBAN_PROMPTS: Record<PromptStyle, PromptSet<SokobanState>> = {
  faithful: { play: faithfulPlay, reflect: faithfulReflect },
  compact: { play: compactPlay, reflect: compactReflect },
};
