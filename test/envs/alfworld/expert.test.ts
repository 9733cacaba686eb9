import { describe, expect, it } from 'vitest';
import type { TaskTypeId } from '../../../src/envs/alfworld/constants.js';
import { generateGame } from '../../../src/envs/alfworld/generator.js';
import {
  firstSightingsOf,
  historyKnowledge,
  lessonKnowledge,
  parseList,
} from '../../../src/envs/alfworld/knowledge.js';
import { lessonCommand } from '../../../src/envs/alfworld/lessons.js';
import { expertCommand, plan } from '../../../src/envs/alfworld/planner.js';
import { ruleReflection } from '../../../src/envs/alfworld/reflection.js';
import { initialState, stepState } from '../../../src/envs/alfworld/rules.js';
import type { AlfWorldState } from '../../../src/envs/alfworld/world.js';
import type { AttemptMemory, HistoryRecord } from '../../../src/envs/core/types.js';
import { play, tinyState } from './helpers.js';

const ALL = {
  taskTypes: [1, 2, 3, 4, 5, 6] as TaskTypeId[],
  rooms: ['kitchen', 'livingroom', 'bedroom', 'bathroom'] as const,
  floorPlans: 'all' as const,
};

function record(s: AlfWorldState, cmd: string): { state: AlfWorldState; rec: HistoryRecord } {
  const r = stepState(s, cmd);
  return {
    state: r.state,
    rec: { action: cmd, observation: r.state.feedback, reward: r.reward, done: r.done, won: r.won },
  };
}

/** One attempt of the lesson expert with `memory` shown (reflection_only), at most `turns` turns. */
function attempt(s0: AlfWorldState, memory: AttemptMemory[], turns: number) {
  let s = s0;
  const history: HistoryRecord[] = [];
  for (let t = 0; t < turns && !s.won; t++) {
    const cmd = lessonCommand({
      initial: s0,
      current: s,
      attempt: memory.length,
      history,
      memory,
      memoryMode: 'reflection_only',
    });
    expect(cmd).not.toBeNull();
    const { state, rec } = record(s, cmd!);
    history.push(rec);
    s = state;
    if (rec.done) break;
  }
  return { state: s, history };
}

describe('ALFWorld full-knowledge planner', () => {
  it('solves the mug task in the fewest commands', () => {
    expect(plan(tinyState())).toEqual([
      'go to countertop 1',
      'take mug 2 from countertop 1',
      'go to sinkbasin 1',
      'clean mug 2 with sinkbasin 1',
      'go to coffeemachine 1',
      'move mug 2 to coffeemachine 1',
    ]);
  });

  it('puts away what the agent holds first, and keeps a held mug', () => {
    const holdingApple = play(tinyState(), ['go to countertop 1', 'take apple 1 from countertop 1']).state;
    expect(plan(holdingApple)![0]).toBe('move apple 1 to countertop 1');
    const holdingMug = play(tinyState(), [
      'go to cabinet 1',
      'open cabinet 1',
      'take mug 1 from cabinet 1',
    ]).state;
    expect(plan(holdingMug)![0]).toBe('go to sinkbasin 1');
    expect(expertCommand(holdingMug)).toBe('go to sinkbasin 1');
  });

  it('says nothing once the task is done', () => {
    const done = play(tinyState(), plan(tinyState())!).state;
    expect(done.won).toBe(true);
    expect(plan(done)).toEqual([]);
    expect(expertCommand(done)).toBeNull();
  });
});

describe('ALFWorld knowledge from text', () => {
  it('parses TextWorld lists', () => {
    expect(parseList('nothing')).toEqual([]);
    expect(parseList('a mug 1')).toEqual(['mug 1']);
    expect(parseList('a mug 1, and a cup 2')).toEqual(['mug 1', 'cup 2']);
    expect(parseList('a mug 1, a apple 3, and a cup 2')).toEqual(['mug 1', 'apple 3', 'cup 2']);
  });

  it('follows what was seen, taken and moved', () => {
    const s = tinyState();
    const { state, rec: a } = record(s, 'go to countertop 1');
    const { state: s2, rec: b } = record(state, 'take mug 2 from countertop 1');
    const { rec: c } = record(record(s2, 'go to desk 1').state, 'move mug 2 to desk 1');
    const k = historyKnowledge([a, b, c]);
    expect(k.where.get('apple 1')).toBe('countertop 1');
    expect(k.where.get('mug 2')).toBe('desk 1');
    expect(k.checked.has('countertop 1')).toBe(true);
    expect(k.where.has('mug 1')).toBe(false);
    // First sightings are where things start (a restart restores them).
    expect(firstSightingsOf([a, b, c]).where.get('mug 2')).toBe('countertop 1');
  });

  it('reads facts and checked receptacles from a lesson', () => {
    const g = tinyState().game;
    const k = lessonKnowledge(
      [
        'Found: mug 1 in cabinet 1; mug 2, apple 1 on countertop 1. Checked: cabinet 2, desk 1.',
        'The knife 1 was on the countertop 1, and the zebra 9 is in cabinet 1.',
      ],
      g,
    );
    expect(Object.fromEntries(k.where)).toEqual({
      'mug 1': 'cabinet 1',
      'mug 2': 'countertop 1',
      'apple 1': 'countertop 1',
      'knife 1': 'countertop 1',
    });
    expect([...k.checked].sort()).toEqual(['cabinet 1', 'cabinet 2', 'countertop 1', 'desk 1']);
  });
});

describe('ALFWorld lesson expert and rule reflections', () => {
  it('searches without knowledge, and a rule reflection turns the next attempt into the plan', () => {
    const s0 = tinyState();
    // Two turns are not enough to find and use a mug blind: the search looks on open surfaces first.
    const first = attempt(s0, [], 2);
    expect(first.history.map((h) => h.action)).toEqual(['go to coffeemachine 1', 'go to countertop 1']);
    const reflection = ruleReflection({
      initial: s0,
      current: first.state,
      attempt: 0,
      history: first.history,
    });
    expect(reflection).toBe('Found: mug 2 on countertop 1. Checked: coffeemachine 1.');
    const second = attempt(s0, [{ attempt: 0, history: first.history, reflection }], 10);
    expect(second.state.won).toBe(true);
    expect(second.history).toHaveLength(6);
    // Nothing found yet: the reflection says where not to look again.
    const blind = attempt(s0, [], 1);
    expect(ruleReflection({ initial: s0, current: blind.state, attempt: 0, history: blind.history })).toBe(
      'Found nothing useful. Checked: coffeemachine 1.',
    );
  });

  it('wins most generated tasks within 30 turns and more by the third attempt (no hidden state read)', () => {
    let won1 = 0;
    let won3 = 0;
    const n = 24;
    for (let seed = 0; seed < n; seed++) {
      const s0 = initialState(generateGame(seed, ALL as never));
      const memory: AttemptMemory[] = [];
      for (let a = 0; a < 3; a++) {
        const r = attempt(s0, memory, 10);
        if (r.state.won) {
          if (a === 0) won1++;
          won3++;
          break;
        }
        const reflection = ruleReflection({ initial: s0, current: r.state, attempt: a, history: r.history });
        memory.push({ attempt: a, history: r.history, reflection });
      }
    }
    expect(won3).toBeGreaterThan(won1);
    expect(won3 / n).toBeGreaterThan(0.8);
  });
});
