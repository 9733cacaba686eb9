/**
 * `npm run bench:alfworld`: the ALFWorld experts over many generated games, per task type.
 *
 * - planner: the full-knowledge planner (`expertAction`, the generator's solvability check) from the
 *   start of each game: share solved within the game's 50 commands (the bar: 100%), mean and
 *   longest plan;
 * - lesson expert: the expert that sees only the text (`lessonAction`: what it observed, what its
 *   reflections say), LaMer protocol with rule reflections, 3 attempts, at the training (10) and the
 *   evaluation (30) turn budget: pass@1..3. Its pass@3 − pass@1 is what reflections that name where
 *   things are buy, with a perfect reader.
 *
 *   npm run bench:alfworld -- [--seeds 1000] [--lesson-seeds 200] [--floor-plans seen|unseen|all]
 *
 * Seeds 0..N-1 of each type (rooms of every kind the type allows, the preset's seen floor plans).
 */
import { parseArgs } from 'node:util';
import { TASK_TYPE_IDS, TASK_TYPES, type TaskTypeId } from '../src/envs/alfworld/constants.js';
import { type FloorPlanSplit, generateGame } from '../src/envs/alfworld/generator.js';
import { lessonCommand } from '../src/envs/alfworld/lessons.js';
import { plan } from '../src/envs/alfworld/planner.js';
import { ruleReflection } from '../src/envs/alfworld/reflection.js';
import { initialState, stepState } from '../src/envs/alfworld/rules.js';
import type { AlfWorldState } from '../src/envs/alfworld/world.js';
import type { AttemptMemory, HistoryRecord } from '../src/envs/core/types.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1000' },
    'lesson-seeds': { type: 'string', default: '200' },
    'floor-plans': { type: 'string', default: 'seen' },
  },
});
const seeds = Number(values.seeds);
const lessonSeeds = Number(values['lesson-seeds']);
const floorPlans = values['floor-plans'] as FloorPlanSplit;
const rooms = ['kitchen', 'livingroom', 'bedroom', 'bathroom'] as const;

function game(type: TaskTypeId, seed: number): AlfWorldState {
  return initialState(generateGame(seed, { taskTypes: [type], rooms: [...rooms], floorPlans }));
}

/** The planner's commands played through the rules: won within 50 commands? */
function plannerRun(s0: AlfWorldState): { won: boolean; length: number } {
  const steps = plan(s0) ?? [];
  let s = s0;
  for (const c of steps) s = stepState(s, c).state;
  return { won: s.won, length: steps.length };
}

/** Attempt index (0-based) of the lesson expert's first win in 3 attempts with rule reflections, or 3. */
function lessonTrial(s0: AlfWorldState, turns: number): number {
  const memory: AttemptMemory[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    let s = s0;
    const history: HistoryRecord[] = [];
    for (let t = 0; t < turns; t++) {
      const cmd = lessonCommand({
        initial: s0,
        current: s,
        attempt,
        history,
        memory,
        memoryMode: 'reflection_only',
      });
      const r = stepState(s, cmd ?? '');
      history.push({
        action: cmd ?? '',
        observation: r.state.feedback,
        reward: r.reward,
        done: r.done,
        won: r.won,
      });
      s = r.state;
      if (r.done) break;
    }
    if (s.won) return attempt;
    memory.push({
      attempt,
      history,
      reflection: ruleReflection({ initial: s0, current: s, attempt, history }),
    });
  }
  return 3;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const rows: string[] = [
  `| type | planner solved ≤ 50 commands (${seeds} seeds) | mean plan length | longest | lesson expert pass@1 / @2 / @3, 10 turns (${lessonSeeds} seeds) | same, 30 turns |`,
  '|---|---|---|---|---|---|',
];
const started = performance.now();
for (const id of TASK_TYPE_IDS) {
  let solved = 0;
  let total = 0;
  let longest = 0;
  for (let seed = 0; seed < seeds; seed++) {
    const r = plannerRun(game(id, seed));
    if (r.won && r.length <= 50) solved++;
    total += r.length;
    longest = Math.max(longest, r.length);
  }
  const passes = [10, 30].map((turns) => {
    const wonAt = [0, 0, 0, 0];
    for (let seed = 0; seed < lessonSeeds; seed++) wonAt[lessonTrial(game(id, seed), turns)]!++;
    const cum = [wonAt[0]!, wonAt[0]! + wonAt[1]!, wonAt[0]! + wonAt[1]! + wonAt[2]!];
    return cum.map((c) => (c / lessonSeeds).toFixed(2)).join(' / ');
  });
  rows.push(
    `| ${id} ${TASK_TYPES[id]} | ${pct(solved / seeds)} | ${(total / seeds).toFixed(2)} | ${longest} | ${passes[0]} | ${passes[1]} |`,
  );
  console.error(`  measured type ${id}`);
}
console.log(rows.join('\n'));
console.log(
  `floor plans: ${floorPlans}; ${((performance.now() - started) / 1000).toFixed(0)} s; node ${process.version}`,
);
