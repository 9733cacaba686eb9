import { beforeAll, describe, expect, it } from 'vitest';
import { type AnyActorLogic, assign, createActor } from 'xstate';
import { trialWithPolicy } from '../../src/actors/provide.js';
import { composedTrialMachine, type trialMachine } from '../../src/actors/trial.js';
import { trialLogic } from '../../src/actors/trial-actor.js';
import type { TrialInput } from '../../src/actors/trial-config.js';
import type { MemoryMode } from '../../src/envs/core/types.js';
import { randomPolicy } from '../../src/policy/scripted.js';
import type { TurnSample } from '../../src/streams/types.js';
import { finished, PIT, registerPitCorridor } from './helpers.js';

beforeAll(registerPitCorridor);

async function play(logic: AnyActorLogic, input: TrialInput) {
  const turns: TurnSample[] = [];
  const snapshots: unknown[] = [];
  const actor = createActor(logic, { input });
  actor.on('turn', (e: { sample: TurnSample }) => turns.push(e.sample));
  actor.subscribe(() => snapshots.push(actor.getPersistedSnapshot()));
  actor.start();
  await finished(actor as never);
  return { output: actor.getSnapshot().output, turns, persisted: JSON.stringify(snapshots) };
}

describe('trialLogic (replies within and between attempts without a machine step)', () => {
  it('gives the same record, turn events and persisted snapshots (every update) as the trial machine', async () => {
    const modes: MemoryMode[] = ['reflection_only', 'history_only', 'history_and_reflection', 'none'];
    for (const memoryMode of modes) {
      for (const seed of [1, 2, 3, 4, 5]) {
        const input: TrialInput = { envId: PIT, seed, memoryMode, attempts: 3, maxTurns: 4 };
        const machine = trialWithPolicy(randomPolicy());
        const logic = trialLogic(machine);
        expect(logic).not.toBe(machine);
        const fast = await play(logic, input);
        const slow = await play(machine, input);
        expect(fast.output).toEqual(slow.output);
        expect(fast.turns).toEqual(slow.turns);
        expect(fast.turns.length).toBeGreaterThan(0);
        expect(fast.persisted).toEqual(slow.persisted);
      }
    }
  });

  it('keeps the machine path when a turn action was replaced with provide, and for other machines', () => {
    const machine = trialWithPolicy(randomPolicy()).provide({
      actions: { applyPlay: assign({}) },
    }) as typeof trialMachine;
    expect(trialLogic(machine)).toBe(machine);
    const composed = trialWithPolicy(randomPolicy(), composedTrialMachine as never);
    expect(trialLogic(composed as never)).toBe(composed);
  });
});
