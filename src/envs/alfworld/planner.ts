/**
 * The expert planner: the shortest command sequence (among the ways it
 * tries) from a state to the goal, found by playing candidate plans through
 * the rules themselves, so every plan it returns is one the game accepts.
 * It tries every object of the task's type it may use and every receptacle of
 * the target type (and, for Pick Two, every ordered pair of objects), and for
 * each builds: put away what the agent holds (when it is not one of them) →
 * fetch (go, open if closed, take) → treat (go to a sink basin / microwave /
 * fridge, clean / heat / cool) → place (go, open if closed, move); look tasks
 * fetch the object and switch on a lamp of the asked type where it stands.
 *
 * `usable` restricts which objects it may plan with (the lesson expert passes
 * the objects whose place it has read about); by default every object (the
 * full-knowledge planner: `expertAction`, the generator's solvability check).
 * Hand-written: no JS PDDL planner exists, and a generic one (Fast Downward
 * is what TextWorld uses) would be far slower than these few candidates.
 */
import { TREATMENT_APPLIANCE } from './constants.js';
import { applicableCommands, goalMet } from './rules.js';
import { type AlfWorldState, HELD, heldObject, isReachable, receptaclesAt } from './world.js';

/** Plays commands from a state, keeping the command list; any command the game refuses fails the run. */
class Run {
  cmds: string[] = [];
  ok = true;
  constructor(public s: AlfWorldState) {}

  do(cmd: string): this {
    if (!this.ok || this.s.won) return this;
    const apply = applicableCommands(this.s).get(cmd);
    if (!apply) {
      this.ok = false;
      return this;
    }
    const next = apply();
    next.won = goalMet(next);
    this.s = next;
    this.cmds.push(cmd);
    return this;
  }

  goTo(r: number): this {
    const rec = this.s.game.receptacles[r]!;
    return rec.loc === this.s.loc ? this : this.do(`go to ${rec.name}`);
  }

  /** Go to a receptacle and open it when it is closed (so its contents are reachable). */
  reach(r: number): this {
    this.goTo(r);
    const rec = this.s.game.receptacles[r]!;
    return isReachable(this.s, r) ? this : this.do(`open ${rec.name}`);
  }

  fetch(o: number): this {
    if (this.s.in[o] === HELD) return this;
    const r = this.s.in[o]!;
    this.reach(r);
    return this.do(`take ${this.s.game.objects[o]!.name} from ${this.s.game.receptacles[r]!.name}`);
  }

  place(r: number): this {
    const h = heldObject(this.s);
    if (h === -1) return this.fail();
    this.reach(r);
    return this.do(`move ${this.s.game.objects[h]!.name} to ${this.s.game.receptacles[r]!.name}`);
  }

  /** Clean / heat / cool the held object with the nearest appliance of `type`. */
  treat(verb: string, type: string): this {
    const h = heldObject(this.s);
    const g = this.s.game;
    const options = g.receptacles.map((_, r) => r).filter((r) => g.receptacles[r]!.type === type);
    if (h === -1 || options.length === 0) return this.fail();
    const here = options.find((r) => g.receptacles[r]!.loc === this.s.loc);
    const r = here ?? options[0]!;
    this.goTo(r);
    return this.do(`${verb} ${g.objects[h]!.name} with ${g.receptacles[r]!.name}`);
  }

  /** Put the held object (if any and not `keep`) into the nearest receptacle that accepts it. */
  putAway(keep: ReadonlySet<number>): this {
    const h = heldObject(this.s);
    if (h === -1 || keep.has(h)) return this;
    const g = this.s.game;
    const type = g.objects[h]!.type;
    const accepts = g.receptacles
      .map((_, r) => r)
      .filter((r) => (g.canContain[g.receptacles[r]!.type] ?? []).includes(type));
    const here = receptaclesAt(g, this.s.loc).filter((r) => accepts.includes(r));
    const cost = (r: number) =>
      (g.receptacles[r]!.loc === this.s.loc ? 0 : 1) + (isReachable(this.s, r) ? 0 : 1);
    const best = [...here, ...accepts].sort((a, b) => cost(a) - cost(b))[0];
    return best === undefined ? this.fail() : this.place(best);
  }

  fail(): this {
    this.ok = false;
    return this;
  }
}

export interface PlanOptions {
  /** Objects the planner may use (default: all). */
  usable?: (o: number) => boolean;
  /**
   * Accept a plan that only makes progress: Pick Two puts one usable object into a target
   * receptacle, Look fetches the object (the lesson expert then searches for the rest).
   */
  partial?: boolean;
}

const TREATMENT_VERB: Record<string, string> = {
  pick_clean_then_place_in_recep: 'clean',
  pick_heat_then_place_in_recep: 'heat',
  pick_cool_then_place_in_recep: 'cool',
};

function treatedList(s: AlfWorldState): number[] | null {
  const t = s.game.taskType;
  if (t === 'pick_clean_then_place_in_recep') return s.clean;
  if (t === 'pick_heat_then_place_in_recep') return s.hot;
  if (t === 'pick_cool_then_place_in_recep') return s.cool;
  return null;
}

function best(runs: Run[], partial: boolean): Run | null {
  let out: Run | null = null;
  for (const r of runs)
    if (
      r.ok &&
      (r.s.won || (partial && r.cmds.length > 0)) &&
      (out === null || r.cmds.length < out.cmds.length)
    )
      out = r;
  return out;
}

function indices(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * The shortest plan found from `s` to the goal (empty when already won), or null when none of the
 * tried ways reaches it with the usable objects. The step limit is not applied (see `planLength`).
 */
export function plan(s0: AlfWorldState, options: PlanOptions = {}): string[] | null {
  if (goalMet(s0)) return [];
  // Plan as if the game had just started: the step limit is the caller's business.
  const s: AlfWorldState = { ...s0, steps: 0 };
  const g = s.game;
  const usable = options.usable ?? (() => true);
  const candidates = indices(g.objects.length).filter(
    (o) => g.objects[o]!.type === g.goal.obj && g.objects[o]!.pickupable && (s.in[o] === HELD || usable(o)),
  );
  const targets = indices(g.receptacles.length).filter((r) => g.receptacles[r]!.type === g.goal.recep);
  const partial = options.partial === true;
  const runs: Run[] = [];
  if (g.taskType === 'look_at_obj_in_light') {
    const lamps = indices(g.objects.length).filter(
      (l) => g.objects[l]!.type === g.goal.toggle && s.in[l]! >= 0 && usable(l),
    );
    for (const o of candidates) {
      for (const l of lamps) {
        const run = new Run(s)
          .putAway(new Set([o]))
          .fetch(o)
          .goTo(s.in[l]!);
        if (!s.toggled.includes(l)) run.do(`use ${g.objects[l]!.name}`);
        runs.push(run);
      }
      // Progress towards a look task: hold the object (unless one is held already), then find a lamp.
      const holdsOne = candidates.includes(heldObject(s));
      if (partial && lamps.length === 0 && !holdsOne) runs.push(new Run(s).putAway(new Set([o])).fetch(o));
    }
  } else if (g.taskType === 'pick_two_obj_and_place') {
    for (const r of targets) {
      const inside = candidates.filter((o) => s.in[o] === r).length;
      const inTarget = (o: number) => targets.includes(s.in[o]!);
      // Progress only: never take an object out of a target receptacle for a partial plan.
      const rest = candidates.filter((o) => s.in[o] !== r && !(partial && inTarget(o)));
      const pairs =
        inside >= 1 || (partial && rest.length === 1)
          ? rest.map((o) => [o])
          : rest.flatMap((a) => rest.filter((b) => b !== a).map((b) => [a, b]));
      for (const pair of pairs) {
        const run = new Run(s).putAway(new Set(pair.slice(0, 1)));
        for (const o of pair) run.fetch(o).place(r);
        runs.push(run);
      }
    }
  } else {
    const verb = TREATMENT_VERB[g.taskType];
    const appliance = TREATMENT_APPLIANCE[g.taskType];
    const treated = treatedList(s);
    for (const o of candidates)
      for (const r of targets) {
        const run = new Run(s).putAway(new Set([o])).fetch(o);
        if (verb && appliance && !treated!.includes(o)) run.treat(verb, appliance);
        runs.push(run.place(r));
      }
  }
  return best(runs, partial)?.cmds ?? null;
}

/** The full-knowledge expert's next command, or null when it has no plan. */
export function expertCommand(s: AlfWorldState): string | null {
  return plan(s)?.[0] ?? null;
}
