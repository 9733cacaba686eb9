/**
 * The Trainer on a Hugging Face checkpoint with LoRA: the frozen base stays in the sessions as
 * external data, only adapters and their moments are trained, saved and resumed; the KL penalty's
 * reference is the base model (a fresh adapter).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomHfParams } from '../../../src/learner/hf/tiny.js';
import { type ExternalWeights, externalWeights, readHfCheckpoint } from '../../../src/learner/hf/weights.js';
import { writeHfFolder } from '../../../src/learner/hf/write.js';
import { loraShapes } from '../../../src/learner/lora.js';
import { modelConfig } from '../../../src/learner/model.js';
import { Trainer } from '../../../src/learner/trainer/index.js';
import { BAD, GOOD, goodBadBatch, PROMPT, sum, tinyTrainerConfig } from './fixtures.js';

const MODEL = modelConfig({
  vocabSize: 16,
  dModel: 16,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  ffnHidden: 32,
  maxSeqLen: 24,
  qkNorm: true,
  tieEmbeddings: true,
});
const LORA = { rank: 4, alpha: 8 };
const quiet = { logger: () => {} };
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

let root: string;
let weights: ExternalWeights;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lamer-lora-trainer-'));
  const dir = join(root, 'model');
  await writeHfFolder(dir, { config: MODEL, params: randomHfParams(MODEL, 4, 0.5), dtype: 'BF16' });
  weights = await externalWeights(await readHfCheckpoint(dir, MODEL), join(root, 'cache'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const config = (extra: Parameters<typeof tinyTrainerConfig>[0] = {}) =>
  tinyTrainerConfig({
    model: MODEL,
    frozen: { external: weights },
    lora: LORA,
    lr: { kind: 'constant', lr: 0.05 },
    ...extra,
  });

describe('Trainer with LoRA over a frozen Hugging Face checkpoint', () => {
  it('trains the adapters only: raises the good answer, lowers the bad; a fresh adapter is the base (KL 0)', async () => {
    const trainer = await Trainer.create(config({ loss: { klCoef: 0.1 } }), quiet);
    expect(Object.keys(trainer.params).sort()).toEqual(
      Object.keys(loraShapes(MODEL, trainer.config.lora!)).sort(),
    );
    const turns = [
      { promptTokens: PROMPT, responseTokens: GOOD },
      { promptTokens: PROMPT, responseTokens: BAD },
    ];
    const [good0, bad0] = (await trainer.responseLogprobs(turns)).map(sum);
    const stats = [];
    for (let v = 0; v < 4; v++) stats.push(await trainer.trainPpo(goodBadBatch(v)));
    const [good1, bad1] = (await trainer.responseLogprobs(turns)).map(sum);
    expect(good1).toBeGreaterThan(good0! + 0.1);
    expect(bad1).toBeLessThan(bad0! - 0.1);
    expect(stats[0]!.kl).toBeCloseTo(0, 6); // the reference is the base model: a fresh adapter (B = 0)
    expect(stats[3]!.kl).toBeGreaterThan(0);
    await trainer.dispose();
  });

  it('saves adapters and moments, and resumes to the same adapters bit for bit', async () => {
    const batches = [0, 1, 2, 3].map((v) => goodBadBatch(v));
    const run = (dir: string) => config({ checkpoint: { dir, every: 2 } });
    const straight = await Trainer.create(run(join(root, 'straight')), quiet);
    for (const b of batches) await straight.trainPpo(b);
    const first = await Trainer.create(run(join(root, 'resumed')), quiet);
    for (const b of batches.slice(0, 3)) await first.trainPpo(b);
    await first.dispose();
    const resumed = await Trainer.create(run(join(root, 'resumed')), { ...quiet, resume: true });
    expect(resumed.step).toBe(2);
    for (const b of batches.slice(2)) await resumed.trainPpo(b);
    for (const part of ['params', 'm', 'v'] as const)
      for (const [n, a] of Object.entries(straight.trainState[part]))
        expect(bytes(resumed.trainState[part][n]!).equals(bytes(a)), `${part} ${n}`).toBe(true);
    await straight.dispose();
    await resumed.dispose();
    // A checkpoint of adapters is not resumed as another adapter shape.
    await expect(
      Trainer.create(config({ lora: { rank: 2 }, checkpoint: { dir: join(root, 'resumed'), every: 2 } }), {
        ...quiet,
        resume: true,
      }),
    ).rejects.toThrow(/lora.rank|shape/);
  });
});
