/**
 * WebShop projection (reference `webshop/projection.py`): lower-case the whole
 * reply, take the text between the first `<action>` and the first
 * `</action>`, strip it; valid iff both tags are there. The content goes to
 * the env verbatim (admissibility is not checked: an unknown click changes
 * nothing). Reflections: the text between the LAST `<remark>` and `</remark>`.
 */

import { parseRemark } from '../core/tags.js';
import type { Projection, ReflectionParse } from '../core/types.js';

export function projectWebShop(text: string): Projection<string> {
  const lower = text.toLowerCase();
  const start = lower.indexOf('<action>');
  const end = lower.indexOf('</action>');
  if (start === -1 || end === -1) return { kind: 'invalid', reason: 'missing <action> </action> tags' };
  // Python slicing: an end before the start gives an empty string, still a valid (no-op) action.
  const from = start + '<action>'.length;
  return { kind: 'action', action: end < from ? '' : lower.slice(from, end).trim() };
}

export function parseWebShopReflection(text: string): ReflectionParse {
  return parseRemark(text, 'last');
}
