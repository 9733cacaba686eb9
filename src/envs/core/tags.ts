/**
 * Tag extraction as the reference projections do it (`str.find` / `str.rfind`).
 */
export type Occurrence = 'first' | 'last';

/**
 * Text between an opening and a closing tag, or null when either is missing
 * (or the closing tag comes before the opening one's end).
 * `open`/`close` choose which occurrence of each tag is used, as in the
 * reference (Sokoban actions: first `<action>`, last `</action>`).
 */
export function extractBetween(
  text: string,
  openTag: string,
  closeTag: string,
  open: Occurrence = 'first',
  close: Occurrence = 'first',
): string | null {
  const start = open === 'first' ? text.indexOf(openTag) : text.lastIndexOf(openTag);
  const end = close === 'first' ? text.indexOf(closeTag) : text.lastIndexOf(closeTag);
  if (start === -1 || end === -1) return null;
  const from = start + openTag.length;
  if (end < from) return null;
  return text.slice(from, end);
}

/** Maximum length of a parsed reflection (reference §3.2). */
export const REFLECTION_MAX_CHARS = 2000;

/**
 * Parse `<remark>...</remark>` (reference §3.2): strip, cap at 2000 characters.
 * Sokoban uses the first tags, the other envs the last ones.
 */
export function parseRemark(
  text: string,
  occurrence: Occurrence,
): { kind: 'reflection'; text: string } | { kind: 'invalid'; reason: string } {
  const inner = extractBetween(text, '<remark>', '</remark>', occurrence, occurrence);
  if (inner === null) return { kind: 'invalid', reason: 'missing <remark> </remark> tags' };
  return { kind: 'reflection', text: inner.trim().slice(0, REFLECTION_MAX_CHARS) };
}

/** Wrap an action the way every play prompt asks for it. */
export function wrapAction(text: string): string {
  return `<action>${text}</action>`;
}
