/**
 * A request the model cannot take fails alone (issue 25): in a batch of rollouts (lamer eval,
 * training) one overlong prompt or bad setting used to reject the whole generate call, so every
 * trial of the batch failed. Now its generation is an error that names why (the trial fails with
 * that cause: policy-actor.ts) and the other rows reply as they would without it.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyError } from '../../../src/policy/errors.js';
import { OnnxPolicy } from '../../../src/policy/onnx/policy.js';
import type { GenerationRequest } from '../../../src/policy/types.js';
import { exportTiny } from './tiny-model.js';

let dir: string;
let policy: OnnxPolicy;

beforeAll(async () => {
  ({ dir } = await exportTiny(1));
  policy = await OnnxPolicy.load(dir, { prefixCacheBytes: 0 }); // exact log-probs: the second call repeats the first's prompts (prefix-store.ts would reuse them)
});
afterAll(async () => {
  await policy.dispose();
  await rm(dir, { recursive: true, force: true });
});

const req = (key: string, content: string, extra: Partial<GenerationRequest> = {}): GenerationRequest => ({
  key,
  messages: [{ role: 'user', content }],
  sampling: { temperature: 1, seed: 11, maxTokens: 12, stop: [] },
  ...extra,
});

describe('OnnxPolicy: a bad request in a batch', () => {
  it('fails alone with its cause; the others reply as without it', async () => {
    const good = [req('a', 'first'), req('cc', 'third')];
    const alone = await policy.generate(good);
    const overlong = req('b', 'second', { promptTokens: new Array<number>(policy.maxPositions!).fill(1) });
    const hot = { ...req('d', 'fourth'), sampling: { temperature: -1 } };
    const batches = policy.stats.batchSizes.length;
    const gens = await policy.generate([good[0]!, overlong, good[1]!, hot]);
    expect(policy.stats.batchSizes.slice(batches)).toEqual([2]); // the refused rows took no place in it
    expect([gens[0], gens[2]].map((g) => [g!.responseTokens, g!.logprobs])).toEqual(
      alone.map((g) => [g.responseTokens, g.logprobs]),
    );
    expect(gens[1]).toMatchObject({ text: '', finishReason: 'error' });
    expect(gens[1]!.error).toBeInstanceOf(PolicyError);
    expect((gens[1]!.error as Error).message).toBe(
      `request b: the prompt has ${policy.maxPositions} tokens; the model takes at most ${policy.maxPositions} (prompt and reply)`,
    );
    expect(gens[3]).toMatchObject({ finishReason: 'error' });
    expect((gens[3]!.error as Error).message).toBe('request d: temperature must be >= 0, got -1');
  });

  it('a call in which no request can run rejects with the first cause', async () => {
    const overlong = req('b', 'x', { promptTokens: new Array<number>(policy.maxPositions!).fill(1) });
    await expect(policy.generate([overlong, { ...overlong, key: 'c' }])).rejects.toThrow(
      /^request b: the prompt has \d+ tokens/,
    );
  });
});
