import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRollout } from '../../../src/actors/provide.js';
import { registerBuiltinEnvs } from '../../../src/envs/builtin.js';
import { OnnxPolicy } from '../../../src/policy/onnx/policy.js';
import { renderPrompt, TokenConsistencyError, trainingTokens } from '../../../src/policy/onnx/tokens.js';
import type { TurnSample } from '../../../src/streams/types.js';
import { exportTiny } from './tiny-model.js';

let dir: string;
let policy: OnnxPolicy;
let samples: TurnSample[];

beforeAll(async () => {
  ({ dir } = await exportTiny(5));
  policy = await OnnxPolicy.load(dir);
  registerBuiltinEnvs();
  const records = await runRollout({
    envId: 'MineSweeper-v0',
    tasks: [{ seed: 1 }, { seed: 2 }, { seed: 3 }],
    trialsPerTask: 2,
    trial: {
      attempts: 2,
      maxTurns: 2,
      style: 'compact',
      // Stop strings that random text hits often, so replies end on stop strings, end tokens and budgets.
      sampling: { temperature: 1, topK: 40, topP: 0.95, maxTokens: 24, stop: ['e', '</action>'] },
    },
    runId: 'tokens',
    policy,
  });
  samples = records.flatMap((r) => r.samples);
});
afterAll(async () => {
  await policy.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('token-exact consistency between rollout and training', () => {
  it('every turn of a real rollout rebuilds to exactly the ids the policy saw and sampled', () => {
    expect(samples.length).toBeGreaterThan(10);
    expect(samples.some((s) => s.phase === 'reflect')).toBe(true);
    const stopped = samples.filter((s) => s.responseTokens!.length < 24);
    expect(stopped.length).toBeGreaterThan(0); // some replies ended on a stop string before the budget
    for (const s of samples) {
      expect(s.promptTokens).toBeDefined();
      const t = trainingTokens(s, policy.promptCodec);
      expect(t.promptTokens).toEqual(s.promptTokens);
      expect(t.responseTokens).toEqual(s.responseTokens);
      expect(t.logprobs).toEqual(s.logprobs);
      expect(s.response.includes('e')).toBe(false); // the stop string is not part of the text
    }
  });

  it('the prompt ids hold the chat special tokens as single ids (not spelled out in bytes)', () => {
    const { tokenizer } = policy.promptCodec;
    const start = tokenizer.tokenToId('<|im_start|>')!;
    const end = tokenizer.tokenToId('<|im_end|>')!;
    const s = samples[0]!;
    expect(s.promptTokens![0]).toBe(start);
    expect(s.promptTokens!.filter((id) => id === start)).toHaveLength(2); // user turn, assistant prefix
    expect(s.promptTokens!.filter((id) => id === end)).toHaveLength(1);
    const rendered = renderPrompt(policy.promptCodec, [{ role: 'user', content: s.prompt }]);
    expect(rendered.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n')).toBe(true);
    expect(tokenizer.decode(s.promptTokens!)).toBe(rendered);
  });

  it('a prompt that no longer renders to the rollout ids is refused, naming the token', () => {
    const s = samples[0]!;
    expect(() => trainingTokens({ ...s, prompt: `${s.prompt} ` }, policy.promptCodec)).toThrow(
      TokenConsistencyError,
    );
    const other = { ...s, promptTokens: [...s.promptTokens!] };
    other.promptTokens[3] = (other.promptTokens[3]! + 1) % 1000;
    expect(() => trainingTokens(other, policy.promptCodec)).toThrow(/at token 3/);
  });

  it('a turn without sampled ids (HTTP or scripted policy) cannot be trained on', () => {
    const { responseTokens: _drop, ...rest } = samples[0]!;
    expect(() => trainingTokens(rest as TurnSample, policy.promptCodec)).toThrow(/no response token ids/);
    expect(() => trainingTokens({ ...samples[0]!, response: 'something else' }, policy.promptCodec)).toThrow(
      TokenConsistencyError,
    );
  });

  it('concurrent episodes reach the model as batched generations (the policy client micro-batches)', () => {
    // 6 trials run at once; the client waits for one request per running trial before calling generate.
    expect(Math.max(...policy.stats.batchSizes)).toBeGreaterThan(1);
    expect(policy.stats.batchSizes.reduce((a, b) => a + b, 0)).toBe(samples.length);
  });
});
