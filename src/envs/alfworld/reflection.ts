/**
 * Rule-written reflections (the warm start's and the scripted policies'):
 * what the failed attempt found, from its observations only — where each
 * object the task needs was first seen (so where it starts: a restart
 * restores the same room), which receptacles were looked into without
 * them. No plan: knowing where things are, the next attempt's plan follows,
 * and a short lesson costs the built-in model few tokens to write and read
 * (a full command plan took ~170 tokens). The lesson expert reads these
 * sentences back (knowledge.ts `lessonKnowledge`).
 */
import type { ReflectPromptContext } from '../core/types.js';
import { firstSightingsOf } from './knowledge.js';
import type { AlfWorldState } from './world.js';

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
  return parts.join(' ');
}
