/**
 * Rule-written reflections (the warm start's and the scripted policies'):
 * what the failed attempt found, from its observations only — where each
 * object the task needs was first seen (so where it starts: a restart
 * restores the same room), which receptacles were looked into without
 * them — and a plan from the start: the full command list when the objects
 * are known, else the next receptacles to search. The lesson expert reads
 * these sentences back (knowledge.ts `lessonKnowledge`).
 */
import type { ReflectPromptContext } from '../core/types.js';
import { firstSightingsOf, type Knowledge } from './knowledge.js';
import { knownObjects, missingTypes, searchOrder } from './lessons.js';
import { plan } from './planner.js';
import type { AlfWorldState } from './world.js';

/** How many receptacles the reflection names as the next to search. */
const SEARCH_NEXT = 4;

export function ruleReflection(ctx: ReflectPromptContext<AlfWorldState>): string {
  const s0 = ctx.initial;
  const g = s0.game;
  const seen = firstSightingsOf(ctx.history);
  const relevant = new Set([g.goal.obj, ...(g.goal.toggle ? [g.goal.toggle] : [])]);
  const found = g.objects.filter((o) => relevant.has(o.type) && seen.where.has(o.name));
  const holders = new Set(found.map((o) => seen.where.get(o.name)!));
  const checked = g.receptacles
    .filter((r) => seen.checked.has(r.name) && !holders.has(r.name))
    .map((r) => r.name);
  const knowledge: Knowledge = {
    where: new Map(found.map((o) => [o.name, seen.where.get(o.name)!])),
    // A receptacle a fact names was looked into too: its other contents were not what the task needs.
    checked: new Set([...checked, ...holders]),
  };
  const known = knownObjects(s0, knowledge);
  const parts: string[] = [];
  if (found.length > 0) {
    // Grouped by receptacle, in the opening's order: "candle 3, candle 2 on countertop 1".
    const facts = g.receptacles
      .filter((r) => holders.has(r.name))
      .map((r) => {
        const here = found.filter((o) => seen.where.get(o.name) === r.name).map((o) => o.name);
        return `${here.join(', ')} ${r.openable ? 'in' : 'on'} ${r.name}`;
      });
    parts.push(`Found: ${facts.join('; ')}.`);
  } else parts.push('Found nothing useful.');
  if (checked.length > 0) parts.push(`Checked: ${checked.join(', ')}.`);
  const steps = plan(s0, { usable: (o) => known.has(o) });
  if (steps !== null) parts.push(`Plan: ${steps.join(', ')}.`);
  else {
    const next = searchOrder(s0, knowledge, missingTypes(s0, known))
      .slice(0, SEARCH_NEXT)
      .map((r) => g.receptacles[r]!.name);
    parts.push(`Plan: search ${next.join(', ')} first.`);
  }
  return parts.join(' ');
}
