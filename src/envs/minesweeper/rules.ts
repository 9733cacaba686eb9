/**
 * MineSweeper rules (reference `game/core.py` + `game/env.py`, lamer.md §8.2)
 * over plain JSON state: one left-click reveal per turn, flood fill of blank
 * cells, rewards +0.5 / +2.0 / +10 / −0.1 / −1.0.
 */

/** Display characters, as the reference renders them. */
export const HIDDEN = '?';
export const BLANK = '.';
export const MINE = '*';

/** MineSweeper state (plain JSON): mines, the visible board, and the outcome so far. */
export interface MinesweeperState {
  rows: number;
  cols: number;
  /** 0-based cell indices (`row * cols + col`) of the mines, ascending. */
  mines: number[];
  /** The automatic first click, 1-indexed `[row, col]`. */
  firstClick: [number, number];
  /** What the player sees, row-major, one character per cell: `?`, `.`, `1`–`8`, `*`. */
  board: string;
  /** 0-based index of the mine the player revealed, or null. */
  exploded: number | null;
  /** Every safe cell is revealed. */
  won: boolean;
}

/** One reveal, 1-indexed `(row, col)` as the LLM writes it. */
export interface MinesweeperAction {
  row: number;
  col: number;
}

/** Outcome of one turn (`info.outcome`). */
export type RevealOutcome = 'opened' | 'won' | 'mine' | 'already-open' | 'off-board' | 'invalid' | 'finished';

/** Reward per outcome (reference `game/env.py::step`). Opening several cells at once gives `CASCADE`. */
export const REWARDS = {
  single: 0.5,
  cascade: 2.0,
  win: 10.0,
  mine: -0.1,
  noEffect: -1.0,
} as const;

export function isDone(state: MinesweeperState): boolean {
  return state.won || state.exploded !== null;
}

/** Indices of the up to 8 neighbours of a cell. */
export function neighbours(rows: number, cols: number, index: number): number[] {
  const r = Math.floor(index / cols);
  const c = index % cols;
  const out: number[] = [];
  for (let dr = -1; dr <= 1; dr++) {
    for (let dc = -1; dc <= 1; dc++) {
      if (dr === 0 && dc === 0) continue;
      const rr = r + dr;
      const cc = c + dc;
      if (rr >= 0 && rr < rows && cc >= 0 && cc < cols) out.push(rr * cols + cc);
    }
  }
  return out;
}

/**
 * The true content of every cell: `*` for mines, `.` for 0, `1`–`8` otherwise. Counts each cell's
 * mines in place (no `neighbours` array per cell: every reveal computes this, and those arrays were
 * most of an env step's allocations).
 */
export function solution(rows: number, cols: number, mines: readonly number[]): string[] {
  const isMine = new Uint8Array(rows * cols);
  for (const m of mines) isMine[m] = 1;
  const out: string[] = new Array(rows * cols);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++, i++) {
      if (isMine[i]) {
        out[i] = MINE;
        continue;
      }
      let n = 0;
      for (let rr = Math.max(0, r - 1); rr <= Math.min(rows - 1, r + 1); rr++) {
        for (let cc = Math.max(0, c - 1); cc <= Math.min(cols - 1, c + 1); cc++) n += isMine[rr * cols + cc]!;
      }
      out[i] = n === 0 ? BLANK : DIGITS[n]!;
    }
  }
  return out;
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8'];

/**
 * Reveal `index` on `board` (a character array, changed in place) with the
 * reference flood fill: a blank cell opens its 8 neighbours, recursively;
 * numbered cells stop the cascade. Returns how many cells were opened.
 */
export function floodReveal(
  board: string[],
  truth: readonly string[],
  rows: number,
  cols: number,
  index: number,
): number {
  if (board[index] !== HIDDEN) return 0;
  let opened = 0;
  const stack = [index];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (board[i] !== HIDDEN) continue;
    board[i] = truth[i]!;
    opened++;
    if (truth[i] === BLANK) {
      for (const j of neighbours(rows, cols, i)) if (board[j] === HIDDEN) stack.push(j);
    }
  }
  return opened;
}

/** True when every non-mine cell is revealed (reference non-strict win rule). */
export function allSafeRevealed(board: string | readonly string[], mines: readonly number[]): boolean {
  let hidden = 0;
  for (let i = 0; i < board.length; i++) if (board[i] === HIDDEN) hidden++;
  return hidden === mines.length;
}

/** Apply one reveal. Pure: returns a new state. */
export function reveal(state: MinesweeperState, action: MinesweeperAction) {
  const { rows, cols } = state;
  if (isDone(state)) return result(state, 0, 'finished', 0);
  const { row, col } = action;
  if (!Number.isInteger(row) || !Number.isInteger(col) || row < 1 || row > rows || col < 1 || col > cols) {
    return result(state, REWARDS.noEffect, 'off-board', 0);
  }
  const index = (row - 1) * cols + (col - 1);
  if (state.board[index] !== HIDDEN) return result(state, REWARDS.noEffect, 'already-open', 0);
  const board = state.board.split('');
  if (state.mines.includes(index)) {
    board[index] = MINE;
    return result({ ...state, board: board.join(''), exploded: index }, REWARDS.mine, 'mine', 0);
  }
  const opened = floodReveal(board, solution(rows, cols, state.mines), rows, cols, index);
  const next = { ...state, board: board.join('') };
  if (allSafeRevealed(board, state.mines)) return result({ ...next, won: true }, REWARDS.win, 'won', opened);
  return result(next, opened === 1 ? REWARDS.single : REWARDS.cascade, 'opened', opened);
}

/** The step of an unparseable reply: the reference clicks (−1, −1), which is off the board. */
export function revealInvalid(state: MinesweeperState) {
  if (isDone(state)) return result(state, 0, 'finished', 0);
  return result(state, REWARDS.noEffect, 'invalid', 0);
}

function result(state: MinesweeperState, reward: number, outcome: RevealOutcome, opened: number) {
  return {
    state,
    reward,
    done: isDone(state),
    won: state.won,
    info: { outcome, opened } as Record<string, string | number>,
  };
}
