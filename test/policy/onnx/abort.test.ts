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

/** A signal that reads as aborted from its `n`-th read on: the policy reads it once per decode step. */
function abortsOnRead(n: number): AbortSignal {
  let reads = 0;
  return {
    get aborted() {
      reads++;
      return reads >= n;
    },
  } as AbortSignal;
}

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
    const long = { temperature: 1, seed: 5, maxTokens: 60, stop: [] };
    const others = [req('b', 'second'), req('cc', 'third')];
    const alone = await policy.generate(others);
    const gens = await policy.generate([
      { ...req('a', 'first'), sampling: long, signal: abortsOnRead(4) }, // read at the start, then per step
      ...others,
    ]);
    expect(gens[0]!.finishReason).toBe('error');
    expect(gens[0]!.text).toBe('');
    expect(gens[0]!.responseTokens!.length).toBeGreaterThan(0); // it did run
    expect(gens[0]!.responseTokens!.length).toBeLessThan(4); // and stopped at its abort, not at 60 tokens
    expect(gens.slice(1).map((g) => [g.responseTokens, g.logprobs])).toEqual(
      alone.map((g) => [g.responseTokens, g.logprobs]),
    );
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
