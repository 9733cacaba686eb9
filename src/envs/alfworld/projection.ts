/**
 * ALFWorld projection (reference `alfworld/projection.py`): lower-case the
 * whole reply, take the text between the first `<action>` and the first
 * `</action>`, strip it; valid iff both tags are there. The command goes to
 * the game as it is (admissibility is not checked: the game answers
 * "Nothing happens."). Reflections: the text between the LAST `<remark>` and
 * the last `</remark>`, stripped, at most 2000 characters.
 */
import { parseRemark } from '../core/tags.js';
import type { Projection, ReflectionParse } from '../core/types.js';

export function projectAlfWorld(text: string): Projection<string> {
  const lower = text.toLowerCase();
  const start = lower.indexOf('<action>');
  const end = lower.indexOf('</action>');
  if (start === -1 || end === -1) return { kind: 'invalid', reason: 'missing <action> </action> tags' };
  // Python slicing: an end before the start gives an empty command (valid; the game ignores it).
  const from = start + '<action>'.length;
  return { kind: 'action', action: end < from ? '' : lower.slice(from, end).trim() };
}

export function parseAlfWorldReflection(text: string): ReflectionParse {
  return parseRemark(text, 'last');
}

/**
 * The command as history shows it. An invalid reply: the reference sends (and records) the reply's
 * last 30 characters; the contract passes no text here, so history says `invalid action`.
 */
export function describeAlfWorldAction(action: string | null): string {
  return action === null ? 'invalid action' : action;
}
