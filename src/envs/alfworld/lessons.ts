/**
 * The lesson expert: ALFWorld played on what the prompt shows. It knows the
 * receptacles (the opening lists them), what it carries, and where objects
 * are only from the text: this attempt's observations and the facts its
 * shown reflections state (knowledge.ts). With the objects it knows of it
 * plans as the full-knowledge planner does; otherwise it searches: the
 * receptacles whose contents it has not seen and that could hold what it
 * needs, open surfaces before closed ones, each in the order the opening
 * lists them (opening closed ones where it stands). A lesson that names where the object is turns the next attempt
 * into a direct plan: the meta-RL behaviour the env exists to measure.
 */
import { shownReflections } from '../core/lessons.js';
import type { PlayPromptContext } from '../core/types.js';
import { CAN_CONTAIN, LAMP_RECEPTACLES, TOGGLEABLE } from './constants.js';
import { historyKnowledge, type Knowledge, lessonKnowledge } from './knowledge.js';
import { expertCommand, plan } from './planner.js';
import { type AlfWorldState, type Game, HELD, isReachable, receptaclesAt } from './world.js';

/** Object indices whose place the knowledge states correctly (a wrong fact is treated as unknown). */
export function knownObjects(s: AlfWorldState, k: Knowledge): Set<number> {
  const g = s.game;
  const out = new Set<number>();
  g.objects.forEach((o, i) => {
    const at = k.where.get(o.name);
    if (at === undefined) return;
    const truth = s.in[i]!;
    if ((at === '' && truth === HELD) || (truth >= 0 && g.receptacles[truth]!.name === at)) out.add(i);
  });
  return out;
}

/** The object types the agent still has to find (none known yet). */
export function missingTypes(s: AlfWorldState, known: ReadonlySet<number>): string[] {
  const g = s.game;
  const count = (type: string) => g.objects.filter((o, i) => o.type === type && known.has(i)).length;
  const missing: string[] = [];
  const need = g.taskType === 'pick_two_obj_and_place' ? 2 : 1;
  if (count(g.goal.obj) < need) missing.push(g.goal.obj);
  if (g.goal.toggle && count(g.goal.toggle) < 1) missing.push(g.goal.toggle);
  return missing;
}

function mayHold(game: Game, recepType: string, objType: string): boolean {
  // Lamps are in no canContain list: they stand on desks, side tables, dressers and tables.
  if (TOGGLEABLE.has(objType)) return LAMP_RECEPTACLES.includes(recepType);
  return (game.canContain[recepType] ?? CAN_CONTAIN[recepType] ?? []).includes(objType);
}

/**
 * Receptacles to search next for `types`: the unchecked ones that could hold them, those that need no
 * opening first, each group in the opening's order.
 */
export function searchOrder(s: AlfWorldState, k: Knowledge, types: readonly string[]): number[] {
  const g = s.game;
  const unchecked = g.receptacles.map((_, r) => r).filter((r) => !k.checked.has(g.receptacles[r]!.name));
  const fitting = unchecked.filter((r) => types.some((t) => mayHold(g, g.receptacles[r]!.type, t)));
  const order = fitting.length > 0 ? fitting : unchecked;
  // What one step reveals first (arriving at an open surface shows it), then what must be opened.
  return [
    ...order.filter((r) => !g.receptacles[r]!.openable),
    ...order.filter((r) => g.receptacles[r]!.openable),
  ];
}

/** The next search command: open a closed unchecked receptacle here, else go to the next one. */
export function searchCommand(s: AlfWorldState, k: Knowledge, types: readonly string[]): string | null {
  const order = searchOrder(s, k, types);
  if (order.length === 0) return null;
  const g = s.game;
  const here = receptaclesAt(g, s.loc).find((r) => order.includes(r));
  if (here !== undefined) {
    const rec = g.receptacles[here]!;
    return isReachable(s, here) ? `examine ${rec.name}` : `open ${rec.name}`;
  }
  return `go to ${g.receptacles[order[0]!]!.name}`;
}

/** The knowledge the play prompt of `ctx` gives: shown lessons, then this attempt's observations. */
export function promptKnowledge(ctx: PlayPromptContext<AlfWorldState>): Knowledge {
  const game = ctx.current.game;
  return historyKnowledge(ctx.history, lessonKnowledge(shownReflections(ctx), game));
}

/** The lesson expert's next command from what the prompt shows. */
export function lessonCommand(ctx: PlayPromptContext<AlfWorldState>): string | null {
  const s = ctx.current;
  const k = promptKnowledge(ctx);
  const known = knownObjects(s, k);
  const usable = (o: number) => known.has(o);
  const full = plan(s, { usable });
  if (full !== null) return full[0] ?? null;
  const progress = plan(s, { usable, partial: true });
  if (progress !== null && progress.length > 0) return progress[0]!;
  return searchCommand(s, k, missingTypes(s, known)) ?? expertCommand(s);
}
