import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_STEPS } from '../../../src/envs/alfworld/constants.js';
import {
  admissibleCommands,
  HELP_TEXT,
  NOTHING_HAPPENS,
  stepInvalidState,
  stepState,
  WIN_REWARD,
} from '../../../src/envs/alfworld/rules.js';
import { listText } from '../../../src/envs/alfworld/world.js';
import { play, tinyGame, tinyState } from './helpers.js';

const grammar = readFileSync(new URL('./fixtures/alfred.twl2', import.meta.url), 'utf8');

describe('ALFWorld rules: what the player reads', () => {
  it('opens with the welcome banner, the room and the task', () => {
    expect(tinyState().feedback).toBe(
      '-= Welcome to TextWorld, ALFRED! =-\n\n' +
        'You are in the middle of a room. Looking quickly around you, you see a cabinet 2, a cabinet 1, ' +
        'a coffeemachine 1, a countertop 1, a desk 1, a fridge 1, a microwave 1, and a sinkbasin 1.\n\n' +
        'Your task is to: put a clean mug in coffeemachine.',
    );
  });

  it('plays "put a clean mug in coffeemachine" with the grammar sentences, and wins 10', () => {
    const { feedback, results } = play(tinyState(), [
      'go to cabinet 1',
      'open cabinet 1',
      'take mug 1 from cabinet 1',
      'go to sinkbasin 1',
      'clean mug 1 with sinkbasin 1',
      'inventory',
      'examine mug 1',
      'go to coffeemachine 1',
      'move mug 1 to coffeemachine 1',
    ]);
    expect(feedback).toEqual([
      'You arrive at cabinet 1. The cabinet 1 is closed.',
      'You open the cabinet 1. The cabinet 1 is open. In it, you see a mug 1.',
      'You pick up the mug 1 from the cabinet 1.',
      'You arrive at sinkbasin 1. On the sinkbasin 1, you see nothing.',
      'You clean the mug 1 using the sinkbasin 1.',
      'You are carrying: a mug 1.',
      'This is a normal mug 1. In it, you see nothing.',
      'You arrive at coffeemachine 1. On the coffeemachine 1, you see nothing.',
      'You move the mug 1 to the coffeemachine 1.',
    ]);
    expect(results.map((r) => r.reward)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, WIN_REWARD]);
    expect(results.map((r) => r.done)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      true,
    ]);
    expect(results.at(-1)!.won).toBe(true);
  });

  it('an unclean mug in the coffee machine does not win', () => {
    const { results } = play(tinyState(), ['go to countertop 1', 'take mug 2 from countertop 1']);
    const r = play(results.at(-1)!.state, ['go to coffeemachine 1', 'move mug 2 to coffeemachine 1']);
    expect(r.results.at(-1)!.won).toBe(false);
    expect(r.state.in[3]).toBe(2);
  });

  it('lists contents with ", and" before the last item, "nothing" when empty', () => {
    expect(listText([])).toBe('nothing');
    expect(listText(['a x 1'])).toBe('a x 1');
    expect(listText(['a x 1', 'a y 1'])).toBe('a x 1, and a y 1');
    expect(listText(['a x 1', 'a y 1', 'a z 2'])).toBe('a x 1, a y 1, and a z 2');
    const { feedback } = play(tinyState(), ['go to countertop 1']);
    expect(feedback[0]).toBe(
      'You arrive at countertop 1. On the countertop 1, you see a apple 1, a knife 1, and a mug 2.',
    );
  });

  it('answers "Nothing happens." to anything else, and counts it as a step', () => {
    const s = tinyState();
    for (const cmd of [
      'take mug 1 from cabinet 1',
      'open cabinet 1',
      'go to the moon',
      '',
      'Go to cabinet 1',
    ]) {
      const r = stepState(s, cmd);
      expect(r.state.feedback).toBe(NOTHING_HAPPENS);
      expect(r.state.steps).toBe(1);
      expect(r.info.valid).toBe(false);
    }
    expect(stepInvalidState(s).state.feedback).toBe(NOTHING_HAPPENS);
    // A command the receptacle type does not accept (canContain): a mug never goes in a drawer, an apple
    // never in the coffee machine.
    const holding = play(s, [
      'go to countertop 1',
      'take apple 1 from countertop 1',
      'go to coffeemachine 1',
    ]).state;
    expect(admissibleCommands(holding)).not.toContain('move apple 1 to coffeemachine 1');
    expect(stepState(holding, 'move apple 1 to coffeemachine 1').state.feedback).toBe(NOTHING_HAPPENS);
  });

  it('help prints the grammar help text but is not listed as admissible', () => {
    expect(stepState(tinyState(), 'help').state.feedback).toBe(HELP_TEXT);
    expect(admissibleCommands(tinyState())).not.toContain('help');
    expect(grammar).toContain(JSON.stringify(HELP_TEXT).slice(1, -1));
  });

  it('ends the game after 50 commands, whatever they were', () => {
    let s = tinyState();
    for (let i = 0; i < MAX_STEPS - 1; i++) {
      const r = stepState(s, 'look');
      expect(r.done).toBe(false);
      s = r.state;
    }
    const last = stepState(s, 'jump');
    expect(last.done).toBe(true);
    expect(last.won).toBe(false);
    // A finished game changes nothing.
    expect(stepState(last.state, 'look')).toMatchObject({ state: last.state, reward: 0, done: true });
  });

  it('lists admissible commands sorted, as TextWorld does', () => {
    const s = play(tinyState(), ['go to countertop 1']).state;
    const cmds = admissibleCommands(s);
    expect(cmds).toEqual([...cmds].sort());
    expect(cmds).toEqual(
      expect.arrayContaining([
        'examine countertop 1',
        'examine mug 2',
        'go to cabinet 1',
        'go to countertop 1',
        'inventory',
        'look',
        'take apple 1 from countertop 1',
        'take knife 1 from countertop 1',
        'take mug 2 from countertop 1',
      ]),
    );
    expect(cmds.some((c) => c.startsWith('open ') || c.startsWith('move '))).toBe(false);
  });

  it('heat, cool, slice, use and look print the grammar sentences', () => {
    const s0 = tinyState();
    const { feedback } = play(s0, [
      'go to countertop 1',
      'take apple 1 from countertop 1',
      'go to microwave 1',
      'heat apple 1 with microwave 1',
      'examine apple 1',
      'go to fridge 1',
      'cool apple 1 with fridge 1',
      'examine apple 1',
      'look',
      'go to desk 1',
      'use desklamp 1',
      'examine desklamp 1',
    ]);
    expect(feedback).toEqual([
      'You arrive at countertop 1. On the countertop 1, you see a apple 1, a knife 1, and a mug 2.',
      'You pick up the apple 1 from the countertop 1.',
      'You arrive at microwave 1. The microwave 1 is closed.',
      'You heat the apple 1 using the microwave 1.',
      'This is a hot apple 1.',
      'You arrive at fridge 1. The fridge 1 is closed.',
      'You cool the apple 1 using the fridge 1.',
      'This is a cold apple 1.',
      'You are facing the fridge 1. Next to it, you see nothing.',
      'You arrive at desk 1. On the desk 1, you see a desklamp 1.',
      'You turn on the desklamp 1.',
      'This desklamp 1 is on.',
    ]);
    const knife = play(s0, [
      'go to countertop 1',
      'take knife 1 from countertop 1',
      'slice apple 1 with knife 1',
      'examine apple 1',
    ]);
    expect(knife.feedback.slice(2)).toEqual([
      'You sliced the apple 1 with the knife 1.',
      'This is a sliced apple 1.',
    ]);
    const closed = play(s0, ['go to cabinet 1', 'open cabinet 1', 'close cabinet 1']);
    expect(closed.feedback[2]).toBe('You close the cabinet 1.');
    expect(admissibleCommands(closed.state)).not.toContain('take mug 1 from cabinet 1');
  });

  it('wins a look task holding the object where a switched-on lamp of the asked type stands', () => {
    const s = tinyState('look_at_obj_in_light', 'look at mug under the desklamp', {
      obj: 'Mug',
      recep: null,
      toggle: 'DeskLamp',
    });
    const { results } = play(s, [
      'go to countertop 1',
      'take mug 2 from countertop 1',
      'go to desk 1',
      'use desklamp 1',
    ]);
    expect(results.map((r) => r.won)).toEqual([false, false, false, true]);
    // Switched on first, then arriving with the mug wins too.
    const other = play(s, [
      'go to desk 1',
      'use desklamp 1',
      'go to countertop 1',
      'take mug 2 from countertop 1',
      'go to desk 1',
    ]);
    expect(other.results.map((r) => r.won)).toEqual([false, false, false, false, true]);
  });

  it('wins Pick Two only with two objects in the same receptacle', () => {
    const s = tinyState('pick_two_obj_and_place', 'put two mug in countertop', {
      obj: 'Mug',
      recep: 'CounterTop',
      toggle: null,
    });
    const g = tinyGame();
    expect(g.objects.map((o) => o.name)).toContain('mug 1');
    const { results } = play(s, [
      'go to cabinet 1',
      'open cabinet 1',
      'take mug 1 from cabinet 1',
      'go to countertop 1',
      'move mug 1 to countertop 1',
    ]);
    expect(results.at(-1)!.won).toBe(true);
  });

  it('uses the sentences of the text grammar', () => {
    for (const rhs of [
      'You arrive at {r.name}. #examineReceptacle.feedback#',
      'You open the {r.name}. #examineReceptacle.feedback#',
      'You close the {r.name}.',
      'You pick up the {o.name} from the {r.name}.',
      'You move the {o.name} to the {r.name}.',
      'The {r.name} is open. In it, you see [',
      'The {r.name} is closed.',
      'On the {r.name}, you see [',
      'You are carrying: [',
      'You are not carrying anything.',
      'This is a normal {o.name}. In it, you see [',
      'This is a hot {o.name}.',
      'This is a cold {o.name}.',
      'This is a clean {o.name}.',
      'This {o.name} is on.',
      'This {o.name} is off.',
      "There's nothing special about {o.name}.",
      'You turn on the {o.name}.',
      'You heat the {o.name} using the {r.name}.',
      'You clean the {o.name} using the {r.name}.',
      'You cool the {o.name} using the {r.name}.',
      'You sliced the {co.name} with the {ko.name}.',
      'You are in the middle of a room. Looking quickly around you, you see #list_appliances#.',
      'Next to it, you see #list_objects_on_the_floor#.',
      '-= Welcome to TextWorld, ALFRED! =-\\n\\n#look.feedback#\\n\\n#task#',
      'Your task is to: UNKNOWN GOAL.',
      '"rhs": "nothing"',
      '"rhs": ", and "',
    ])
      expect(grammar).toContain(rhs);
  });
});
