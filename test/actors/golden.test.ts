/**
 * Faithful prompts of a scripted 3-attempt trial (memory mode
 * reflection_only, the LaMer default) against golden files in test/golden/.
 * The golden texts were checked by hand against the reference templates
 * (`agent_system/environments/{sokoban,minesweeper}/prompt.py`, lamer.md §3.3):
 * memory blocks "On trial #j, the task is NOT successfully completed. Your
 * reflection is: ..." for every earlier attempt, then "Currently you're on
 * trial #n, starting from the initial state." (turn 0) or "... You have
 * already taken the following actions: ..." (later turns), and the 2nd
 * reflection's "Currently you're on trial #2" quirk (§3.1).
 *
 * Regenerate (then READ the diff against the reference): LAMER_UPDATE_GOLDEN=1 npx vitest run test/actors/golden.test.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { trialWithPolicy } from '../../src/actors/provide.js';
import { registerBuiltinEnvs } from '../../src/envs/builtin.js';
import type { Json } from '../../src/envs/core/types.js';
import { scriptedTextPolicy } from '../../src/policy/scripted.js';
import type { TurnSample } from '../../src/streams/types.js';
import { finished } from './helpers.js';

const GOLDEN = fileURLToPath(new URL('../golden/', import.meta.url));

beforeAll(registerBuiltinEnvs);

async function scriptedTrial(envId: string, params: Json, replies: string[]): Promise<TurnSample[]> {
  const actor = createActor(trialWithPolicy(scriptedTextPolicy(replies)), {
    input: {
      envId,
      params,
      seed: 7,
      attempts: 3,
      maxTurns: 2,
      memoryMode: 'reflection_only',
      style: 'faithful',
    },
  }).start();
  await finished(actor);
  const record = actor.getSnapshot().output!;
  expect(record.failed).toBeUndefined();
  expect(record.wonAt).toBeNull();
  return record.samples;
}

function golden(name: string, text: string): void {
  const path = `${GOLDEN}${name}.txt`;
  if (process.env.LAMER_UPDATE_GOLDEN === '1') writeFileSync(path, text);
  expect(text).toBe(readFileSync(path, 'utf8'));
}

function checkGoldens(prefix: string, samples: TurnSample[]): void {
  const at = (phase: string, attempt: number, turn: number) =>
    samples.find((s) => s.phase === phase && s.attempt === attempt && s.turn === turn)!.prompt;
  golden(`${prefix}-attempt2-turn1`, at('play', 1, 0));
  golden(`${prefix}-attempt2-turn2`, at('play', 1, 1));
  golden(`${prefix}-attempt3-turn1`, at('play', 2, 0));
  golden(`${prefix}-attempt3-turn2`, at('play', 2, 1));
  golden(`${prefix}-reflect2`, at('reflect', 1, 2));
}

describe('faithful prompts of a 3-attempt trial (golden files)', () => {
  it('Sokoban', async () => {
    const level = ['######', '#@ $.#', '#    #', '######'].join('\n');
    const samples = await scriptedTrial('Sokoban-v0', { width: 6, height: 6, numBoxes: 1, level }, [
      '<action>down, right</action>',
      'I do not know.',
      'Thinking.\n<remark>Push the box right from its left side.</remark>',
      '<action>left</action>',
      '<action>up, up</action>',
      '<remark>Walk right twice to push the box onto the target.</remark>',
      '<action>down</action>',
      '<action>up</action>',
    ]);
    expect(samples.map((s) => `${s.phase[0]}${s.attempt}`).join(' ')).toBe('p0 p0 r0 p1 p1 r1 p2 p2');
    checkGoldens('sokoban', samples);
  });

  it('MineSweeper', async () => {
    const layout = {
      rows: 4,
      cols: 4,
      mines: [
        [1, 3],
        [3, 1],
        [4, 4],
      ],
      firstClick: [1, 1],
    };
    const samples = await scriptedTrial('MineSweeper-v0', { rows: 4, cols: 4, mines: 3, layout }, [
      '<action>(3, 2)</action>',
      '<action>(1, 3)</action>',
      '<remark>The mine was at (1, 3).</remark>',
      'no idea',
      '<action>(3, 1)</action>',
      'Analysis.\n<remark>Mines at (1, 3) and (3, 1); reveal (2, 3) next.</remark>',
      '<action>(2, 3)</action>',
      '<action>(4, 4)</action>',
    ]);
    expect(samples.map((s) => `${s.phase[0]}${s.attempt}`).join(' ')).toBe('p0 p0 r0 p1 p1 r1 p2 p2');
    checkGoldens('minesweeper', samples);
  });
});
