/**
 * Rule-written reflections on a failed attempt: what went wrong, in concrete
 * cells, and a plan for the next attempt on the same board. Every claim is
 * checked by the solver against what the player could see (plus the mine it
 * hit, which the next attempt knows too); unseen mines are never named.
 */
import type { ReflectPromptContext } from '../core/types.js';
import { cellName } from './render.js';
import { HIDDEN, type MinesweeperState, neighbours } from './rules.js';
import { analyse } from './solver.js';

/** At most this many cells are listed in one sentence. */
const LIST_MAX = 6;

function list(cells: readonly number[], cols: number): string {
  const names = cells.slice(0, LIST_MAX).map((c) => cellName(c, cols));
  const more = cells.length > LIST_MAX ? ` and ${cells.length - LIST_MAX} more` : '';
  if (names.length <= 1) return names.join('') + more;
  if (more) return names.join(', ') + more;
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function percent(p: number): string {
  return `${Math.round(p * 100)}%`;
}

/** A number next to `cell` whose hidden neighbours must all be mines, if any. */
function witness(board: string, s: MinesweeperState, cell: number): string | null {
  for (const j of neighbours(s.rows, s.cols, cell)) {
    const ch = board[j]!;
    if (!(ch >= '1' && ch <= '8')) continue;
    const hidden = neighbours(s.rows, s.cols, j).filter((k) => board[k] === HIDDEN);
    if (hidden.length === Number(ch)) {
      const n = hidden.length;
      return `The number ${ch} at ${cellName(j, s.cols)} had exactly ${n} unopened neighbour${n === 1 ? '' : 's'}, so ${cellName(cell, s.cols)} was certainly a mine.`;
    }
  }
  return null;
}

/** Why the fatal click was a mistake (or a forced guess), judged on the board just before it. */
function lossCause(s: MinesweeperState, cell: number): string {
  const before = s.board.slice(0, cell) + HIDDEN + s.board.slice(cell + 1);
  const a = analyse(before, s.rows, s.cols, s.mines.length);
  if (a.mines.includes(cell))
    return witness(before, s, cell) ?? 'The numbers and the mine count already proved it was a mine.';
  const p = a.probability[cell]!;
  if (a.safe.length > 0) {
    return `It was a guess with about ${percent(p)} risk, while ${list(a.safe, s.cols)} ${a.safe.length === 1 ? 'was' : 'were'} certainly safe.`;
  }
  const hidden = [...before].flatMap((ch, i) => (ch === HIDDEN ? [i] : []));
  const best = hidden.reduce((b, i) => (a.probability[i]! < a.probability[b]! - 1e-9 ? i : b), hidden[0]!);
  if (a.probability[best]! >= p - 1e-9)
    return `No cell was certainly safe; it was a forced guess with the lowest risk (about ${percent(p)}).`;
  return `No cell was certainly safe, but ${cellName(best, s.cols)} (about ${percent(a.probability[best]!)} risk) was safer than this guess (about ${percent(p)}).`;
}

/** Turns that changed nothing: repeated or off-board cells, and replies without an action. */
function wasted(ctx: ReflectPromptContext<MinesweeperState>): string | null {
  const cells = ctx.history
    .filter((h) => h.reward === -1 && h.action !== 'no operation')
    .map((h) => h.action);
  const invalid = ctx.history.filter((h) => h.action === 'no operation').length;
  const parts: string[] = [];
  if (cells.length > 0) {
    const more = cells.length > LIST_MAX ? ` and ${cells.length - LIST_MAX} more` : '';
    parts.push(`already-open or off-board cells ${cells.slice(0, LIST_MAX).join(', ')}${more}`);
  }
  if (invalid > 0)
    parts.push(`${invalid} repl${invalid === 1 ? 'y' : 'ies'} without a valid (row, col) action`);
  return parts.length > 0 ? `I wasted turns on ${parts.join(' and on ')}.` : null;
}

/** A rule-written reflection on the attempt in `ctx` (reference §3: a lesson and an improved plan). */
export function ruleReflection(ctx: ReflectPromptContext<MinesweeperState>): string {
  const s = ctx.current;
  const cols = s.cols;
  if (s.won) return 'I revealed every safe cell and won. Plan: repeat the same moves.';
  const sentences: string[] = [];
  const knownMines = s.exploded === null ? [] : [s.exploded];
  if (s.exploded !== null) {
    sentences.push(
      `I revealed ${cellName(s.exploded, cols)}, which was a mine, on turn ${ctx.history.length}.`,
    );
    sentences.push(lossCause(s, s.exploded));
  } else {
    const hiddenSafe = [...s.board].filter((ch) => ch === HIDDEN).length - s.mines.length;
    sentences.push(
      `I ran out of turns with ${hiddenSafe} safe cell${hiddenSafe === 1 ? '' : 's'} still unopened.`,
    );
  }
  const waste = wasted(ctx);
  if (waste) sentences.push(waste);
  // Plan: what the next attempt (same board) can know for sure.
  const plan: string[] = [];
  if (s.exploded !== null) plan.push(`never reveal ${cellName(s.exploded, cols)}`);
  // Clicks that opened cells (reward > 0): safe, so worth replaying first.
  const firstMoves = ctx.history
    .filter((h) => h.reward > 0)
    .map((h) => /^\((\d+), (\d+)\)$/.exec(h.action))
    .flatMap((m) => (m ? [(Number(m[1]) - 1) * cols + Number(m[2]) - 1] : []))
    .filter((i, k, all) => all.indexOf(i) === k);
  if (firstMoves.length > 0)
    plan.push(
      `reveal ${list(firstMoves, cols)} again (${firstMoves.length === 1 ? 'it was' : 'they were'} safe)`,
    );
  const after = analyse(s.board, s.rows, s.cols, s.mines.length, { knownMines });
  const next = after.safe;
  const then = firstMoves.length > 0 ? 'then ' : '';
  if (next.length > 0) {
    const where = firstMoves.length > 0 ? 'the numbers then prove' : 'the numbers prove';
    plan.push(`${then}reveal ${list(next, cols)}, which ${where} safe`);
  } else {
    plan.push(`${then}reveal the unopened cell with the lowest mine risk, using every number`);
  }
  sentences.push(`Plan: ${plan.join('; ')}.`);
  return sentences.join(' ');
}
