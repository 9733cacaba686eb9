/**
 * Reply parsing after the reference's `projection.py::sokoban_projection`.
 *
 * Play: the text between the FIRST `<action>` and the LAST `</action>`,
 * lower-cased, split on `,`; each piece maps to the first keyword it contains,
 * tried in the order up, down, left, right, still; the first 3 mapped moves are
 * kept. Valid iff the tags are found and at least one piece mapped. As in the
 * reference, `still` is a keyword: a lone `<action>still</action>` is a VALID
 * action (`['still']`: −0.1, nothing moves), unlike a reply with no keyword,
 * which is invalid (the reference's `[0]` with `is_action_valid = 0`).
 *
 * Reflect: the FIRST `<remark>` and the FIRST `</remark>` (reference `str.find`).
 */
import { extractBetween, parseRemark } from '../core/tags.js';
import type { Projection, ReflectionParse } from '../core/types.js';
import { MOVES, type TurnMove } from './board.js';
import type { SokobanAction } from './rules.js';

/** Moves kept per reply (the reference's `num_actions_per_turn`). */
export const MAX_MOVES_PER_REPLY = 3;

/** Keywords in the order the reference tries them. */
const KEYWORDS: readonly TurnMove[] = ['up', 'down', 'left', 'right', 'still'];

export function projectAction(text: string): Projection<SokobanAction> {
  const inner = extractActionBlock(text);
  if (inner === null) return { kind: 'invalid', reason: 'missing <action> </action> tags' };
  const moves: TurnMove[] = [];
  for (const piece of inner.toLowerCase().split(',')) {
    const hit = KEYWORDS.find((k) => piece.includes(k));
    if (hit !== undefined) moves.push(hit);
  }
  if (moves.length === 0)
    return { kind: 'invalid', reason: 'no move (up, down, left, right, still) inside <action> </action>' };
  return { kind: 'action', action: moves.slice(0, MAX_MOVES_PER_REPLY) };
}

/**
 * First `<action>` to last `</action>`. Python slicing gives '' when the closing
 * tag comes first, which maps no keyword; `extractBetween` gives null: invalid either way.
 */
function extractActionBlock(text: string): string | null {
  return extractBetween(text, '<action>', '</action>', 'first', 'last');
}

export function parseSokobanReflection(text: string): ReflectionParse {
  return parseRemark(text, 'first');
}

/** History form: the reference's Python list repr, e.g. `['up', 'left']`; `['still']` for an invalid reply. */
export function describeSokobanAction(action: SokobanAction | null): string {
  const names = action === null || action.length === 0 ? ['still'] : action;
  return `[${names.map((n) => `'${n}'`).join(', ')}]`;
}

/** The form inside `<action>` tags: `up, left, down`. */
export function formatSokobanAction(action: SokobanAction): string {
  return action.join(', ');
}

/** The reference's admissible list (the same in every state). */
export function sokobanAdmissible(): string[] {
  return [...MOVES];
}
