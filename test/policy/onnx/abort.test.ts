import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyError } from '../../../src/policy/errors.js';
import { OnnxPolicy } from '../../../src/policy/onnx/policy.js';
import { promptTokens } from '../../../src/policy/onnx/tokens.js';
import type { GenerationRequest } from '../../../src/policy/types.js';
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

const req = (key: string, content: string, extra: Partial<GenerationRequest> = {}): GenerationRequest => ({
  key,
  messages: [{ role: 'user', content }],
  sampling: { temperature: 1, seed: key.length * 7 + 1, maxTokens: 40, stop: [] },
  ...extra,
});

describe('OnnxPolicy: per-request abort signals and given prompt tokens', () => {
  it('a request aborted before its batch starts never enters it; the others reply as alone', async () => {
    const controller = new AbortController();
    controller.abort();
    const alone = await policy.generate([req('b', 'second'), req('cc', 'third')]);
    const batches = policy.stats.batchSizes.length;
    const aborted = policy.stats.abortedRows;
    const gens = await policy.generate([
      req('a', 'first', { signal: controller.signal }),
      req('b', 'second'),
      req('cc', 'third'),
    ]);
    expect(policy.stats.batchSizes.slice(batches)).toEqual([2]); // the aborted row took no place in the batch
    expect(policy.stats.abortedRows - aborted).toBe(1);
    expect(gens[0]).toMatchObject({ text: '', responseTokens: [], finishReason: 'error' });
    expect(gens.slice(1).map((g) => g.responseTokens)).toEqual(alone.map((g) => g.responseTokens));
  });

  it('a request aborted mid-generation leaves the batch at the next step; the other rows are unaffected', async () => {
    // The decode loop runs in the worker: the abort reaches it through memory shared with the main
    // thread, read before every token. The timer fires once the batch has started (its row entered
    // it) and long before a 400-token reply could end.
    const long = { temperature: 1, seed: 5, maxTokens: 400, stop: [] };
    const others = [req('b', 'second'), req('cc', 'third')];
    const alone = await policy.generate(others);
    const batches = policy.stats.batchSizes.length;
    const controller = new AbortController();
    const pending = policy.generate([
      { ...req('a', 'first'), sampling: long, signal: controller.signal },
      ...others,
    ]);
    setTimeout(() => controller.abort(), 0);
    const gens = await pending;
    expect(policy.stats.batchSizes.slice(batches)).toEqual([3]); // it entered the batch
    expect(gens[0]!.finishReason).toBe('error');
    expect(gens[0]!.text).toBe('');
    expect(gens[0]!.responseTokens!.length).toBeLessThan(400); // it stopped at its abort, not at its budget
    // Same tokens; log-probs up to float rounding (the second batch reuses the first one's prompts, prefix-store.ts).
    expect(gens.slice(1).map((g) => g.responseTokens)).toEqual(alone.map((g) => g.responseTokens));
    gens.slice(1).forEach((g, i) => {
      for (const [t, lp] of g.logprobs!.entries()) expect(lp).toBeCloseTo(alone[i]!.logprobs![t]!, 4);
    });
  });

  it('uses given prompt tokens instead of tokenizing the messages, and refuses ids the model does not have', async () => {
    const r = req('p', 'a prompt tokenized elsewhere');
    const ids = promptTokens(policy.promptCodec, r.messages);
    const [a] = await policy.generate([r]);
    const [b] = await policy.generate([{ ...r, messages: [], promptTokens: ids }]);
    expect(b!.promptTokens).toEqual(ids);
    expect(b!.responseTokens).toEqual(a!.responseTokens);
    const vocab = policy.promptCodec.tokenizer.vocabSize;
    await expect(policy.generate([{ ...r, promptTokens: [1, vocab] }])).rejects.toThrow(PolicyError);
    await expect(policy.generate([{ ...r, promptTokens: [] }])).rejects.toThrow(/the prompt has 0 tokens/);
  });
});
