import { describe, expect, it } from 'vitest';
import {
  CAN_CONTAIN,
  GOAL_TEMPLATES,
  GOALS_VALID,
  LAMP_RECEPTACLES,
  TASK_TYPES,
  type TaskTypeId,
} from '../../../src/envs/alfworld/constants.js';
import { FLOOR_PLANS, floorPlan } from '../../../src/envs/alfworld/floorplans.js';
import {
  type GeneratorParams,
  generateGame,
  generatorProblems,
} from '../../../src/envs/alfworld/generator.js';
import { plan } from '../../../src/envs/alfworld/planner.js';
import { initialState, stepState } from '../../../src/envs/alfworld/rules.js';
import { typeName } from '../../../src/envs/alfworld/world.js';

const ALL: GeneratorParams = {
  taskTypes: [1, 2, 3, 4, 5, 6],
  rooms: ['kitchen', 'livingroom', 'bedroom', 'bathroom'],
  floorPlans: 'all',
};

describe('ALFWorld floor plans', () => {
  it('has the 120 plans of ALFWorld, 30 of each kind, 24 seen and 6 unseen each', () => {
    expect(FLOOR_PLANS).toHaveLength(120);
    for (const kind of ['kitchen', 'livingroom', 'bedroom', 'bathroom'])
      expect(FLOOR_PLANS.filter((p) => p.kind === kind)).toHaveLength(30);
    expect(FLOOR_PLANS.filter((p) => !p.seen).map((p) => p.number % 100)).toEqual(
      expect.arrayContaining([1, 2, 3, 4, 5, 6]),
    );
    expect(FLOOR_PLANS.filter((p) => !p.seen)).toHaveLength(24);
  });

  it('counts receptacle instances from the openable lists (sink basins under Sink)', () => {
    const p = floorPlan('FloorPlan1');
    expect(p.receptacles.get('Cabinet')).toBe(8);
    expect(p.receptacles.get('Drawer')).toBe(8);
    expect(p.receptacles.get('SinkBasin')).toBe(1);
    expect(p.receptacles.get('StoveBurner')).toBe(4);
    expect(p.receptacles.has('Mug')).toBe(false);
  });
});

describe('ALFWorld generator', () => {
  it('is deterministic per seed and params', () => {
    expect(generateGame(5, ALL)).toEqual(generateGame(5, ALL));
    expect(generateGame(5, ALL)).not.toEqual(generateGame(6, ALL));
  });

  for (const id of [1, 2, 3, 4, 5, 6] as TaskTypeId[]) {
    const type = TASK_TYPES[id];
    it(`type ${id} (${type}): goal sentence, rooms, placements, solvable`, () => {
      for (let seed = 0; seed < 25; seed++) {
        const g = generateGame(seed, { ...ALL, taskTypes: [id] });
        expect(g.taskType).toBe(type);
        const plan0 = floorPlan(g.source);
        expect(GOALS_VALID[type]).toContain(plan0.kind);
        const filled = GOAL_TEMPLATES[type].map((t) =>
          t
            .replace('{obj}', typeName(g.goal.obj))
            .replace('{recep}', typeName(g.goal.recep ?? ''))
            .replace('{toggle}', typeName(g.goal.toggle ?? '')),
        );
        expect(filled).toContain(g.task);
        expect(initialState(g).feedback.endsWith(`Your task is to: ${g.task}.`)).toBe(true);
        // Every receptacle of the plan, numbered from 1; every object in a receptacle that accepts it.
        for (const [t, n] of plan0.receptacles)
          expect(g.receptacles.filter((r) => r.type === t).map((r) => r.name)).toEqual(
            Array.from({ length: n }, (_, i) => `${typeName(t)} ${n - i}`),
          );
        g.objects.forEach((o, i) => {
          const r = g.receptacles[g.startIn[i]!]!;
          if (o.toggleable) expect(LAMP_RECEPTACLES).toContain(r.type);
          else expect(CAN_CONTAIN[r.type]).toContain(o.type);
          // The task's objects never start where the task wants them.
          if (o.type === g.goal.obj) expect(r.type).not.toBe(g.goal.recep);
        });
        const need = id === 6 ? 2 : 1;
        expect(g.objects.filter((o) => o.type === g.goal.obj).length).toBeGreaterThanOrEqual(need);
        // Solvable: the planner's commands win, within the 50-command limit.
        let s = initialState(g);
        const steps = plan(s)!;
        expect(steps.length).toBeGreaterThan(0);
        expect(steps.length).toBeLessThanOrEqual(50);
        for (const c of steps) s = stepState(s, c).state;
        expect(s.won).toBe(true);
      }
    });
  }

  it('respects rooms and floor-plan splits, and names a task type no room allows', () => {
    for (let seed = 0; seed < 20; seed++) {
      const g = generateGame(seed, { taskTypes: [1], rooms: ['bathroom'], floorPlans: 'unseen' });
      const p = floorPlan(g.source);
      expect(p.kind).toBe('bathroom');
      expect(p.seen).toBe(false);
    }
    expect(generatorProblems({ taskTypes: [4], rooms: ['bedroom'], floorPlans: 'all' })[0]).toContain(
      'task type 4 (pick_heat_then_place_in_recep) needs a room of kind kitchen',
    );
    expect(generatorProblems(ALL)).toEqual([]);
  });
});
