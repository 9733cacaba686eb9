import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { alfworld } from '../../../src/envs/alfworld/index.js';
import { demangle, loadGameDir, loadGames } from '../../../src/envs/alfworld/loader.js';
import { parseProblem } from '../../../src/envs/alfworld/pddl.js';
import { plan } from '../../../src/envs/alfworld/planner.js';
import { initialState, stepState } from '../../../src/envs/alfworld/rules.js';
import { registerBuiltinEnvs } from '../../../src/envs/builtin.js';
import { getEnv, resolveParams } from '../../../src/envs/core/registry.js';
import { ConfigError, ParseError } from '../../../src/util/errors.js';

registerBuiltinEnvs();

// A small problem in the layout of ALFWorld's initial_state.pddl (json_2.1.1): mangled AI2-THOR ids,
// class names declared as objects, types, then the :init facts.
const CAB_A = 'Cabinet_bar__plus_00_dot_68_bar__plus_00_dot_50_bar__minus_02_dot_20';
const CAB_B = 'Cabinet_bar__minus_01_dot_18_bar__plus_00_dot_50_bar__minus_02_dot_20';
const COFFEE = 'CoffeeMachine_bar__minus_01_dot_98_bar__plus_00_dot_90_bar__minus_00_dot_19';
const COUNTER = 'CounterTop_bar__minus_01_dot_87_bar__plus_00_dot_95_bar__minus_01_dot_21';
const SINK = 'Sink_bar__minus_01_dot_99_bar__plus_01_dot_14_bar__minus_00_dot_98_bar_SinkBasin';
const MUG = 'Mug_bar__plus_00_dot_32_bar__plus_00_dot_91_bar__minus_02_dot_71';
const APPLE = 'Apple_bar__minus_01_dot_44_bar__plus_00_dot_94_bar__minus_02_dot_41';
const LOC = {
  a: 'loc_bar_0_bar__minus_5_bar_2_bar_45',
  b: 'loc_bar__minus_5_bar__minus_5_bar_2_bar_45',
  coffee: 'loc_bar__minus_5_bar__minus_1_bar_3_bar_45',
  counter: 'loc_bar__minus_5_bar__minus_7_bar_3_bar_45',
  sink: 'loc_bar__minus_5_bar__minus_3_bar_3_bar_60',
  start: 'loc_bar_4_bar_5_bar_3_bar_30',
};

const PROBLEM = `
(define (problem plan_trial_T20190909_012345_678901)
(:domain alfred)
(:objects
agent1 - agent
        Mug
        Apple
        Cabinet - object
        MugType
        AppleType - otype
        CabinetType
        CoffeeMachineType
        CounterTopType
        SinkBasinType - rtype
        ${MUG} - object
        ${APPLE} - object
        ${CAB_A} - receptacle
        ${CAB_B} - receptacle
        ${COFFEE} - receptacle
        ${COUNTER} - receptacle
        ${SINK} - receptacle
        ${Object.values(LOC).join(' - location\n        ')} - location
        )
    (:init
        (= (total-cost) 0)
        (receptacleType ${CAB_A} CabinetType)
        (receptacleType ${CAB_B} CabinetType)
        (receptacleType ${COFFEE} CoffeeMachineType)
        (receptacleType ${COUNTER} CounterTopType)
        (receptacleType ${SINK} SinkBasinType)
        (objectType ${MUG} MugType)
        (objectType ${APPLE} AppleType)
        (canContain CabinetType MugType)
        (canContain CoffeeMachineType MugType)
        (canContain CounterTopType MugType)
        (canContain CounterTopType AppleType)
        (canContain SinkBasinType MugType)
        (canContain SinkBasinType AppleType)
        (pickupable ${MUG})
        (pickupable ${APPLE})
        (isReceptacleObject ${MUG})
        (openable ${CAB_A})
        (openable ${CAB_B})
        (cleanable ${MUG})
        (cleanable ${APPLE})
        (heatable ${MUG})
        (atLocation agent1 ${LOC.start})
        (receptacleAtLocation ${CAB_A} ${LOC.a})
        (receptacleAtLocation ${CAB_B} ${LOC.b})
        (receptacleAtLocation ${COFFEE} ${LOC.coffee})
        (receptacleAtLocation ${COUNTER} ${LOC.counter})
        (receptacleAtLocation ${SINK} ${LOC.sink})
        (inReceptacle ${MUG} ${CAB_B}) ; the mug is in the second cabinet
        (inReceptacle ${APPLE} ${COUNTER})
        (objectAtLocation ${MUG} ${LOC.b})
        (objectAtLocation ${APPLE} ${LOC.counter})
        )
    (:goal
        (and
            (exists (?o - object ?r - receptacle)
                (and (cleanable ?o) (objectType ?o MugType) (receptacleType ?r CoffeeMachineType)
                     (isClean ?o) (inReceptacle ?o ?r)))))
)
`;

const TRAJ = {
  task_id: 'trial_T20190909_012345_678901',
  task_type: 'pick_clean_then_place_in_recep',
  pddl_params: {
    mrecep_target: '',
    object_sliced: false,
    object_target: 'Mug',
    parent_target: 'CoffeeMachine',
    toggle_target: '',
  },
  scene: { floor_plan: 'FloorPlan12', scene_num: 12 },
  turk_annotations: { anns: [{ task_desc: 'Put a clean mug in the coffee maker.' }] },
};

function writeGames(): string {
  const root = mkdtempSync(join(tmpdir(), 'alfworld-games-'));
  const a = join(
    root,
    'pick_clean_then_place_in_recep-Mug-None-CoffeeMachine-12',
    'trial_T20190909_012345_678901',
  );
  mkdirSync(a, { recursive: true });
  writeFileSync(join(a, 'traj_data.json'), JSON.stringify(TRAJ));
  writeFileSync(join(a, 'initial_state.pddl'), PROBLEM);
  // The same game as TextWorld's game.tw-pddl, with the goal sentence in its grammar.
  const b = join(root, 'pick_clean_then_place_in_recep-Mug-None-CoffeeMachine-12', 'trial_T20190909_999');
  mkdirSync(b, { recursive: true });
  writeFileSync(join(b, 'traj_data.json'), JSON.stringify(TRAJ));
  const grammar = '{"task": [{"rhs": "Your task is to: clean some mug and put it in coffeemachine."}]}';
  writeFileSync(
    join(b, 'game.tw-pddl'),
    JSON.stringify({
      pddl_domain: '(define (domain alfred))',
      grammar,
      pddl_problem: PROBLEM,
      solvable: true,
    }),
  );
  // Skipped as ALFWorld skips them: a sliced task, an unsolvable game, `movable` and `Sliced` folders.
  const c = join(root, 'pick_heat_then_place_in_recep-Apple-None-Fridge-12', 'trial_T1');
  mkdirSync(c, { recursive: true });
  writeFileSync(
    join(c, 'traj_data.json'),
    JSON.stringify({ ...TRAJ, pddl_params: { ...TRAJ.pddl_params, object_sliced: true } }),
  );
  writeFileSync(join(c, 'initial_state.pddl'), PROBLEM);
  const d = join(root, 'pick_clean_then_place_in_recep-Mug-None-CoffeeMachine-12', 'trial_T2');
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'traj_data.json'), JSON.stringify(TRAJ));
  writeFileSync(join(d, 'game.tw-pddl'), JSON.stringify({ pddl_problem: PROBLEM, solvable: false }));
  mkdirSync(join(root, 'pick_and_place_with_movable_recep-Mug-Bowl-Shelf-1', 'trial_T3'), {
    recursive: true,
  });
  return root;
}

describe('ALFWorld game files', () => {
  it('reads PDDL problems lower-cased, skipping comments and numeric facts', () => {
    const p = parseProblem(PROBLEM);
    expect(p.objects.get(MUG.toLowerCase())).toBe('object');
    expect(p.objects.get('mugtype')).toBe('otype');
    expect(p.objects.get(LOC.start.toLowerCase())).toBe('location');
    expect(p.facts.some((f) => f[0] === '=')).toBe(false);
    expect(p.facts).toContainEqual(['inreceptacle', MUG.toLowerCase(), CAB_B.toLowerCase()]);
    expect(() => parseProblem('(define (problem x)')).toThrow(ParseError);
    expect(() => parseProblem('(foo)')).toThrow(/expected "\(define/);
  });

  it('names entities as ALFWorld does: sorted ids, numbered from the highest down, sink basins', () => {
    const names = demangle([CAB_A, CAB_B, SINK, MUG].map((x) => x.toLowerCase()));
    // "cabinet_bar__minus…" sorts before "cabinet_bar__plus…" ('m' < 'p'), so it is cabinet 2.
    expect(names.get(CAB_B.toLowerCase())).toBe('cabinet 2');
    expect(names.get(CAB_A.toLowerCase())).toBe('cabinet 1');
    expect(names.get(SINK.toLowerCase())).toBe('sinkbasin 1');
    expect(names.get(MUG.toLowerCase())).toBe('mug 1');
  });

  it('turns initial_state.pddl + traj_data.json into a game that plays and is won', () => {
    const root = writeGames();
    const game = loadGameDir(
      join(root, 'pick_clean_then_place_in_recep-Mug-None-CoffeeMachine-12', 'trial_T20190909_012345_678901'),
    );
    expect(game.taskType).toBe('pick_clean_then_place_in_recep');
    expect(game.task).toBe('put a clean mug in coffeemachine');
    expect(game.goal).toEqual({ obj: 'Mug', recep: 'CoffeeMachine', toggle: null });
    expect(game.receptacles.map((r) => r.name)).toEqual([
      'cabinet 2',
      'cabinet 1',
      'coffeemachine 1',
      'countertop 1',
      'sinkbasin 1',
    ]);
    expect(game.receptacles.map((r) => r.openable)).toEqual([true, true, false, false, false]);
    const s0 = initialState(game);
    expect(s0.feedback).toBe(
      '-= Welcome to TextWorld, ALFRED! =-\n\nYou are in the middle of a room. Looking quickly around you, you see ' +
        'a cabinet 2, a cabinet 1, a coffeemachine 1, a countertop 1, and a sinkbasin 1.\n\n' +
        'Your task is to: put a clean mug in coffeemachine.',
    );
    const steps = plan(s0)!;
    expect(steps).toEqual([
      'go to cabinet 2',
      'open cabinet 2',
      'take mug 1 from cabinet 2',
      'go to sinkbasin 1',
      'clean mug 1 with sinkbasin 1',
      'go to coffeemachine 1',
      'move mug 1 to coffeemachine 1',
    ]);
    let s = s0;
    for (const c of steps) s = stepState(s, c).state;
    expect(s.won).toBe(true);
  });

  it('loads a folder of games: game.tw-pddl sentences, skips what ALFWorld skips, plays through --games', () => {
    const root = writeGames();
    const { games, skipped } = loadGames(root);
    expect(games.map((g) => g.task)).toEqual([
      'put a clean mug in coffeemachine',
      'clean some mug and put it in coffeemachine',
    ]);
    expect(skipped.map((s) => s.reason)).toEqual([
      expect.stringMatching(/marked unsolvable/),
      expect.stringMatching(/sliced tasks are skipped/),
    ]);
    const env = getEnv('alfworld');
    const params = resolveParams(env, 'train', { games: root });
    const tasks = new Set([0, 1, 2, 3, 4, 5, 6, 7].map((seed) => env.initial(seed, params).game.task));
    expect(tasks.size).toBe(2);
    expect(alfworld.initial(3, params as never)).toEqual(alfworld.initial(3, params as never));
    expect(() => resolveParams(env, 'ood', { games: root })).toThrow(ConfigError);
    expect(() => resolveParams(env, 'train', { games: join(root, 'nowhere') })).toThrow(
      /games: games folder/,
    );
  });

  it('lamer eval --games DIR plays the real games with the expert', () => {
    const root = writeGames();
    const bin = fileURLToPath(new URL('../../../bin/lamer.js', import.meta.url));
    const args = [
      'eval',
      '--env',
      'alfworld',
      '--games',
      root,
      '--policy',
      'expert',
      '--tasks',
      '4',
      '--attempts',
      '1',
    ];
    const run = spawnSync(process.execPath, [bin, ...args, '--out', join(root, 'eval.jsonl')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^pass@1\s+1\s+4$/m);
    expect(run.stdout).toMatch(/^pass@1\s+taskType=clean\s+1\s/m);
    const missing = spawnSync(
      process.execPath,
      [bin, 'eval', '--env', 'alfworld', '--games', join(root, 'x'), '--policy', 'random'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/games: games folder .* does not exist/);
  });
});
