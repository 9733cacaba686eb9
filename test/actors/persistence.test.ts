import { beforeAll, describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { PolicyClient } from '../../src/actors/client.js';
import { createRolloutActor, runRollout, trialWithPolicy } from '../../src/actors/provide.js';
import { randomPolicy } from '../../src/policy/scripted.js';
import type { Generation, GenerationRequest, Policy } from '../../src/policy/types.js';
import { finished, PIT, registerPitCorridor, settle } from './helpers.js';

beforeAll(registerPitCorridor);

/** Random replies; answers the first `limit` requests, then holds the rest until `release()`. */
class GatedPolicy implements Policy {
  readonly name = 'gated';
  readonly seen: string[] = [];
  private held: (() => void)[] = [];
  private readonly inner = randomPolicy();
  constructor(private limit: number) {}

  async generate(requests: GenerationRequest[]): Promise<Generation[]> {
    for (const r of requests) this.seen.push(r.key);
    if (this.seen.length > this.limit) await new Promise<void>((resolve) => this.held.push(resolve));
    return this.inner.generate(requests);
  }

  release(): void {
    this.limit = Number.POSITIVE_INFINITY;
    for (const go of this.held.splice(0)) go();
  }
}

const duplicates = (keys: string[]) => keys.filter((k, i) => keys.indexOf(k) !== i);
const input = { envId: PIT, seed: 2, trialId: 'p#0', attempts: 3, maxTurns: 4 };
const rolloutOptions = (concurrency: number) => ({
  envId: PIT,
  tasks: Array.from({ length: 8 }, (_, i) => ({ seed: i + 1 })),
  trialsPerTask: 3,
  concurrency,
});

/**
 * A rollout of `concurrency` trials in flight whose policy answers `answered` requests and holds the
 * rest: its records played through (`expected`), and its persisted snapshot once it has settled
 * (JSON round trip), the first actor stopped.
 */
async function persistedRollout(concurrency: number, answered: number) {
  const options = rolloutOptions(concurrency);
  const expected = await runRollout({ ...options, policy: randomPolicy() });
  const policy = new GatedPolicy(answered);
  const client = new PolicyClient(policy);
  const first = createRolloutActor({ ...options, policy: client }).start();
  await settle();
  const persisted = JSON.parse(JSON.stringify(first.getPersistedSnapshot()));
  first.stop();
  return { options, expected, policy, client, persisted };
}

/** A persisted slot trial: its snapshot as JSON. */
interface PersistedSlot {
  snapshot: {
    status: string;
    value?: unknown;
    context: { request: unknown; record: unknown; cfg: { trialId: string } };
  };
}

/** The slot trials of a persisted rollout whose trial ended: waiting in `playing`, the record handed over. */
function endedSlots(persisted: { children: object }): PersistedSlot[] {
  const slots = Object.values(persisted.children).flatMap((lane) =>
    Object.values((lane as { snapshot: { children: object } }).snapshot.children),
  ) as PersistedSlot[];
  return slots.filter(
    (t) =>
      t.snapshot.status === 'active' &&
      t.snapshot.value === 'playing' &&
      t.snapshot.context.request === null &&
      t.snapshot.context.record === null,
  );
}

/** Restore `persisted` over the same client, release the held requests, and play to the end: the records and the trials that ended. */
async function restoreAndFinish(r: Awaited<ReturnType<typeof persistedRollout>>) {
  const restored = createRolloutActor({ ...r.options, policy: r.client, snapshot: r.persisted });
  const trialsSeen: string[] = [];
  restored.on('trial', (e) => trialsSeen.push(e.record.trialId));
  restored.start();
  r.policy.release();
  await finished(restored);
  return { output: restored.getSnapshot().output, trialsSeen };
}

describe('persistence', () => {
  it('a trial persisted mid-run restores to the identical continuation, with no duplicate policy calls', async () => {
    const reference = createActor(trialWithPolicy(randomPolicy()), { input }).start();
    await finished(reference);
    const expected = reference.getSnapshot().output!;
    expect(expected.samples.length).toBeGreaterThan(6);

    const policy = new GatedPolicy(5);
    const client = new PolicyClient(policy);
    const machine = trialWithPolicy(client);
    const first = createActor(machine, { input }).start();
    await settle();
    expect(policy.seen).toHaveLength(6);
    const persisted = JSON.parse(JSON.stringify(first.getPersistedSnapshot()));
    first.stop();

    const restored = createActor(machine, { input, snapshot: persisted });
    restored.start();
    policy.release();
    await finished(restored);
    const record = restored.getSnapshot().output!;
    expect(record).toEqual(expected);
    expect(duplicates(policy.seen)).toEqual([]);
    expect(policy.seen).toHaveLength(expected.samples.length);
    // the call in flight at persist time was joined, not sent again
    expect(client.stats.replayed).toBe(1);
    expect(client.cachedCount).toBe(0);
  });

  // 20 in flight: two lanes (lane.ts), each restored with its trials
  it.each([4, 20])(
    'a rollout persisted with %i trials in flight finishes with the same records',
    async (concurrency) => {
      const r = await persistedRollout(concurrency, 10);
      const { expected, policy, client } = r;
      expect(r.persisted.context.running).toHaveLength(concurrency);

      const { output, trialsSeen } = await restoreAndFinish(r);
      expect(output).toEqual(expected);
      expect(trialsSeen.sort()).toEqual(expected.map((r) => r.trialId).sort());
      expect(duplicates(policy.seen)).toEqual([]);
      // every trial's replies left the replay cache when it ended, those answered before the snapshot too
      expect(client.cachedCount).toBe(0);
    },
  );

  it('a rollout persisted near its end, ended trials still in their slots, collects each trial once', async () => {
    const r = await persistedRollout(20, 140);
    const { expected, policy, persisted } = r;
    // every trial started, some ended: an ended trial stays in its lane's slot (no next trial to replace
    // it), its actor waiting in `playing` for a next trial, its record handed over (a served trial has
    // no final state, trial.ts)
    expect(persisted.context.next).toBe(expected.length);
    expect(endedSlots(persisted).length).toBeGreaterThan(0);
    // (the restored rollout takes `persisted` as its context and updates its `running` in place)
    const running = [...persisted.context.running];

    const { output, trialsSeen } = await restoreAndFinish(r);
    expect(output).toEqual(expected);
    // only the trials running at persist time end again (the ended ones in the slots are not restarted)
    expect(trialsSeen.sort()).toEqual(running.sort());
    expect(duplicates(policy.seen)).toEqual([]);
  });

  // until session 12 a served trial waited for its slot's next trial in `done` (trial.ts)
  it('a rollout persisted with ended trials waiting in `done` (before session 12) restores and finishes', async () => {
    const r = await persistedRollout(20, 140);
    const { expected, policy, persisted } = r;
    const ended = endedSlots(persisted);
    expect(ended.length).toBeGreaterThan(0);
    // the old form: the ended trial in `done`, its record still in its context
    const byTrial = new Map(expected.map((rec) => [rec.trialId, rec]));
    for (const t of ended) {
      t.snapshot.value = 'done';
      t.snapshot.context.record = byTrial.get(t.snapshot.context.cfg.trialId)!;
    }
    const running = [...persisted.context.running];
    const { output, trialsSeen } = await restoreAndFinish(r);
    expect(output).toEqual(expected);
    expect(trialsSeen.sort()).toEqual(running.sort());
    expect(duplicates(policy.seen)).toEqual([]);
  });

  it('a rollout persisted before it kept its slots (2026-12-07) restores and finishes', async () => {
    const r = await persistedRollout(20, 10);
    const { expected, policy, persisted } = r;
    // the old form: no `slots` in the rollout's context (its lanes' `trials` named every slot's trial)
    expect(persisted.context.slots).toBeDefined();
    delete persisted.context.slots;
    expect((await restoreAndFinish(r)).output).toEqual(expected);
    expect(duplicates(policy.seen)).toEqual([]);
  });

  // since session 11 a trial waits for its reflection's reply in `playing` (trial.ts); one persisted in
  // `reflecting` before then plays that reply there and goes on
  it('a trial and a rollout persisted in `reflecting` (before 2026-12-07, session 11) restore and finish', async () => {
    // a reflection followed by an attempt, and a schedule that ends with its reflection
    const ending = { ...input, schedule: [{ phase: 'play' as const }, { phase: 'reflect' as const }] };
    for (const trialInput of [input, ending]) {
      const reference = createActor(trialWithPolicy(randomPolicy()), { input: trialInput }).start();
      await finished(reference);
      const expected = reference.getSnapshot().output!;
      const reflection = expected.samples.findIndex((s) => s.phase === 'reflect');
      expect(reflection).toBeGreaterThan(0);
      const policy = new GatedPolicy(reflection);
      const machine = trialWithPolicy(new PolicyClient(policy));
      const first = createActor(machine, { input: trialInput }).start();
      await settle();
      const persisted = JSON.parse(JSON.stringify(first.getPersistedSnapshot()));
      first.stop();
      // waiting for the reflection's reply: the old form rests in `reflecting`
      expect(persisted.value).toBe('playing');
      expect(persisted.context.request.key).toMatch(/reflect$/);
      persisted.value = 'reflecting';
      const restored = createActor(machine, { input: trialInput, snapshot: persisted }).start();
      policy.release();
      await finished(restored);
      expect(restored.getSnapshot().output).toEqual(expected);
      expect(duplicates(policy.seen)).toEqual([]);
    }

    const r = await persistedRollout(20, 50);
    let old = 0;
    for (const lane of Object.values(r.persisted.children) as { snapshot: OldLane }[])
      for (const trial of Object.values(lane.snapshot.children) as unknown as OldTrial[])
        if (trial.snapshot.value === 'playing' && trial.snapshot.context?.reflect) {
          trial.snapshot.value = 'reflecting';
          old++;
        }
    expect(old).toBeGreaterThan(0);
    expect((await restoreAndFinish(r)).output).toEqual(r.expected);
    expect(duplicates(r.policy.seen)).toEqual([]);
  });

  it('a rollout persisted before lanes had slots (trials keyed by trial id) restores and finishes', async () => {
    const r = await persistedRollout(20, 10);
    const { expected, policy, persisted } = r;
    // the old form: each lane's trials under their trial ids, no `trials` in the lane's context
    for (const lane of Object.values(persisted.children) as { snapshot: OldLane }[]) {
      const { snapshot } = lane;
      delete snapshot.context.trials;
      snapshot.children = Object.fromEntries(
        Object.entries(snapshot.children).map(([id, c]) => [
          id === 'policy' ? id : c.snapshot.context.cfg.trialId,
          c,
        ]),
      );
    }
    expect((await restoreAndFinish(r)).output).toEqual(expected);
    expect(duplicates(policy.seen)).toEqual([]);
  });
});

/** What the test above rewrites of a persisted lane. */
interface OldLane {
  context: { trials?: unknown };
  children: Record<string, { snapshot: { context: { cfg: { trialId: string } } } }>;
}

/** What the test above rewrites of a persisted trial. */
interface OldTrial {
  snapshot: { value?: unknown; context?: { reflect?: unknown } };
}
