import { beforeAll, describe, expect, it } from 'vitest';
import { type AnyActorLogic, type AnyActorRef, assign, createActor } from 'xstate';
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
  const emitted: unknown[] = [];
  const actor = createActor(logic, { input });
  actor.on('turn', (e: { sample: TurnSample }) => turns.push(e.sample));
  actor.on('*', (e: unknown) => emitted.push(e));
  actor.subscribe(() => snapshots.push(actor.getPersistedSnapshot()));
  actor.start();
  await finished(actor as never);
  const policy = (actor.getSnapshot() as { children: Record<string, AnyActorRef> }).children.policy!;
  return {
    output: actor.getSnapshot().output,
    turns,
    emitted,
    persisted: JSON.stringify(snapshots),
    policyStatus: policy.getSnapshot().status,
  };
}

describe('trialLogic (start, replies within and between attempts, trial end without a machine step)', () => {
  it('gives the same record, emitted events, persisted snapshots (every update) and stopped child as the trial machine', async () => {
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
        // every emitted event in order (turns, then the trial record), and the policy child stopped
        expect(fast.emitted).toEqual(slow.emitted);
        expect(fast.emitted.at(-1)).toMatchObject({ type: 'trial', record: slow.output });
        expect([fast.policyStatus, slow.policyStatus]).toEqual(['stopped', 'stopped']);
      }
    }
  });

  it('ends a trial that cannot play a turn (no turn budget) as the machine does', async () => {
    const input: TrialInput = { envId: PIT, seed: 1, attempts: 2, maxTurns: 0 };
    const machine = trialWithPolicy(randomPolicy());
    const fast = await play(trialLogic(machine), input);
    const slow = await play(machine, input);
    expect(fast.output).toEqual(slow.output);
    expect(fast.emitted).toEqual(slow.emitted);
    expect(fast.persisted).toEqual(slow.persisted);
    expect(fast.turns).toEqual(slow.turns);
    expect(fast.turns.filter((t) => t.phase === 'play')).toHaveLength(0);
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
