import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MemoryMode } from '../../../src/envs/core/types.js';
import {
  currentBlock,
  intro,
  memoryBlocks,
  minesweeper,
  PLAY_INSTRUCTIONS,
  RULES,
  renderCompactBoard,
} from '../../../src/envs/minesweeper/index.js';
import { attempt0, attempt1, attempt2, initial, memory } from './fixtures/scenario.js';

const golden: Record<string, string> = JSON.parse(
  readFileSync(new URL('./fixtures/prompts.golden.json', import.meta.url), 'utf8'),
);
const { reflect } = minesweeper.prompts.faithful;
const attempts = [attempt0, attempt1, attempt2];
const MODES: Exclude<MemoryMode, 'none'>[] = ['reflection_only', 'history_only', 'history_and_reflection'];

function playPrompt(
  attempt: number,
  turns: number,
  memoryMode: MemoryMode,
  style: 'faithful' | 'compact' = 'faithful',
) {
  const history = attempts[attempt]!.history.slice(0, turns);
  const current = turns === 0 ? initial : JSON.parse(JSON.stringify(attempts[attempt]!.state));
  return minesweeper.prompts[style].play({
    initial,
    current,
    attempt,
    history,
    memory: memory.slice(0, attempt),
    memoryMode,
  });
}

describe('faithful prompts reproduce the reference word for word', () => {
  for (const mode of MODES) {
    for (const [attempt, turns] of [
      [0, 0],
      [0, 4],
      [1, 0],
      [1, 9],
      [2, 2],
    ] as const) {
      it(`play, attempt ${attempt}, turn ${turns}, ${mode}`, () => {
        expect(playPrompt(attempt, turns, mode)).toBe(golden[`play a${attempt} t${turns} ${mode}`]);
      });
    }
  }
  for (const attempt of [0, 1]) {
    it(`reflect after attempt ${attempt}`, () => {
      const { history, state } = attempts[attempt]!;
      expect(reflect({ initial, current: state, attempt, history })).toBe(golden[`reflect a${attempt}`]);
    });
  }

  it('is parametrised by board size and mine count', () => {
    expect(intro(8, 8, 10, 'play')).toContain(
      'a two dimensional 8 by 8 board, with 10 hidden mines. \nThe rows and columns are indexed from 1 to 8.',
    );
    expect(intro(6, 6, 3, 'reflect').endsWith('indexed from 1 to 6')).toBe(true);
    expect(intro(4, 7, 3, 'play')).toContain('4 by 7 board');
    const p = playPrompt(0, 0, 'reflection_only');
    expect(p.startsWith('You are an expert agent operating in the Minesweeper game.')).toBe(true);
    expect(p).toContain(RULES);
    expect(p.endsWith(PLAY_INSTRUCTIONS)).toBe(true);
  });

  it('memory and current-trajectory blocks follow the reference shapes', () => {
    expect(memoryBlocks(0, memory, 'reflection_only')).toBe('\n');
    expect(memoryBlocks(1, [], 'reflection_only')).toBe('\n');
    expect(memoryBlocks(1, memory.slice(0, 1), 'reflection_only')).toBe(
      '\n\nOn trial #1, the task is NOT successfully completed. Your reflection is:\nI hit a mine at (3, 3). Avoid it.',
    );
    expect(currentBlock(0, 0, 'x')).toBe('');
    expect(currentBlock(2, 0, 'x')).toBe('\nYou have already taken the following actions:\nx\n');
    expect(currentBlock(0, 2, '')).toBe("\n\nCurrently you're on trial #3, starting from the initial state.");
    expect(currentBlock(1, 1, 'x')).toBe(
      "\n\nCurrently you're on trial #2. You have already taken the following actions: \nx\n",
    );
  });

  it("memory mode 'none' renders every attempt exactly as a fresh attempt 0", () => {
    for (const [attempt, turns] of [
      [1, 0],
      [1, 9],
      [2, 2],
    ] as const) {
      const fresh = minesweeper.prompts.faithful.play({
        initial,
        current: attempts[attempt]!.state,
        attempt: 0,
        history: attempts[attempt]!.history.slice(0, turns),
        memory: [],
        memoryMode: 'reflection_only',
      });
      expect(playPrompt(attempt, turns, 'none')).toBe(fresh);
      expect(playPrompt(attempt, turns, 'none')).not.toContain('trial #');
    }
  });
});

describe('compact prompts', () => {
  it("carry memory per mode, the turn number and only the current board, without the rules or this trial's actions", () => {
    const p = playPrompt(2, 2, 'history_and_reflection', 'compact');
    expect(p).not.toContain('# Cell States');
    expect(p).toContain('Minesweeper 6x6, 5 mines.');
    expect(p).toContain('Trial 1 failed (mine at (3, 3)). Actions: (4, 3) (4, 3) no operation (3, 4) (3, 3)');
    expect(p).toContain('Trial 1 lesson: I hit a mine at (3, 3). Avoid it.');
    expect(p).toContain('Trial 2 lesson: none');
    // this trial's actions name cells that are open now; the model copied them, so only the turn is shown
    expect(p).toContain(`Trial 3 turn 3.\nBoard:\n${renderCompactBoard(attempt2.state)}`);
    expect(p).not.toContain('Trial 3 actions');
    expect(p).not.toContain(renderCompactBoard(initial));
    expect(p.endsWith('<action>(row, col)</action>')).toBe(true);
    expect(p.length).toBeLessThan(playPrompt(2, 2, 'history_and_reflection').length / 3);
    expect(playPrompt(0, 0, 'reflection_only', 'compact')).toContain(
      `Trial 1 starts.\nBoard:\n${renderCompactBoard(initial)}`,
    );

    const onlyReflection = playPrompt(1, 0, 'reflection_only', 'compact');
    expect(onlyReflection).toContain('Trial 1 lesson:');
    expect(onlyReflection).not.toContain('Trial 1 failed');
    expect(playPrompt(1, 0, 'history_only', 'compact')).not.toContain('lesson');
    expect(playPrompt(2, 2, 'none', 'compact')).toBe(
      minesweeper.prompts.compact.play({
        initial,
        current: attempt2.state,
        attempt: 0,
        history: attempt2.history,
        memory: [],
        memoryMode: 'history_only',
      }),
    );
  });

  it('reflect shows the start, the attempt and its final board and asks for <remark>', () => {
    const r = minesweeper.prompts.compact.reflect({
      initial,
      current: attempt0.state,
      attempt: 0,
      history: attempt0.history,
    });
    expect(r).toContain(`Start:\n${renderCompactBoard(initial)}`);
    expect(r).toContain('Trial 1 failed. Actions: (4, 3) (4, 3) no operation (3, 4) (3, 3)');
    expect(r).toContain(`End:\n${renderCompactBoard(attempt0.state)}`);
    expect(r).toContain('<remark>');
  });
});
