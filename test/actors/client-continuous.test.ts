import { describe, expect, it } from 'vitest';
import { PolicyClient } from '../../src/actors/client.js';
import { PolicyError } from '../../src/policy/errors.js';
import type { Generation, GenerationRequest, JoinRequests, Policy } from '../../src/policy/types.js';

/** A request whose row runs `steps` decode steps. */
const req = (key: string, steps: number): GenerationRequest => ({
  key,
  messages: [{ role: 'user', content: key }],
  sampling: { maxTokens: steps },
});

/**
 * A policy with continuous batches, simulated step by step: a row ends after its `maxTokens` steps and is
 * answered at once; the requests `join` returns run from the next step. `log` holds each step's rows.
 */
class StepPolicy implements Policy {
  readonly name = 'steps';
  readonly log: string[][] = [];
  calls = 0;
  /** Fail the batch at this step (no answer for the rows running then). */
  failAt: number | null = null;
  /** The `open` flag given to the exchanges (false: the batch takes no new rows). */
  open = true;

  generate(): Promise<Generation[]> {
    throw new Error('not used: the client must use generateContinuous');
  }

  async generateContinuous(requests: GenerationRequest[], join: JoinRequests): Promise<void> {
    this.calls++;
    let rows = requests.map((request) => ({ request, left: request.sampling.maxTokens! }));
    for (let step = 0; rows.length > 0; step++) {
      if (step === this.failAt) throw new Error('simulated worker failure');
      this.log.push(rows.map((r) => r.request.key));
      for (const r of rows) r.left--;
      const done = rows.filter((r) => r.left === 0);
      rows = rows.filter((r) => r.left > 0);
      if (done.length === 0) continue;
      const next = await join(
        done.map((r) => ({ request: r.request, generation: { text: `${r.request.key} done` } })),
        this.open,
      );
      rows.push(...next.map((request) => ({ request, left: request.sampling.maxTokens! })));
    }
  }
}

/** A trial: asks `turns` requests of `steps` steps one after another, each as soon as the last is answered. */
function trial(client: PolicyClient, name: string, steps: number[], answers: string[]): void {
  const ask = (turn: number) => {
    client.ask(
      req(`${name}/${turn}`, steps[turn]!),
      (g) => {
        answers.push(g.text);
        if (turn + 1 < steps.length) ask(turn + 1);
      },
      (e) => answers.push(`error: ${String(e)}`),
    );
  };
  ask(0);
}

const settle = () => new Promise((r) => setImmediate(r));

describe('PolicyClient with a continuous policy', () => {
  it('answers each request when its row ends, and the next turn joins the running batch at once', async () => {
    const policy = new StepPolicy();
    const client = new PolicyClient(policy);
    client.setExpected(2);
    const answers: string[] = [];
    trial(client, 'a', [1, 1, 1], answers);
    trial(client, 'b', [4], answers);
    await settle();
    expect(policy.calls).toBe(1); // one batch: turns of 'a' joined it while 'b' ran
    expect(policy.log).toEqual([['a/0', 'b/0'], ['b/0', 'a/1'], ['b/0', 'a/2'], ['b/0']]);
    expect(answers).toEqual(['a/0 done', 'a/1 done', 'a/2 done', 'b/0 done']);
    expect(client.stats.batches).toBe(1);
    expect(client.stats.requests).toBe(4);
  });

  it('starts on the lock-step condition and keeps at most maxBatch rows; the rest join as rows end', async () => {
    const policy = new StepPolicy();
    const client = new PolicyClient(policy, { maxBatch: 3 });
    client.setExpected(5);
    const answers: string[] = [];
    trial(client, 'a', [2], answers);
    trial(client, 'b', [1], answers);
    await settle();
    expect(policy.calls).toBe(0); // waits for every trial in flight, as lock-step batches do
    trial(client, 'c', [1], answers);
    trial(client, 'd', [1], answers);
    trial(client, 'e', [1], answers);
    await settle();
    // maxBatch 3 reached: a, b, c start; d and e join when b and c end
    expect(policy.calls).toBe(1);
    expect(policy.log).toEqual([
      ['a/0', 'b/0', 'c/0'],
      ['a/0', 'd/0', 'e/0'],
    ]);
    expect(answers).toEqual(['b/0 done', 'c/0 done', 'a/0 done', 'd/0 done', 'e/0 done']);
  });

  it('a closed batch takes no rows (they go in the next batch); a failed batch rejects only its unanswered requests', async () => {
    const policy = new StepPolicy();
    policy.open = false;
    const client = new PolicyClient(policy);
    const answers: string[] = [];
    trial(client, 'a', [1, 1], answers);
    trial(client, 'b', [3], answers);
    await settle();
    expect(policy.calls).toBe(2);
    expect(policy.log).toEqual([['a/0', 'b/0'], ['b/0'], ['b/0'], ['a/1']]);

    const failing = new StepPolicy();
    failing.failAt = 2;
    const other = new PolicyClient(failing);
    const got: string[] = [];
    trial(other, 'a', [1], got);
    trial(other, 'b', [5], got);
    await settle();
    expect(got[0]).toBe('a/0 done');
    expect(got[1]).toMatch(/^error: PolicyError: policy steps failed on a batch of 1/);
    const direct = await other.submit(req('c', 1)).catch((e: unknown) => e);
    expect(direct).not.toBeInstanceOf(PolicyError); // the client runs on after a failed batch
  });
});
