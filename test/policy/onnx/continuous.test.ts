import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRollout } from '../../../src/actors/provide.js';
import { registerBuiltinEnvs } from '../../../src/envs/builtin.js';
import { OnnxPolicy } from '../../../src/policy/onnx/policy.js';
import type { AnsweredRequest, Generation, GenerationRequest } from '../../../src/policy/types.js';
import { exportTiny } from './tiny-model.js';

let dir: string;
let policy: OnnxPolicy;

beforeAll(async () => {
  ({ dir } = await exportTiny(1));
  policy = await OnnxPolicy.load(dir);
});
afterAll(async () => {
  await policy.dispose();
  await rm(dir, { recursive: true, force: true });
});

const req = (key: string, content: string, maxTokens: number, extra: Partial<GenerationRequest> = {}) => ({
  key,
  messages: [{ role: 'user' as const, content }],
  sampling: { temperature: 1, seed: key.length * 7 + 3, maxTokens, stop: [] },
  ...extra,
});

/**
 * Runs a continuous batch from `first`; each time a request is answered, `follow(key)` says which requests
 * join (the next turns). Returns every answer by key, and the keys in the order they were answered.
 */
async function runBatch(
  first: GenerationRequest[],
  follow: (answered: AnsweredRequest) => GenerationRequest[],
): Promise<{ replies: Map<string, Generation>; order: string[] }> {
  const replies = new Map<string, Generation>();
  const order: string[] = [];
  await policy.generateContinuous!(first, async (answered) => {
    const next: GenerationRequest[] = [];
    for (const a of answered) {
      expect(replies.has(a.request.key)).toBe(false); // every request answered once
      replies.set(a.request.key, a.generation);
      order.push(a.request.key);
      next.push(...follow(a));
    }
    return next;
  });
  return { replies, order };
}

describe('OnnxPolicy: continuous batching (rows answered as they end, new rows joining the running batch)', () => {
  it('is offered by the in-place cache; joined rows reply as they would alone, a longer prompt included', async () => {
    expect(policy.generateContinuous).toBeDefined();
    const lockStep = await OnnxPolicy.load(dir, { continuous: false });
    expect(lockStep.generateContinuous).toBeUndefined(); // a PolicyClient then sends lock-step calls
    await lockStep.dispose();
    const first = [
      req('a', 'short', 3),
      req('bb', 'a somewhat longer prompt here', 30),
      req('ccc', 'mid one', 12),
    ];
    // each answer of the first rows brings a next turn; 'a2' has a prompt far longer than the running rows' width
    const turns: Record<string, GenerationRequest> = {
      a: req('a2', `${'many words in a long joining prompt '.repeat(12)}end`, 9),
      ccc: req('ccc2', 'x', 5),
      a2: req('a3', 'third turn', 7),
    };
    // a wide batch first: the worker keeps its cache buffers, so the rows below move within them (in place)
    await policy.generate(Array.from({ length: 8 }, (_, i) => req(`w${i}`, 'wide '.repeat(60), 40)));
    const { replies, order } = await runBatch(first, (a) =>
      turns[a.request.key] ? [turns[a.request.key]!] : [],
    );
    expect(order[0]).toBe('a'); // answered at its own end, not with its batch's longest row
    expect(order.indexOf('a2')).toBeLessThan(order.indexOf('bb')); // a joined row ended while 'bb' ran
    expect([...replies.keys()].sort()).toEqual(['a', 'a2', 'a3', 'bb', 'ccc', 'ccc2']);
    const all = [...first, ...Object.values(turns)];
    const alone = await policy.generate(all);
    all.forEach((r, i) => {
      const g = replies.get(r.key)!;
      expect(g.finishReason).toBe(alone[i]!.finishReason);
      expect(g.responseTokens).toEqual(alone[i]!.responseTokens);
      expect(g.promptTokens).toEqual(alone[i]!.promptTokens);
      g.logprobs!.forEach((lp, t) => {
        expect(lp).toBeCloseTo(alone[i]!.logprobs![t]!, 4);
      });
    });
  });

  it('the same requests give the same batch twice: same replies, answered in the same order', async () => {
    const first = Array.from({ length: 6 }, (_, i) =>
      req(`k${i}`, `prompt number ${i} ${'z'.repeat(i * 5)}`, 4 + 5 * i),
    );
    const follow = (a: AnsweredRequest) =>
      a.request.key.length < 5 ? [req(`${a.request.key}+`, `${a.generation.text} next`, 6)] : [];
    const one = await runBatch(first, follow);
    const two = await runBatch(first, follow);
    expect(two.order).toEqual(one.order);
    expect(one.order).toHaveLength(6 + 6 + 6 + 6); // keys grow by one '+' a turn until 5 characters
    for (const [key, g] of one.replies)
      expect(two.replies.get(key)!.responseTokens).toEqual(g.responseTokens);
  });

  it('a joining request the model cannot take is answered at once with its error; a withdrawn row answers error', async () => {
    const controller = new AbortController();
    const tooLong = req('bad', 'x', 5, { sampling: { temperature: 1, seed: 1, maxTokens: 5, topP: 2 } });
    const { replies } = await runBatch([req('a', 'first', 2), req('long', 'runs on', 60)], (a) => {
      if (a.request.key === 'a')
        return [tooLong, req('w', 'withdrawn later', 200, { signal: controller.signal })];
      if (a.request.key === 'bad') {
        controller.abort(); // 'w' has joined: it leaves before its next token
        return [];
      }
      return [];
    });
    expect(replies.get('bad')).toMatchObject({ finishReason: 'error', text: '' });
    expect(String(replies.get('bad')!.error)).toMatch(/top_p/);
    expect(replies.get('w')!.finishReason).toBe('error');
    expect(replies.get('w')!.responseTokens!.length).toBeLessThan(200);
    expect(replies.get('long')!.responseTokens).toHaveLength(60);
  });

  it('a seeded rollout through continuous batches is the same run to run (fresh policies, same seed)', async () => {
    registerBuiltinEnvs();
    const play = async () => {
      const p = await OnnxPolicy.load(dir, { seed: 3 });
      try {
        const records = await runRollout({
          envId: 'MineSweeper-v0',
          tasks: [{ seed: 1 }, { seed: 2 }, { seed: 3 }],
          trialsPerTask: 3,
          trial: {
            attempts: 2,
            maxTurns: 3,
            style: 'compact',
            sampling: { temperature: 1, maxTokens: 12, seed: 9 },
          },
          concurrency: 6,
          runId: 'det',
          policy: p,
        });
        return { records, batches: p.stats.batchSizes.length };
      } finally {
        await p.dispose();
      }
    };
    const one = await play();
    const two = await play();
    const turns = one.records.flatMap((r) => r.samples);
    expect(turns.length).toBeGreaterThan(20);
    expect(one.batches).toBeGreaterThan(2); // rows joined the running batch (a batch's first rows, then each join)
    expect(two.records).toEqual(one.records);
  });
});
