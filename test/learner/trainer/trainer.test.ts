import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NothingToResumeError, Trainer } from '../../../src/learner/trainer/index.js';
import { BAD, credited, GOOD, goodBadBatch, PROMPT, sample, sum, tinyTrainerConfig } from './fixtures.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'lamer-trainer-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const quiet = { logger: () => {} };
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const copy = (p: Readonly<Record<string, Float32Array>>) =>
  Object.fromEntries(Object.entries(p).map(([n, a]) => [n, Float32Array.from(a)]));

describe('Trainer (PPO)', () => {
  it('raises the log-prob of positively-advantaged responses and lowers the negative ones', async () => {
    const trainer = await Trainer.create(tinyTrainerConfig(), quiet);
    const turns = [
      { promptTokens: PROMPT, responseTokens: GOOD },
      { promptTokens: PROMPT, responseTokens: BAD },
    ];
    const [good0, bad0] = (await trainer.responseLogprobs(turns)).map(sum);
    const stats = [];
    for (let v = 0; v < 3; v++) stats.push(await trainer.trainPpo(goodBadBatch(v)));
    const [good1, bad1] = (await trainer.responseLogprobs(turns)).map(sum);
    expect(good1).toBeGreaterThan(good0! + 0.1);
    expect(bad1).toBeLessThan(bad0! - 0.1);
    expect(stats.map((s) => [s.step, s.policyVersion, s.updates])).toEqual([
      [1, 1, 1],
      [2, 2, 1],
      [3, 3, 1],
    ]);
    // on-policy old log-probs: the single update of a step starts at ratio 1
    expect(stats[0]!.approxKl).toBeCloseTo(0, 6);
    expect(stats[0]!.clipFrac).toBe(0);
    expect(stats[0]!.tokens).toBe(8);
    expect(Number.isFinite(stats[0]!.gradNorm)).toBe(true);
    await trainer.dispose();
  });

  it("scores tokens at the rollouts' temperature in both the old log-probs and the update", async () => {
    const turns = [
      { promptTokens: PROMPT, responseTokens: GOOD },
      { promptTokens: PROMPT, responseTokens: BAD },
    ];
    const plain = await Trainer.create(tinyTrainerConfig(), quiet);
    const cold = await Trainer.create(tinyTrainerConfig({ temperature: 0.5 }), quiet);
    const [p, c] = [await plain.responseLogprobs(turns), await cold.responseLogprobs(turns)];
    // Same initial weights; at T = 0.5 the likelier tokens get likelier and the others less likely.
    expect(c.flat().some((x, i) => Math.abs(x - p.flat()[i]!) > 0.05)).toBe(true);
    // Fed the log-probs it scored, the update's ratio starts at 1 only if it scores tokens at T too.
    const recorded = await Trainer.create(
      tinyTrainerConfig({ temperature: 0.5, oldLogprobs: 'recorded' }),
      quiet,
    );
    const batch = goodBadBatch(0);
    batch.samples.forEach((s, i) => {
      s.logprobs = c[i]!;
    });
    const stats = await recorded.trainPpo(batch);
    expect(stats.approxKl).toBeCloseTo(0, 6);
    expect(stats.clipFrac).toBe(0);
    await plain.dispose();
    await cold.dispose();
    await recorded.dispose();
    expect(() => tinyTrainerConfig({ temperature: 0 })).toThrow(/temperature/);
  });

  it("takes the first mini-batch's old log-probs from its own forward pass: no pass before it, same update", async () => {
    type Graphs = { graphs: { logprobs: (...a: unknown[]) => Promise<unknown> } };
    const rowsScored = (t: Trainer) => {
      const graphs = (t as unknown as Graphs).graphs;
      const rows: number[] = [];
      const inner = graphs.logprobs.bind(graphs);
      graphs.logprobs = (params, feeds) => {
        rows.push((feeds as { input_ids: { dims: number[] } }).input_ids.dims[0]!);
        return inner(params, feeds);
      };
      return rows;
    };
    const onPolicy = await Trainer.create(tinyTrainerConfig(), quiet);
    const fed = await Trainer.create(tinyTrainerConfig({ oldLogprobs: 'recorded' }), quiet);
    const rows = rowsScored(onPolicy);
    // the reference's way: old log-probs scored with the weights before the step, then fed
    const batch = goodBadBatch(0);
    const before = await fed.responseLogprobs(
      batch.samples.map((s) => ({ promptTokens: s.promptTokens!, responseTokens: s.responseTokens! })),
    );
    const fedBatch = goodBadBatch(0);
    fedBatch.samples.forEach((s, i) => {
      s.logprobs = before[i]!;
    });
    const [a, b] = [await onPolicy.trainPpo(batch), await fed.trainPpo(fedBatch)];
    expect(rows).toEqual([]);
    expect(a.approxKl).toBe(0);
    expect(a.loss).toBeCloseTo(b.loss, 6);
    for (const [n, w] of Object.entries(onPolicy.params)) {
      const other = fed.params[n]!;
      w.forEach((x, i) => {
        expect(Math.abs(x - other[i]!), n).toBeLessThan(1e-6);
      });
    }
    // two mini-batches: only the second one's samples are scored before the step
    const split = await Trainer.create(
      tinyTrainerConfig({ miniBatchSize: 2, lastMiniBatch: 'partial' }),
      quiet,
    );
    const splitRows = rowsScored(split);
    expect((await split.trainPpo(goodBadBatch(0))).updates).toBe(2);
    expect(splitRows).toEqual([2]);
    for (const t of [onPolicy, fed, split]) await t.dispose();
  });

  it('a KL penalty to the reference weights (loss.klCoef) holds the policy near them', async () => {
    const turns = [
      { promptTokens: PROMPT, responseTokens: GOOD },
      { promptTokens: PROMPT, responseTokens: BAD },
    ];
    const drift = async (klCoef: number) => {
      const trainer = await Trainer.create(tinyTrainerConfig({ loss: { klCoef } }), quiet);
      const before = (await trainer.responseLogprobs(turns)).map(sum);
      const stats = [];
      for (let v = 0; v < 6; v++) stats.push(await trainer.trainPpo(goodBadBatch(v)));
      const after = (await trainer.responseLogprobs(turns)).map(sum);
      await trainer.dispose();
      expect(stats.every((s) => s.updates === 1 && Number.isFinite(s.loss))).toBe(true);
      // the KL to the reference: reported only with the penalty on; 0 before the first update
      if (klCoef === 0) expect(stats.every((s) => s.kl === undefined)).toBe(true);
      else {
        expect(stats[0]!.kl).toBeCloseTo(0, 6);
        expect(stats[5]!.kl).toBeGreaterThan(1e-4);
      }
      return Math.abs(after[0]! - before[0]!) + Math.abs(after[1]! - before[1]!);
    };
    const free = await drift(0);
    const held = await drift(2);
    expect(free).toBeGreaterThan(0.5);
    expect(held).toBeLessThan(free * 0.7);
  });

  it("aggregates the loss per token ('token-mean') or per sample ('seq-mean-token-mean')", async () => {
    // a 4-token reply with advantage +1 and a 1-token reply with -1, one update at ratio 1:
    // token-mean pg loss = -(4 - 1) / 5; seq-mean-token-mean = -(1 - 1) / 2 = 0
    const batch = credited(
      [
        sample({ prompt: PROMPT, response: [5, 6, 7, 8], turn: 0 }),
        sample({ prompt: PROMPT, response: [9], turn: 1 }),
      ],
      [1, -1],
    );
    const pgLoss = async (lossAgg: 'token-mean' | 'seq-mean-token-mean') => {
      const trainer = await Trainer.create(tinyTrainerConfig({ lossAgg }), quiet);
      const stats = await trainer.trainPpo(batch);
      await trainer.dispose();
      return stats.pgLoss;
    };
    expect(await pgLoss('token-mean')).toBeCloseTo(-0.6, 5);
    expect(await pgLoss('seq-mean-token-mean')).toBeCloseTo(0, 5);
  });

  it("uses stale samples with their recorded log-probs, or drops them with staleness 'drop'", async () => {
    const stale = [
      sample({ prompt: PROMPT, response: GOOD, version: 0, logprobs: [-1, -1] }),
      sample({ prompt: PROMPT, response: BAD, version: 0 }), // no recorded log-probs: cannot be used
    ];
    for (const staleness of ['use', 'drop'] as const) {
      const trainer = await Trainer.create(tinyTrainerConfig({ staleness }), quiet);
      await trainer.trainPpo(goodBadBatch(0));
      const fresh = goodBadBatch(1);
      const batch = credited([...stale, ...fresh.samples], [1, 1, ...fresh.advantages]);
      const s = await trainer.trainPpo(batch);
      expect([s.staleUsed, s.staleDropped, s.samples]).toEqual(staleness === 'use' ? [1, 1, 5] : [0, 2, 4]);
      // with recorded log-probs far from the current ones, the first update is off-policy
      if (staleness === 'use') expect(Math.abs(s.approxKl)).toBeGreaterThan(0.01);
      await trainer.dispose();
    }
  });

  it('rejects samples from a newer policy version than its own, and overlapping steps', async () => {
    const trainer = await Trainer.create(tinyTrainerConfig(), quiet);
    const running = trainer.trainPpo(goodBadBatch(0));
    await expect(trainer.trainPpo(goodBadBatch(0))).rejects.toThrow(/a training step is already running/);
    expect((await running).updates).toBe(1);
    await expect(trainer.trainPpo(goodBadBatch(3))).rejects.toThrow(
      /comes from policy version 3, but the trainer is at version 1/,
    );
    await trainer.dispose();
  });

  it('stops a step whose loss is not finite, keeps the weights and says so', async () => {
    const messages: string[] = [];
    const trainer = await Trainer.create(tinyTrainerConfig(), { logger: (m) => messages.push(m) });
    await trainer.trainPpo(goodBadBatch(0));
    const before = copy(trainer.params);
    const moments = copy(trainer.trainState.m);
    const batch = goodBadBatch(1);
    batch.advantages[0] = Number.NaN;
    const s = await trainer.trainPpo(batch);
    expect(s.stopped).toBe(true);
    expect(s.updates).toBe(0);
    expect(s.policyVersion).toBe(1);
    expect(s.message).toMatch(
      /step 2: non-finite loss \(NaN\) in mini-batch 1 of 1; .*weights of policy version 1 were kept/,
    );
    expect(messages).toContain(s.message);
    expect(trainer.params).toEqual(before);
    expect(trainer.trainState.m).toEqual(moments);
    expect(trainer.trainState.step).toBe(1);
    // training goes on from the kept weights
    expect((await trainer.trainPpo(goodBadBatch(1))).updates).toBe(1);
    // a NaN among recorded old log-probs (NaN is the loss graph's on-policy marker) stops the step too
    const stale = goodBadBatch(1);
    stale.samples[1]!.logprobs = [-0.5, Number.NaN];
    const t = await trainer.trainPpo(stale);
    expect([t.stopped, t.updates]).toEqual([true, 0]);
    expect(t.message).toMatch(/non-finite old log-probs \(NaN\) for turn task#0\/0\/1\/play/);
    await trainer.dispose();
  });

  it('skips an update whose gradient norm overflows (loss finite) and goes on', async () => {
    const messages: string[] = [];
    const trainer = await Trainer.create(tinyTrainerConfig(), { logger: (m) => messages.push(m) });
    const before = copy(trainer.params);
    const s = await trainer.trainPpo(credited(goodBadBatch(0).samples, [1e30, -1e30, 1e30, -1e30]));
    expect([s.stopped, s.updates, s.skippedUpdates, s.policyVersion]).toEqual([false, 0, 1, 0]);
    expect(s.message).toMatch(/1 update\(s\) skipped \(non-finite gradient norm\)/);
    expect(messages).toContain(s.message);
    expect(trainer.params).toEqual(before);
    expect(trainer.trainState.step).toBe(0);
    await trainer.dispose();
  });
});

describe('Trainer.create', () => {
  it('starts from given weights (a warm-start model) and checks their shapes', async () => {
    const donor = await Trainer.create(tinyTrainerConfig({ seed: 99 }), quiet);
    const t = await Trainer.create(tinyTrainerConfig(), { ...quiet, initialParams: donor.params });
    expect(t.params).toEqual(donor.params);
    expect(t.params['model.norm.weight']).not.toBe(donor.params['model.norm.weight']); // copied
    const bad = { ...donor.params, 'model.norm.weight': new Float32Array(3) };
    await expect(Trainer.create(tinyTrainerConfig(), { ...quiet, initialParams: bad })).rejects.toThrow(
      /initialParams: "model.norm.weight" must be a Float32Array of 16 values \(shape \[16\]\)/,
    );
  });
});

describe('Trainer (supervised warm start)', () => {
  it('lowers the cross-entropy of the response tokens', async () => {
    const trainer = await Trainer.create(tinyTrainerConfig({ lr: { kind: 'constant', lr: 0.05 } }), quiet);
    const examples = [
      { promptTokens: PROMPT, responseTokens: GOOD },
      { promptTokens: [1, 2, 4], responseTokens: [9, 10, 11] },
    ];
    const first = await trainer.trainSupervised(examples);
    let last = first;
    for (let i = 0; i < 15; i++) last = await trainer.trainSupervised(examples);
    expect(first.mode).toBe('ce');
    expect(last.loss).toBeLessThan(first.loss * 0.3);
    await trainer.dispose();
  });
});

describe('Trainer checkpoints and resume', () => {
  const batches = [0, 1, 2, 3, 4].map((v) => goodBadBatch(v));
  // shuffle on and odd mini-batches: the RNG state and AdamW moments must both be restored exactly
  const config = (dir: string) =>
    tinyTrainerConfig({ shuffle: true, miniBatchSize: 3, checkpoint: { dir, every: 2, keepLast: 2 } });

  it('resumed after a crash, reaches the same parameters bit for bit as an uninterrupted run', async () => {
    const straightDir = await tempDir();
    const straight = await Trainer.create(config(straightDir), quiet);
    for (const b of batches) await straight.trainPpo(b);
    await straight.dispose();

    const dir = await tempDir();
    const first = await Trainer.create(config(dir), quiet);
    const saved = [];
    for (const b of batches.slice(0, 3)) saved.push((await first.trainPpo(b)).checkpoint);
    expect(saved).toEqual([undefined, join(dir, 'step-000002'), undefined]);
    await first.dispose(); // "crash" after step 3: step 3 is lost, step 2 is on disk

    const resumed = await Trainer.create(config(dir), { ...quiet, resume: true });
    expect([resumed.step, resumed.policyVersion]).toEqual([2, 2]);
    for (const b of batches.slice(2)) await resumed.trainPpo(b);
    expect(resumed.trainState.step).toBe(straight.trainState.step);
    for (const part of ['params', 'm', 'v'] as const)
      for (const [n, a] of Object.entries(straight.trainState[part]))
        expect(bytes(resumed.trainState[part][n]!).equals(bytes(a)), `${part} ${n}`).toBe(true);
    await resumed.dispose();
  });

  it('saves a snapshot taken earlier with extra state, and refuses to resume from nothing', async () => {
    const dir = await tempDir();
    const manual = (d: string) =>
      tinyTrainerConfig({ shuffle: true, miniBatchSize: 3, checkpoint: { dir: d } });
    const t = await Trainer.create(manual(dir), quiet);
    await t.trainPpo(batches[0]!);
    const at = t.snapshot();
    const kept = bytes(t.params['model.embed_tokens.weight']!);
    await t.trainPpo(batches[1]!); // the trainer goes on; the snapshot does not move with it
    await t.checkpoint({ at, extra: { note: 'mine', order: [3, 1] } });
    await t.dispose();
    const resumed = await Trainer.create(manual(dir), { ...quiet, resume: true });
    expect([resumed.step, resumed.policyVersion]).toEqual([1, 1]);
    expect(resumed.resumedState).toEqual({ note: 'mine', order: [3, 1] });
    expect(bytes(resumed.params['model.embed_tokens.weight']!).equals(kept)).toBe(true);
    await resumed.dispose();
    await expect(Trainer.create(config(await tempDir()), { ...quiet, resume: true })).rejects.toThrow(
      NothingToResumeError,
    );
    await expect(Trainer.create(config(await tempDir()), { ...quiet, resume: true })).rejects.toThrow(
      /nothing to resume: no checkpoint under /,
    );
  });

  it('refuses to start over a folder that already holds checkpoints unless resuming', async () => {
    const dir = await tempDir();
    const t = await Trainer.create(config(dir), quiet);
    await t.checkpoint();
    await t.dispose();
    await expect(Trainer.create(config(dir), quiet)).rejects.toThrow(/already holds a checkpoint \(step 0\)/);
    await expect(Trainer.create(tinyTrainerConfig(), { resume: true })).rejects.toThrow(
      /resume needs a checkpoint folder/,
    );
  });

  it('says which step lost its checkpoint and that the last complete one is usable when a save fails', async () => {
    const dir = await tempDir();
    const t = await Trainer.create(config(dir), quiet);
    await t.trainPpo(batches[0]!);
    await rm(dir, { recursive: true });
    await writeFile(dir, 'the folder was replaced by a file');
    await expect(t.trainPpo(batches[1]!)).rejects.toThrow(
      /step 2: saving the checkpoint under .* failed .*the newest complete checkpoint is still usable/,
    );
    await t.dispose();
  });

  it('fails before training when the output folder is unwritable or the disk is full', async () => {
    const root = await tempDir();
    const file = join(root, 'not-a-folder');
    await writeFile(file, 'x');
    await expect(Trainer.create(config(join(file, 'ckpt')), quiet)).rejects.toThrow(
      /cannot create the folder \(a file is in the way of the folder path\)/,
    );
    const full = { statfs: async () => ({ bavail: 10, bsize: 4096 }) };
    await expect(Trainer.create(config(join(root, 'a')), { ...quiet, preflightIo: full })).rejects.toThrow(
      /0\.0 MB free, but the run needs about .* MB for its checkpoints/,
    );
    const enospc = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    const failing = { write: async () => Promise.reject(enospc) };
    await expect(Trainer.create(config(join(root, 'b')), { ...quiet, preflightIo: failing })).rejects.toThrow(
      /cannot write a test file \(the disk is full\): free some space/,
    );
  });
});
