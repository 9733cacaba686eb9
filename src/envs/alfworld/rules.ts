/**
 * The rules: the PDDL domain's actions (`alfred.pddl`: GotoLocation,
 * OpenObject, CloseObject, PickupObject, PutObject, CleanObject, HeatObject,
 * CoolObject, ToggleObject, SliceObject, examine, look, inventory, help) with
 * the sentences of the text grammar (`alfred.twl2`), as ALFWorld's TextWorld
 * engine runs them: the commands applicable in a state are every grounded
 * action whose precondition holds, a command is matched exactly (after
 * stripping) against them, anything else prints "Nothing happens.", and the
 * admissible list is their sorted set (`help` left out, as the reference
 * prompt does). The goal is checked after every command.
 */
import type { StepResult } from '../core/types.js';
import { KNIFE_TYPES, MAX_STEPS } from './constants.js';
import {
  type AlfWorldState,
  type Game,
  HELD,
  heldObject,
  isReachable,
  listText,
  objectsIn,
  receptaclesAt,
  withArticle,
  withIndex,
  withoutIndex,
} from './world.js';

/** Reward of a won game (reference: 10 × won). */
export const WIN_REWARD = 10;

export const NOTHING_HAPPENS = 'Nothing happens.';
export const WELCOME = '-= Welcome to TextWorld, ALFRED! =-';

/** The grammar's `help.feedback`. */
export const HELP_TEXT =
  '\nAvailable commands:\n  look:                             look around your current location\n  inventory:                        check your current inventory\n  go to (receptacle):               move to a receptacle\n  open (receptacle):                open a receptacle\n  close (receptacle):               close a receptacle\n  take (object) from (receptacle):  take an object from a receptacle\n  move (object) to (receptacle):  place an object in or on a receptacle\n  examine (something):              examine a receptacle or an object\n  use (object):                     use an object\n  heat (object) with (receptacle):  heat an object using a receptacle\n  clean (object) with (receptacle): clean an object using a receptacle\n  cool (object) with (receptacle):  cool an object using a receptacle\n  slice (object) with (object):     slice an object using a sharp object\n';

/** `examineReceptacle.feedback`. */
export function examineReceptacleText(s: AlfWorldState, r: number): string {
  const rec = s.game.receptacles[r]!;
  const contents = () => listText(objectsIn(s, r).map((o) => withArticle(s.game.objects[o]!.name)));
  if (rec.openable && s.open.includes(r)) return `The ${rec.name} is open. In it, you see ${contents()}.`;
  if (rec.openable) return `The ${rec.name} is closed.`;
  return `On the ${rec.name}, you see ${contents()}.`;
}

/** `examineObject.feedback`: the first condition that holds. */
export function examineObjectText(s: AlfWorldState, o: number): string {
  const obj = s.game.objects[o]!;
  const n = obj.name;
  if (obj.receptacleObject) return `This is a normal ${n}. In it, you see nothing.`;
  const clean = s.clean.includes(o);
  const hot = s.hot.includes(o);
  const cool = s.cool.includes(o);
  const sliced = s.sliced.includes(o);
  if (clean && hot && sliced) return `This is a hot and clean sliced ${n}.`;
  if (clean && cool && sliced) return `This is a cool and clean sliced ${n}.`;
  if (clean && sliced) return `This is a clean sliced ${n}.`;
  if (hot && sliced) return `This is a hot sliced ${n}.`;
  if (cool && sliced) return `This is a cool sliced ${n}.`;
  if (clean && hot) return `This is a hot and clean ${n}.`;
  if (clean && cool) return `This is a cool and clean ${n}.`;
  if (hot) return `This is a hot ${n}.`;
  if (clean) return `This is a clean ${n}.`;
  if (cool) return `This is a cold ${n}.`;
  if (obj.toggleable) return s.toggled.includes(o) ? `This ${n} is on.` : `This ${n} is off.`;
  if (obj.sliceable && sliced) return `This is a sliced ${n}.`;
  return `There's nothing special about ${n}.`;
}

/** `look.feedback`: facing the receptacles of the agent's location, or the middle of the room. */
export function lookText(s: AlfWorldState): string {
  const here = receptaclesAt(s.game, s.loc);
  if (here.length > 0) {
    const names = listText(here.map((r) => s.game.receptacles[r]!.name));
    return `You are facing the ${names}. Next to it, you see nothing.`;
  }
  const all = listText(s.game.receptacles.map((r) => withArticle(r.name)));
  return `You are in the middle of a room. Looking quickly around you, you see ${all}.`;
}

export function inventoryText(s: AlfWorldState): string {
  const h = heldObject(s);
  return h === -1
    ? 'You are not carrying anything.'
    : `You are carrying: ${withArticle(s.game.objects[h]!.name)}.`;
}

/** The game's opening text (TextWorld's intro: welcome banner, look, task). */
export function introText(s: AlfWorldState): string {
  return `${WELCOME}\n\n${lookText(s)}\n\nYour task is to: ${s.game.task}.`;
}

/** The state a game starts in. */
export function initialState(game: Game): AlfWorldState {
  const s: AlfWorldState = {
    game,
    loc: game.startLoc,
    in: [...game.startIn],
    open: [],
    clean: [],
    hot: [],
    cool: [],
    sliced: [],
    toggled: [],
    steps: 0,
    won: false,
    feedback: '',
  };
  s.feedback = introText(s);
  return s;
}

type Apply = () => AlfWorldState;

function put(map: Map<string, Apply>, command: string, apply: Apply): void {
  if (!map.has(command)) map.set(command, apply);
}

/** Every applicable command of a state and its effect (feedback included). `help` too. */
export function applicableCommands(s: AlfWorldState): Map<string, Apply> {
  const g = s.game;
  const map = new Map<string, Apply>();
  const set = (patch: Partial<AlfWorldState>, feedback: (n: AlfWorldState) => string): AlfWorldState => {
    const n = { ...s, ...patch };
    n.feedback = feedback(n);
    return n;
  };
  put(map, 'look', () => set({}, lookText));
  put(map, 'inventory', () => set({}, inventoryText));
  put(map, 'help', () => set({}, () => HELP_TEXT));
  for (let r = 0; r < g.receptacles.length; r++) {
    const rec = g.receptacles[r]!;
    put(map, `go to ${rec.name}`, () =>
      set({ loc: rec.loc }, (n) => `You arrive at ${rec.name}. ${examineReceptacleText(n, r)}`),
    );
  }
  const held = heldObject(s);
  const heldObj = held === -1 ? null : g.objects[held]!;
  if (heldObj) put(map, `examine ${heldObj.name}`, () => set({}, (n) => examineObjectText(n, held)));
  for (const r of receptaclesAt(g, s.loc)) {
    const rec = g.receptacles[r]!;
    put(map, `examine ${rec.name}`, () => set({}, (n) => examineReceptacleText(n, r)));
    if (rec.openable && !s.open.includes(r))
      put(map, `open ${rec.name}`, () =>
        set(
          { open: withIndex(s.open, r) },
          (n) => `You open the ${rec.name}. ${examineReceptacleText(n, r)}`,
        ),
      );
    if (rec.openable && s.open.includes(r))
      put(map, `close ${rec.name}`, () =>
        set({ open: withoutIndex(s.open, r) }, () => `You close the ${rec.name}.`),
      );
    const contents = objectsIn(s, r);
    const reachable = isReachable(s, r);
    for (const o of contents) {
      const obj = g.objects[o]!;
      if (obj.toggleable)
        put(map, `use ${obj.name}`, () =>
          set({ toggled: withIndex(s.toggled, o) }, () => `You turn on the ${obj.name}.`),
        );
      if (heldObj && KNIFE_TYPES.has(heldObj.type) && obj.sliceable)
        put(map, `slice ${obj.name} with ${heldObj.name}`, () =>
          set(
            { sliced: withIndex(s.sliced, o) },
            () => `You sliced the ${obj.name} with the ${heldObj.name}.`,
          ),
        );
      if (!reachable) continue;
      put(map, `examine ${obj.name}`, () => set({}, (n) => examineObjectText(n, o)));
      if (!heldObj && obj.pickupable)
        put(map, `take ${obj.name} from ${rec.name}`, () => {
          const inn = [...s.in];
          inn[o] = HELD;
          return set({ in: inn }, () => `You pick up the ${obj.name} from the ${rec.name}.`);
        });
    }
    if (!heldObj) continue;
    if (reachable && (g.canContain[rec.type] ?? []).includes(heldObj.type))
      put(map, `move ${heldObj.name} to ${rec.name}`, () => {
        const inn = [...s.in];
        inn[held] = r;
        return set({ in: inn }, () => `You move the ${heldObj.name} to the ${rec.name}.`);
      });
    if (rec.type === 'SinkBasin' && heldObj.cleanable)
      put(map, `clean ${heldObj.name} with ${rec.name}`, () =>
        set(
          { clean: withIndex(s.clean, held) },
          () => `You clean the ${heldObj.name} using the ${rec.name}.`,
        ),
      );
    if (rec.type === 'Microwave' && heldObj.heatable)
      put(map, `heat ${heldObj.name} with ${rec.name}`, () =>
        set(
          { hot: withIndex(s.hot, held), cool: withoutIndex(s.cool, held) },
          () => `You heat the ${heldObj.name} using the ${rec.name}.`,
        ),
      );
    if (rec.type === 'Fridge' && heldObj.coolable)
      put(map, `cool ${heldObj.name} with ${rec.name}`, () =>
        set(
          { cool: withIndex(s.cool, held), hot: withoutIndex(s.hot, held) },
          () => `You cool the ${heldObj.name} using the ${rec.name}.`,
        ),
      );
  }
  return map;
}

/** The admissible commands as TextWorld lists them: sorted, no duplicates, `help` removed (reference prompt). */
export function admissibleCommands(s: AlfWorldState): string[] {
  return [...applicableCommands(s).keys()].filter((c) => c !== 'help').sort();
}

/** The PDDL goal of the game's task type. */
export function goalMet(s: AlfWorldState): boolean {
  const g = s.game;
  const { obj, recep, toggle } = g.goal;
  const ofType = (o: number) => g.objects[o]!.type === obj;
  if (g.taskType === 'look_at_obj_in_light') {
    const held = heldObject(s);
    if (held === -1 || !ofType(held)) return false;
    return s.toggled.some((l) => {
      const r = s.in[l]!;
      return g.objects[l]!.type === toggle && r >= 0 && g.receptacles[r]!.loc === s.loc;
    });
  }
  const placed = (o: number) => {
    const r = s.in[o]!;
    return ofType(o) && r >= 0 && g.receptacles[r]!.type === recep;
  };
  if (g.taskType === 'pick_two_obj_and_place') {
    const count = new Map<number, number>();
    for (let o = 0; o < s.in.length; o++) if (placed(o)) count.set(s.in[o]!, (count.get(s.in[o]!) ?? 0) + 1);
    return [...count.values()].some((c) => c >= 2);
  }
  const treated =
    g.taskType === 'pick_clean_then_place_in_recep'
      ? s.clean
      : g.taskType === 'pick_heat_then_place_in_recep'
        ? s.hot
        : g.taskType === 'pick_cool_then_place_in_recep'
          ? s.cool
          : null;
  for (let o = 0; o < s.in.length; o++)
    if (placed(o) && (treated === null || treated.includes(o))) return true;
  return false;
}

/** The attempt is over: won, or out of the game's 50 commands. */
export function isOver(s: AlfWorldState): boolean {
  return s.won || s.steps >= MAX_STEPS;
}

function result(s: AlfWorldState, valid: boolean, reward: number): StepResult<AlfWorldState> {
  return {
    state: s,
    reward,
    done: isOver(s),
    won: s.won,
    info: { valid, steps: s.steps, taskType: s.game.taskType },
  };
}

/** Send one command to the game. */
export function stepState(s: AlfWorldState, command: string): StepResult<AlfWorldState> {
  if (isOver(s)) return result(s, false, 0);
  const apply = applicableCommands(s).get(command.trim());
  const next = apply ? apply() : { ...s, feedback: NOTHING_HAPPENS };
  next.steps = s.steps + 1;
  next.won = goalMet(next);
  return result(next, apply !== undefined, next.won ? WIN_REWARD : 0);
}

/**
 * The invalid reply's step. The reference sends the reply's last 30 characters to the game, which
 * prints "Nothing happens." unless they happen to be a command; we send nothing the game knows.
 */
export function stepInvalidState(s: AlfWorldState): StepResult<AlfWorldState> {
  return stepState(s, '');
}
