/**
 * Play and reflect prompts. `faithful` reproduces the reference
 * (`agent_system/environments/minesweeper/prompt.py`) word for word,
 * parametrised by board size and mine count; `compact` carries the same
 * information (initial board, memory, current history, current board) without
 * the natural-language rules, for a small model.
 */
import { formatHistory, GRID_WINDOWS } from '../core/history.js';
import type {
  AttemptMemory,
  MemoryMode,
  PlayPromptContext,
  PromptSet,
  PromptStyle,
  ReflectPromptContext,
} from '../core/types.js';
import { renderCompactBoard, renderState } from './render.js';
import type { MinesweeperState } from './rules.js';

/** History windows: the reference grid envs' (core/history.ts). */
export const { play: PLAY_WINDOW, reflect: REFLECT_WINDOW, past: PAST_WINDOW } = GRID_WINDOWS;

/**
 * First lines of both prompts. The reference only has square boards
 * (`{board_size} by {board_size}`); other shapes name rows and columns.
 * The reflect prompt's index line has no final period, as in the reference.
 */
export function intro(rows: number, cols: number, mines: number, phase: 'play' | 'reflect'): string {
  const end = phase === 'play' ? '.' : '';
  const index =
    rows === cols
      ? `The rows and columns are indexed from 1 to ${rows}${end}`
      : `The rows are indexed from 1 to ${rows} and the columns from 1 to ${cols}${end}`;
  return (
    'You are an expert agent operating in the Minesweeper game.\n' +
    `You will be given a two dimensional ${rows} by ${cols} board, with ${mines} hidden mines. \n` +
    index
  );
}

export const RULES = `# Cell States
- Unopened cells (?): cells that are yet to be revealed and may contain a mine.
- Blank cells (.): opened and non-mine cells, and they have no neighboring mines
- Numbered cells (1-8): opened and non-mine cells, and the number indicates how many mines are in the eight neighboring cells, including those diagonally adjacent. For example, a cell with a \`8' means all its neighboring cells contain mines.
- Mine cells (*): opened cells that contain a mine.

# Your Goal
Your goal is to clear the board by revealing all the cells that don't contain mines, without detonating any of the hidden mines scattered throughout the board.
Use clues about the number of neighboring mines in each field to reason about the position of mines and non-mine cells.

# Reveal Rules
Your admissible action is to choose ONE unopened cell (?) to reveal per turn. The outcome depends on the content of that cell:
- Blank cell (.): That cell is revealed, and all contiguous blank cells plus their bordering numbered cells are automatically revealed (auto-cascade).
- Numbered cell (1–8): Only that single cell is revealed, showing the count of neighboring mines.
- Mine (*): The game ends immediately in a loss.`;

export const PLAY_INSTRUCTIONS = `Now it's your turn to make a move.
- Your should first reason step-by-step about the current situation — observe the status of the board, inferring the states of unopened cells (?).
- Then choose ONE unopened cell (?) to reveal. Put the index of cell in the format of "(row, col)" within the <action> </action> tag.`;

export const REFLECT_TASK = `# Your Task
You will be given the history of a past experience.
Your job now is to **reflect on the past experience**, identify any **mistakes or inefficiencies**, and then devise a **concise, improved plan** for your next try starting from the original initial state.`;

export const REFLECT_INSTRUCTIONS = `The task is NOT successfully completed.

Now it's your turn to reflect on the past experience and come up with a new plan of action.

- Your response should first be step-by-step reasoning about the strategy and path you took to attempt to complete the task. Identify where things went wrong or could be better.
- Then devise a concise, new plan of action that accounts for your mistake with reference to specific actions that you should have taken.
- Finally, end the response with your reflection and improved plan inside <remark> </remark> tags, to guide the next trial.`;

/** One earlier attempt, per memory mode (reference `prompt.py` templates). */
export function memoryBlock(
  mode: Exclude<MemoryMode, 'none'>,
  trial: number,
  past: string,
  reflection: string,
): string {
  switch (mode) {
    case 'history_and_reflection':
      return `\n\nOn trial #${trial}, you have taken the following actions: \n${past}\nThe task is NOT successfully completed. Your reflection is: \n${reflection}`;
    case 'history_only':
      return `\n\nOn trial #${trial}, you have taken the following actions: \n${past}\nThe task is NOT successfully completed.`;
    case 'reflection_only':
      return `\n\nOn trial #${trial}, the task is NOT successfully completed. Your reflection is:\n${reflection}`;
  }
}

/** All memory blocks (reference `parse_reflection`): a lone newline on the first attempt or without memory. */
export function memoryBlocks(attempt: number, memory: readonly AttemptMemory[], mode: MemoryMode): string {
  if (mode === 'none' || attempt === 0 || memory.length === 0) return '\n';
  return (
    memory
      // reflection_only shows no past history: not formatted (a string per attempt per turn, unused)
      .map((m) =>
        memoryBlock(
          mode,
          m.attempt + 1,
          mode === 'reflection_only' ? '' : formatHistory(m.history, PAST_WINDOW),
          m.reflection,
        ),
      )
      .join('')
  );
}

/** The current attempt's block (reference `parse_current_trajectory`). */
export function currentBlock(turn: number, attempt: number, trajectory: string): string {
  if (attempt === 0)
    return turn === 0 ? '' : `\nYou have already taken the following actions:\n${trajectory}\n`;
  if (turn === 0) return `\n\nCurrently you're on trial #${attempt + 1}, starting from the initial state.`;
  return `\n\nCurrently you're on trial #${attempt + 1}. You have already taken the following actions: \n${trajectory}\n`;
}

function faithfulPlay(ctx: PlayPromptContext<MinesweeperState>): string {
  const s = ctx.initial;
  const fresh = ctx.memoryMode === 'none';
  const attempt = fresh ? 0 : ctx.attempt;
  const past = memoryBlocks(attempt, fresh ? [] : ctx.memory, ctx.memoryMode);
  const current = currentBlock(ctx.history.length, attempt, formatHistory(ctx.history, PLAY_WINDOW));
  return (
    `${intro(s.rows, s.cols, s.mines.length, 'play')}\n\n${RULES}\n\n# Observation\nThe initial state of the game is:\n` +
    `${renderState(s)}${past}${current}\n${PLAY_INSTRUCTIONS}`
  ).trim();
}

function faithfulReflect(ctx: ReflectPromptContext<MinesweeperState>): string {
  const s = ctx.initial;
  const current = currentBlock(ctx.history.length, ctx.attempt, formatHistory(ctx.history, REFLECT_WINDOW));
  return (
    `${intro(s.rows, s.cols, s.mines.length, 'reflect')}\n\n${RULES}\n\n${REFLECT_TASK}\n\n` +
    `# Past Experience\nThe initial state of the game is:\n${renderState(s)}${current}\n${REFLECT_INSTRUCTIONS}`
  ).trim();
}

/** Compact header: size, mine count and the symbols. */
export function compactHeader(s: MinesweeperState): string {
  return `Minesweeper ${s.rows}x${s.cols}, ${s.mines.length} mines. (row, col) hidden, . blank, 1-8 mines around, * mine.`;
}

function compactActions(history: PlayPromptContext<MinesweeperState>['history']): string {
  return history.map((h) => h.action).join(' ');
}

/** Compact line for one earlier attempt, per memory mode. */
export function compactMemory(m: AttemptMemory, mode: MemoryMode): string[] {
  const last = m.history.at(-1);
  const how = last?.done && !last.won ? ` (mine at ${last.action})` : '';
  const lines: string[] = [];
  if (mode === 'history_only' || mode === 'history_and_reflection') {
    lines.push(`Trial ${m.attempt + 1} failed${how}. Actions: ${compactActions(m.history) || 'none'}`);
  }
  if (mode === 'reflection_only' || mode === 'history_and_reflection') {
    lines.push(`Trial ${m.attempt + 1} lesson: ${m.reflection || 'none'}`);
  }
  return lines;
}

function compactPlay(ctx: PlayPromptContext<MinesweeperState>): string {
  const fresh = ctx.memoryMode === 'none';
  const attempt = fresh ? 0 : ctx.attempt;
  // One board, the current one (at turn 0 it is the start): every cell name in it is a hidden cell.
  const lines = [compactHeader(ctx.initial)];
  if (!fresh && attempt > 0) for (const m of ctx.memory) lines.push(...compactMemory(m, ctx.memoryMode));
  lines.push(
    ctx.history.length > 0
      ? `Trial ${attempt + 1} turn ${ctx.history.length + 1}.`
      : `Trial ${attempt + 1} starts.`,
    'Board:',
    renderCompactBoard(ctx.current),
  );
  lines.push('Reveal one hidden cell: <action>(row, col)</action>');
  return lines.join('\n');
}

function compactReflect(ctx: ReflectPromptContext<MinesweeperState>): string {
  return [
    compactHeader(ctx.initial),
    'Start:',
    renderCompactBoard(ctx.initial),
    `Trial ${ctx.attempt + 1} failed. Actions: ${compactActions(ctx.history) || 'none'}`,
    'End:',
    renderCompactBoard(ctx.current),
    'Write the lesson and a plan: <remark>...</remark>',
  ].join('\n');
}

export const MINESWEEPER_PROMPTS: Record<PromptStyle, PromptSet<MinesweeperState>> = {
  faithful: { play: faithfulPlay, reflect: faithfulReflect },
  compact: { play: compactPlay, reflect: compactReflect },
};
