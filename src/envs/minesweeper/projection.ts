/**
 * LLM text → action (reference `projection.py::minesweeper_projection`):
 * the text between the first `<action>` and the first `</action>`, stripped,
 * then the first match of `\(( *\d+) *, *(\d+) *\)`. Total: never throws.
 */
import { extractBetween, parseRemark } from '../core/tags.js';
import type { Projection, ReflectionParse } from '../core/types.js';
import type { MinesweeperAction, MinesweeperState } from './rules.js';
import { HIDDEN } from './rules.js';

/** The reference pattern. Python's `\d` also matches non-ASCII digits; we accept ASCII digits only. */
export const ACTION_PATTERN = /\(( *\d+) *, *(\d+) *\)/;

export function projectAction(text: string): Projection<MinesweeperAction> {
  const inner = extractBetween(text, '<action>', '</action>', 'first', 'first');
  if (inner === null) return { kind: 'invalid', reason: 'missing <action> </action> tags' };
  const m = ACTION_PATTERN.exec(inner.trim());
  if (m === null) return { kind: 'invalid', reason: 'no "(row, col)" inside <action> </action>' };
  return { kind: 'action', action: { row: toInt(m[1]!), col: toInt(m[2]!) } };
}

/** Digits → integer; numbers past the safe-integer range (off any board anyway) saturate. */
function toInt(digits: string): number {
  const n = Number(digits.trim());
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

/** Reflection: the LAST `<remark>` and LAST `</remark>` (reference `str.rfind`), stripped, ≤ 2000 chars. */
export function projectReflection(text: string): ReflectionParse {
  return parseRemark(text, 'last');
}

/** `(r, c)` as written inside the tags and in history. */
export function formatAction(action: MinesweeperAction): string {
  return `(${action.row}, ${action.col})`;
}

/**
 * The action as the reference writes it in history: `(r, c)`, or `no operation`
 * for an invalid reply. (The reference keeps the raw matched digits, so `( 02,3)`
 * would print as `( 02, 3)`; we print the numbers.)
 */
export function describeAction(action: MinesweeperAction | null): string {
  return action === null ? 'no operation' : formatAction(action);
}

/** Every unopened cell, row-major, as `(r, c)`. */
export function admissibleActions(state: MinesweeperState): string[] {
  const out: string[] = [];
  for (let i = 0; i < state.board.length; i++) {
    if (state.board[i] === HIDDEN) out.push(`(${Math.floor(i / state.cols) + 1}, ${(i % state.cols) + 1})`);
  }
  return out;
}
