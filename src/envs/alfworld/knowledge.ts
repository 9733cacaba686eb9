/**
 * What a player can know from the text: where objects were seen (the lists
 * after "On the countertop 1, you see …" / "The cabinet 3 is open. In it,
 * you see …", updated by "You pick up the X from the R." and "You move the X
 * to the R."), which receptacles' contents were seen, and the facts a lesson
 * states ("mug 1 is in cabinet 3", "checked: drawer 1, drawer 2"). The lesson
 * expert (lessons.ts) plans only with this, never with the hidden state.
 */
import type { HistoryRecord } from '../core/types.js';
import type { Game } from './world.js';

export interface Knowledge {
  /** Object name → the receptacle it was last seen in ('' = the agent holds it). */
  where: Map<string, string>;
  /** Receptacles whose contents were seen. */
  checked: Set<string>;
}

export function emptyKnowledge(): Knowledge {
  return { where: new Map(), checked: new Set() };
}

/** The names in a TextWorld list ("a mug 1, a cup 2, and a fork 1" / "nothing"). */
export function parseList(text: string): string[] {
  if (text === 'nothing') return [];
  return text
    .split(', ')
    .map((item) => item.replace(/^and /, '').replace(/^a /, '').trim())
    .filter((item) => item.length > 0);
}

/** A receptacle's contents as the game prints them (arrive, open, examine). */
export const CONTENTS = [
  /On the ([a-z]+ \d+), you see ([^.]*)\./,
  /The ([a-z]+ \d+) is open\. In it, you see ([^.]*)\./,
];
export const PICKED = /^You pick up the ([a-z]+ \d+) from the ([a-z]+ \d+)\./;
const MOVED = /^You move the ([a-z]+ \d+) to the ([a-z]+ \d+)\./;

/** Fold one observation into the knowledge (in place). */
export function observe(k: Knowledge, text: string): void {
  for (const pattern of CONTENTS) {
    const m = pattern.exec(text);
    if (!m) continue;
    const recep = m[1]!;
    for (const [obj, at] of k.where) if (at === recep) k.where.delete(obj);
    for (const obj of parseList(m[2]!)) k.where.set(obj, recep);
    k.checked.add(recep);
  }
  const picked = PICKED.exec(text);
  if (picked) k.where.set(picked[1]!, '');
  const moved = MOVED.exec(text);
  if (moved) k.where.set(moved[1]!, moved[2]!);
}

/** Knowledge from a list of observations (oldest first), on top of `base`. */
export function knowledgeFrom(
  observations: readonly string[],
  base: Knowledge = emptyKnowledge(),
): Knowledge {
  const k: Knowledge = { where: new Map(base.where), checked: new Set(base.checked) };
  for (const text of observations) observe(k, text);
  return k;
}

export function historyKnowledge(history: readonly HistoryRecord[], base?: Knowledge): Knowledge {
  return knowledgeFrom(
    history.map((h) => h.observation),
    base,
  );
}

/** Where objects were first seen and which receptacles' contents were seen, from observations. */
export function firstSightings(observations: readonly string[]): Knowledge {
  const k = emptyKnowledge();
  for (const text of observations) {
    for (const pattern of CONTENTS) {
      const m = pattern.exec(text);
      if (!m) continue;
      k.checked.add(m[1]!);
      for (const obj of parseList(m[2]!)) if (!k.where.has(obj)) k.where.set(obj, m[1]!);
    }
    const picked = PICKED.exec(text);
    if (picked && !k.where.has(picked[1]!)) k.where.set(picked[1]!, picked[2]!);
  }
  return k;
}

/** First sightings in an attempt's observations (where things start: a restart restores them). */
export function firstSightingsOf(history: readonly HistoryRecord[]): Knowledge {
  return firstSightings(history.map((h) => h.observation));
}

const NAME = '[a-z]+ \\d+';
/** "mug 1 in cabinet 3", "candle 3, candle 2 on countertop 1", "mug 1 is in the cabinet 3", "mug 1 was on …". */
const FACT = new RegExp(
  `\\b(${NAME}(?:(?:,| and|, and) ${NAME})*) (?:(?:is|are|was|were) )?(?:in|on|at) (?:the )?(${NAME})`,
  'g',
);
function splitNames(list: string): string[] {
  return list.split(/,? and |, /).map((n) => n.trim());
}

const CHECKED = /\bchecked:? ((?:[a-z]+ \d+)(?:(?:,| and|, and) [a-z]+ \d+)*)/g;

/**
 * The facts a lesson (reflection) text states, as written by `ruleReflection` and read leniently:
 * "mug 1 is in cabinet 3" / "mug 1 was on countertop 1", and "checked: drawer 1, drawer 2".
 * Names that are not entities of the game are ignored.
 */
export function lessonKnowledge(texts: readonly string[], game: Game): Knowledge {
  const objects = new Set(game.objects.map((o) => o.name));
  const receps = new Set(game.receptacles.map((r) => r.name));
  const k = emptyKnowledge();
  for (const raw of texts) {
    const text = raw.toLowerCase();
    for (const m of text.matchAll(FACT)) {
      const recep = m[2]!;
      if (!receps.has(recep)) continue;
      for (const name of splitNames(m[1]!))
        if (objects.has(name)) {
          k.where.set(name, recep);
          // Its contents were seen when the object was found there.
          k.checked.add(recep);
        }
    }
    for (const m of text.matchAll(CHECKED))
      for (const name of splitNames(m[1]!)) if (receps.has(name)) k.checked.add(name);
  }
  return k;
}
