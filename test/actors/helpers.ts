/** Shared helpers of the actor tests: the test env, a manual policy, and a settle helper. */
import { type AnyActorRef, waitFor } from 'xstate';
import { getEnv, registerEnv } from '../../src/envs/core/registry.js';
import { PolicyError } from '../../src/policy/errors.js';
import type { Generation, GenerationRequest, Policy } from '../../src/policy/types.js';
import { pitCorridorEnv } from '../fixtures/pit-corridor-env.js';

export const PIT = 'PitCorridor-v0';

export function registerPitCorridor(): void {
  try {
    getEnv(PIT);
  } catch {
    registerEnv(pitCorridorEnv);
  }
}

/** Let every pending promise and microtask run (an instant policy finishes a whole trial in one go). */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export async function finished(actor: AnyActorRef): Promise<void> {
  await waitFor(actor, (s) => s.status !== 'active');
}

/** A policy that answers only when the test says so. */
export class ManualPolicy implements Policy {
  readonly name = 'manual';
  readonly seen: string[] = [];
  readonly batches: {
    requests: GenerationRequest[];
    resolve: (g: Generation[]) => void;
    reject: (e: unknown) => void;
  }[] = [];

  generate(requests: GenerationRequest[]): Promise<Generation[]> {
    for (const r of requests) this.seen.push(r.key);
    return new Promise((resolve, reject) => this.batches.push({ requests, resolve, reject }));
  }

  /** The single request waiting for an answer. */
  only(): GenerationRequest {
    if (this.batches.length !== 1 || this.batches[0]!.requests.length !== 1) {
      throw new Error(`expected one pending request, have ${this.batches.map((b) => b.requests.length)}`);
    }
    return this.batches[0]!.requests[0]!;
  }

  reply(text: string): void {
    const b = this.batches.shift()!;
    b.resolve(b.requests.map(() => ({ text })));
  }

  fail(): void {
    this.batches.shift()!.reject(new PolicyError('simulated outage'));
  }
}

/** Wraps a policy: requests whose key matches `failKey` fail `times` times (Infinity = always). */
export function flakyPolicy(
  inner: Policy,
  failKey: (key: string) => boolean,
  times: number,
): Policy & { failures: number } {
  const counts = new Map<string, number>();
  const p = {
    name: `flaky(${inner.name})`,
    failures: 0,
    async generate(requests: GenerationRequest[]): Promise<Generation[]> {
      const out = await inner.generate(requests);
      return out.map((g, i) => {
        const key = requests[i]!.key;
        if (!failKey(key)) return g;
        const n = counts.get(key) ?? 0;
        if (n >= times) return g;
        counts.set(key, n + 1);
        p.failures++;
        return { text: '', finishReason: 'error' as const };
      });
    },
  };
  return p;
}
