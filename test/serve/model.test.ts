import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../../src/learner/checkpoint.js';
import { hfConfig, initParams, paramShapes } from '../../src/learner/model.js';
import { OnnxPolicy } from '../../src/policy/onnx/policy.js';
import { loadServeModel } from '../../src/serve/model.js';
import { TINY } from '../policy/onnx/tiny-model.js';

const ask = {
  key: 'k',
  messages: [{ role: 'user' as const, content: 'hi' }],
  sampling: { temperature: 0, maxTokens: 6 },
};

describe('lamer serve model choice', () => {
  it('serves the built-in model from the latest checkpoint, with its step as policy version', async () => {
    const root = await mkdtemp(join(tmpdir(), 'lamer-ck-'));
    const params = initParams(TINY, 9);
    const tensors = Object.fromEntries(
      Object.entries(paramShapes(TINY)).map(([n, shape]) => [
        n,
        { dtype: 'F32' as const, shape, data: params[n]! },
      ]),
    );
    await saveCheckpoint(root, {
      step: 3,
      config: { ...hfConfig(TINY), lamer_model: TINY },
      params: tensors,
    });
    const { policy, name } = await loadServeModel({ checkpoint: root });
    const direct = await OnnxPolicy.fromParams(TINY, params);
    const [a] = await policy.generate([ask]);
    const [b] = await direct.generate([ask]);
    expect(name).toBe('lamer-builtin');
    expect(a!.policyVersion).toBe(3);
    expect(a!.responseTokens).toEqual(b!.responseTokens);
    await Promise.all([policy.dispose(), direct.dispose()]);
    await rm(root, { recursive: true, force: true });
  });

  it('without --model or --checkpoint warns that the built-in model is untrained', async () => {
    const warnings: string[] = [];
    const { policy } = await loadServeModel({ seed: 5, logger: (m) => warnings.push(m) });
    expect(warnings.join('\n')).toMatch(/UNTRAINED/);
    await policy.dispose();
    await expect(loadServeModel({ model: 'x', checkpoint: 'y' })).rejects.toThrow(/either --model/);
  });
});
