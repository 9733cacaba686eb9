import { describe, expect, it } from 'vitest';
import type { AttemptMemory, HistoryRecord, MemoryMode } from '../../../src/envs/core/types.js';
import { sokoban } from '../../../src/envs/sokoban/index.js';
import {
  CURR_TRAJ_AT_TRAJ1,
  REFLECTION_ONLY_TEMPLATE,
  SOKOBAN_PLAY_PROMPT,
  TRAJ_2_TO_N_INIT,
} from '../../../src/envs/sokoban/templates.js';
import { stateFrom } from './helpers.js';

const initial = stateFrom(['######', '#@ $.#', '#    #', '######']);
const GRID = '0: # # # # # #\n1: # P _ X O #\n2: # _ _ _ _ #\n3: # # # # # #';

function rec(i: number, done = false): HistoryRecord {
  return { action: "['down', 'right']", observation: `GRID${i}`, reward: -0.1, done, won: false };
}

const play = (attempt: number, history: HistoryRecord[], memory: AttemptMemory[], memoryMode: MemoryMode) =>
  sokoban.prompts.faithful.play({ initial, current: initial, attempt, history, memory, memoryMode });

// The reference prompt for attempt 0, turn 0, typed out from `prompt.py` (after `.strip()`).
const GOLDEN_PLAY_0 = `You are an expert agent operating in the Sokoban environment.

# Symbols and Their Meaning
- Walls (\`#\`): These block movement. You can't move through or push anything into walls.
- Floor (\`_\`): Open spaces where you can walk and move boxes.
- Targets (\`O\`): The spots where boxes need to go.
- Boxes (\`X\`): These are what you need to push onto the targets.
- Player (\`P\`): That's you! You'll move around the grid to push boxes.
- Box on Target (\`√\`): A box successfully placed on a target.
- Player on Target (\`S\`): You standing on a target.

# Goal
Your goal is to push all the boxes (\`X\`) onto the target spots (\`O\`). Once all boxes are on the targets, you win!

# Rules
Your admissible actions are ["up", "down", "left", "right"].
You can only push one box at a time. You can't pull boxes, so plan ahead to avoid getting stuck.
You can't walk through or push boxes into walls (\`#\`) or other boxes.
To avoid traps, do not push boxes into corners or against walls where they can't be moved again.

# Observations
The initial state of the game is:
${GRID}

Now it's your turn to make moves (choose the next THREE actions).

- Your response first be step-by-step reasoning about the current situation — observe the positions of boxes and targets, plan a path to push a box toward a target, and avoid traps like corners or walls.
- Then choose THREE admissible actions and present them within <action> </action> tags (separated by comma).`;

describe('sokoban faithful prompts', () => {
  it('reproduces the reference play prompt of attempt 0, turn 0', () => {
    expect(play(0, [], [], 'reflection_only')).toBe(GOLDEN_PLAY_0);
    expect(SOKOBAN_PLAY_PROMPT.startsWith('\nYou are an expert agent')).toBe(true);
  });

  it('shows the last 7 turns of the current attempt with the last 2 observations', () => {
    const history = Array.from({ length: 8 }, (_, i) => rec(i + 1));
    const text = play(0, history, [], 'reflection_only');
    expect(text).toContain(
      `${GRID}\n\nYou have already taken the following actions:\nAction 2: ['down', 'right']\nObservation 2: ...\n`,
    );
    expect(text).not.toContain('Action 1:');
    expect(text).toContain("Observation 6: ...\nAction 7: ['down', 'right']\nObservation 7:\nGRID7\n");
    expect(text).toContain("Action 8: ['down', 'right']\nObservation 8:\nGRID8\n\nNow it's your turn");
    expect(CURR_TRAJ_AT_TRAJ1).toBe(
      '\nYou have already taken the following actions:\n{current_trajectory}\n',
    );
  });

  it('adds one reflection block per earlier attempt, then the trial header (reflection_only)', () => {
    const memory = [
      { attempt: 0, history: [rec(1)], reflection: 'R0' },
      { attempt: 1, history: [rec(1)], reflection: 'R1' },
    ];
    const start = play(2, [], memory, 'reflection_only');
    expect(start).toContain(
      `${GRID}\n\nOn trial #1, the task is NOT successfully completed. Your reflection is: \nR0` +
        `\n\nOn trial #2, the task is NOT successfully completed. Your reflection is: \nR1` +
        `\n\nCurrently you're on trial #3, starting from the initial state.\nNow it's your turn`,
    );
    expect(start).not.toContain('GRID1');
    const later = play(1, [rec(1)], memory.slice(0, 1), 'reflection_only');
    expect(later).toContain(
      "Your reflection is: \nR0\n\nCurrently you're on trial #2. You have already taken the following actions: \n" +
        "Action 1: ['down', 'right']\nObservation 1:\nGRID1\n\nNow it's your turn",
    );
    expect(REFLECTION_ONLY_TEMPLATE).toContain('Your reflection is: \n{reflection}');
    expect(TRAJ_2_TO_N_INIT).toBe(
      "\n\nCurrently you're on trial #{traj_idx}, starting from the initial state.",
    );
  });

  it('renders past trajectories with the default window in history modes', () => {
    const past = Array.from({ length: 3 }, (_, i) => rec(i + 1, i === 2));
    const memory = [{ attempt: 0, history: past, reflection: 'R0' }];
    const both = play(1, [], memory, 'history_and_reflection');
    expect(both).toContain(
      `${GRID}\n\nOn trial #1, you take the following actions: \nAction 1: ['down', 'right']\nObservation 1: ...\n` +
        "Action 2: ['down', 'right']\nObservation 2:\nGRID2\nAction 3: ['down', 'right']\nObservation 3:\nGRID3\n" +
        'The task is NOT successfully completed. Your reflection and improved plan is: \nR0\n\nCurrently',
    );
    const hist = play(1, [], memory, 'history_only');
    expect(hist).toContain('Observation 3:\nGRID3\nThe task is NOT successfully completed.\n\n\nCurrently');
    expect(hist).not.toContain('R0');
  });

  it('renders every attempt as a fresh attempt 0 in memory mode none', () => {
    const memory = [{ attempt: 0, history: [rec(1)], reflection: 'R0' }];
    expect(play(2, [], memory, 'none')).toBe(GOLDEN_PLAY_0);
    expect(play(1, [rec(1)], memory, 'none')).toBe(play(0, [rec(1)], [], 'reflection_only'));
  });

  it('builds the reflect prompt from the finished attempt with every observation printed', () => {
    const history = Array.from({ length: 3 }, (_, i) => rec(i + 1));
    const first = sokoban.prompts.faithful.reflect({ initial, current: initial, attempt: 0, history });
    expect(first).toContain(
      `# Past Experience\nThe initial state of the game is:\n${GRID}\n\nYou have already taken the following actions:\n` +
        "Action 1: ['down', 'right']\nObservation 1:\nGRID1\n",
    );
    expect(first).toContain('GRID3\n\nThe task is NOT successfully completed.\n\nNow it');
    expect(first.endsWith('inside <remark> </remark> tags, to guide the next trial.')).toBe(true);
    const second = sokoban.prompts.faithful.reflect({ initial, current: initial, attempt: 1, history });
    expect(second).toContain(
      `${GRID}\n\n\nCurrently you're on trial #2. You have already taken the following actions: \nAction 1:`,
    );
  });
});

describe('sokoban compact prompts', () => {
  it('keeps the board, memory and moves but drops the rules', () => {
    const current = sokoban.step(initial, ['right', 'right']).state;
    const memory = [{ attempt: 0, history: [rec(1)], reflection: 'push right twice' }];
    const text = sokoban.prompts.compact.play({
      initial,
      current,
      attempt: 1,
      history: [{ ...rec(1), action: "['right', 'right']" }],
      memory,
      memoryMode: 'reflection_only',
    });
    expect(text).toContain(GRID);
    expect(text).toContain('push right twice');
    expect(text).toContain('moves: right,right');
    expect(text).toContain(sokoban.observe(current));
    expect(text).not.toContain('# Rules');
    expect(text.length).toBeLessThan(GOLDEN_PLAY_0.length / 3);
    const none = sokoban.prompts.compact.play({
      initial,
      current: initial,
      attempt: 1,
      history: [],
      memory,
      memoryMode: 'none',
    });
    expect(none).not.toContain('push right twice');
    const reflect = sokoban.prompts.compact.reflect({ initial, current, attempt: 0, history: [rec(1)] });
    expect(reflect).toContain('moves: down,right');
    expect(reflect).toContain(sokoban.observe(current));
  });
});
