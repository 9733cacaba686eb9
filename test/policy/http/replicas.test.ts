import { describe, expect, it } from 'vitest';
import { type Replica, ReplicaSet } from '../../../src/policy/http/replicas.js';

function set(bases: string[]) {
  let now = 0;
  const probes: Replica[] = [];
  const answers = new Map<string, boolean>();
  let settle: (() => void)[] = [];
  const replicas = new ReplicaSet(bases, {
    now: () => now,
    probe: (r) => {
      probes.push(r);
      return new Promise<boolean>((resolve) => settle.push(() => resolve(answers.get(r.base) ?? false)));
    },
  });
  const flush = async () => {
    const s = settle;
    settle = [];
    for (const f of s) f();
    await Promise.resolve();
    await Promise.resolve();
  };
  return { replicas, probes, answers, flush, tick: (ms: number) => (now += ms) };
}

describe('ReplicaSet', () => {
  it('goes round-robin over the replicas that are up', () => {
    const { replicas } = set(['a', 'b', 'c']);
    expect(Array.from({ length: 6 }, () => replicas.pick().base)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('skips a dead replica, probes it after its cool-down and takes it back once it answers', async () => {
    const { replicas, probes, answers, flush, tick } = set(['a', 'b']);
    const a = replicas.replicas[0]!;
    replicas.failed(a);
    expect(replicas.otherUp(a)).toBe(true);
    expect(Array.from({ length: 4 }, () => replicas.pick().base)).toEqual(['b', 'b', 'b', 'b']);
    expect(probes).toHaveLength(0);
    tick(1000); // cool-down over: one probe, still skipped meanwhile
    expect(replicas.pick().base).toBe('b');
    expect(replicas.pick().base).toBe('b');
    expect(probes).toHaveLength(1);
    await flush(); // the probe failed: down again for twice as long
    expect(a.cooldownMs).toBe(2000);
    tick(1999);
    replicas.pick();
    expect(probes).toHaveLength(1);
    tick(1);
    replicas.pick();
    expect(probes).toHaveLength(2);
    answers.set('a', true);
    await flush();
    expect(a.downUntil).toBe(0);
    expect(new Set(Array.from({ length: 4 }, () => replicas.pick().base))).toEqual(new Set(['a', 'b']));
  });

  it('uses the replica back first when all are down, and ignores failures of a lone replica', () => {
    const { replicas, tick } = set(['a', 'b']);
    const [a, b] = replicas.replicas;
    replicas.failed(a!);
    tick(500);
    replicas.failed(b!);
    expect(replicas.pick()).toBe(a);
    const lone = set(['x']).replicas;
    lone.failed(lone.replicas[0]!);
    expect(lone.replicas[0]!.downUntil).toBe(0);
  });
});
