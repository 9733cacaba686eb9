import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alfworld } from '../../../src/envs/alfworld/index.js';
import {
  compactActions,
  currentBlock,
  memoryBlocks,
  placesText,
} from '../../../src/envs/alfworld/prompts.js';
import type { MemoryMode } from '../../../src/envs/core/types.js';
import { loadBuiltinTokenizer } from '../../../src/policy/tokenizer.js';
import { attempts, initial, memory } from './fixtures/scenario.js';

const golden: Record<string, string> = JSON.parse(
  readFileSync(new URL('./fixtures/prompts.golden.json', import.meta.url), 'utf8'),
);
const MODES: Exclude<MemoryMode, 'none'>[] = ['reflection_only', 'history_only', 'history_and_reflection'];

function playPrompt(
  attempt: number,
  turn: number,
  memoryMode: MemoryMode,
  style: 'faithful' | 'compact' = 'faithful',
) {
  const a = attempts[attempt]!;
  return alfworld.prompts[style].play({
    initial,
    current: a.states[turn]!,
    attempt,
    history: a.history.slice(0, turn),
    memory: memory.slice(0, attempt),
    memoryMode,
  });
}

describe('ALFWorld faithful prompts reproduce the reference byte for byte', () => {
  for (const mode of MODES)
    for (const [attempt, turn] of [
      [0, 0],
      [0, 4],
      [0, 17],
      [1, 0],
      [1, 9],
      [2, 2],
    ] as const)
      it(`play, attempt ${attempt}, turn ${turn}, ${mode}`, () => {
        expect(playPrompt(attempt, turn, mode)).toBe(golden[`play a${attempt} t${turn} ${mode}`]);
      });
  for (const attempt of [0, 1])
    it(`reflect after attempt ${attempt}`, () => {
      const a = attempts[attempt]!;
      const current = a.states[a.states.length - 1]!;
      expect(alfworld.prompts.faithful.reflect({ initial, current, attempt, history: a.history })).toBe(
        golden[`reflect a${attempt}`],
      );
    });

  it('memory mode none renders every attempt as a fresh first attempt', () => {
    const fresh = playPrompt(2, 0, 'none');
    expect(fresh).not.toContain('trial #');
    expect(fresh).toBe(playPrompt(0, 0, 'reflection_only'));
  });

  it('memory and current blocks follow the reference shapes', () => {
    expect(memoryBlocks(0, memory, 'reflection_only')).toBe('\n');
    expect(memoryBlocks(1, [], 'reflection_only')).toBe('\n');
    expect(currentBlock(0, 0, 'x')).toBe('');
    expect(currentBlock(3, 0, 'x')).toBe(
      '\nBelow are the actions you took and the corresponding observations: \nx',
    );
    expect(currentBlock(0, 2, 'x')).toBe(
      "\n\nCurrently you're on trial #3, starting from the initial state.",
    );
  });
});

describe('ALFWorld compact prompts', () => {
  it('carry the task, the places, the lessons, this attempt and the commands other than going', () => {
    const p = playPrompt(1, 2, 'reflection_only', 'compact');
    expect(p.split('\n')).toEqual([
      'alfworld task: put a saltshaker in diningtable.',
      `places: ${placesText(initial)}.`,
      `trial 1 lesson: ${memory[0]!.reflection}`,
      'trial 2 did: go to shelf 3 > take saltshaker 3 from shelf 3',
      'now: You pick up the saltshaker 3 from the shelf 3.',
      'holding: saltshaker 3',
      `go to a place, or: ${compactActions(attempts[1]!.states[2]!).join(' | ')}`,
      'answer: <action>...</action>',
    ]);
    expect(placesText(initial)).toBe(
      'cabinet 1-11, coffeemachine 1, countertop 1, diningtable 1, drawer 1, fridge 1, garbagecan 1, microwave 1, shelf 1-3, sinkbasin 1, stoveburner 1-4, toaster 1',
    );
    const r = alfworld.prompts.compact.reflect({
      initial,
      current: attempts[1]!.states[9]!,
      attempt: 1,
      history: attempts[1]!.history,
    });
    expect(r).toContain('saw: shelf 3: plate 1, saltshaker 3, winebottle 1; microwave 1: bread 1,');
  });

  it('fit the built-in model: rule-reflection trials stay under 700 tokens', () => {
    const tok = loadBuiltinTokenizer().tokenizer;
    for (const [attempt, turn] of [
      [0, 17],
      [1, 9],
      [2, 3],
    ] as const)
      expect(tok.encode(playPrompt(attempt, turn, 'history_and_reflection', 'compact')).length).toBeLessThan(
        700,
      );
  });
});
