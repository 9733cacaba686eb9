/**
 * `lamer train --model hf:DIR` end to end on a tiny Llama folder (the built-in tokenizer's files, so
 * prompts stay short): LoRA from the pretrained weights with no warm start, the PEFT adapter written
 * at each checkpoint, `lamer export` (adapter, and merged: base + adapter folded into a plain HF
 * folder whose logits equal the adapted model's), and full fine-tuning as an option.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as G from '../../src/learner/graph/index.js';
import { readPeftAdapter } from '../../src/learner/hf/peft.js';
import { buildInferenceGraph } from '../../src/learner/inference.js';
import { createOrtSession } from '../../src/learner/session-core.js';
import { loadTrainerCheckpoint } from '../../src/learner/trainer/index.js';
import { readHfModel } from '../../src/policy/onnx/hf-model.js';
import type { TrainConfigInput } from '../../src/train/config.js';
import { exportRun } from '../../src/train/export.js';
import { runTraining } from '../../src/train/loop.js';
import { TINY_HF_MODEL as MODEL, tinyHfTrainConfig, writeTinyHfBase } from './hf-helpers.js';

let root: string;
let base: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lamer-hf-train-'));
  base = await writeTinyHfBase(root);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const config = (out: string, over: TrainConfigInput = {}) => tinyHfTrainConfig(base, out, over);

const quiet = { out: { write: () => true }, bars: false };

/** Logits of one sequence under a model folder's weights (optionally with an adapter). */
async function logits(dir: string, adapterDir?: string): Promise<Float32Array> {
  const m = await readHfModel(dir, { cacheDir: join(root, 'cache') });
  const a = adapterDir ? await readPeftAdapter(adapterDir, m.config) : undefined;
  const graph = buildInferenceGraph(m.config, {
    weights: 'external',
    external: m.weights,
    ...(a ? { lora: a.lora } : {}),
  });
  const { session } = await createOrtSession(G.compileGraph(graph), { externalDataDir: m.weights.dir });
  const ids = [5, 99, 3, 512, 7, 1000];
  const i64 = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v, BigInt), [1, v.length]);
  const empty = new ort.Tensor('float32', new Float32Array(0), [1, m.config.nKvHeads, 0, m.config.headDim]);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: i64(ids),
    attention_mask: i64(ids.map(() => 1)),
    position_ids: i64(ids.map((_, i) => i)),
    'past_key_values.0.key': empty,
    'past_key_values.0.value': empty,
  };
  for (const [n, v] of Object.entries(a?.adapters ?? {}))
    feeds[n] = new ort.Tensor(
      'float32',
      v,
      n.includes('lora_A')
        ? [a!.lora.rank, v.length / a!.lora.rank]
        : [v.length / a!.lora.rank, a!.lora.rank],
    );
  const out = (await session.run(feeds)).logits!.data as Float32Array;
  await session.release();
  return out;
}

describe('lamer train --model hf:DIR', () => {
  it('trains LoRA adapters from the pretrained weights (no warm start), writes them as PEFT, and exports them merged', async () => {
    const out = join(root, 'lora');
    const { report } = await runTraining(config(out), { io: quiet });
    expect(report.warmStart).toBeUndefined();
    expect(report.model).toMatch(/LoRA rank 2/);
    expect(report.history.filter((h) => h.train).map((h) => h.train!.updates)).toEqual([1, 1]);
    expect(report.history.every((h) => !h.train || Number.isFinite(h.train.loss))).toBe(true);
    const adapter = await readPeftAdapter(join(out, 'adapter'), MODEL);
    const ck = await loadTrainerCheckpoint(
      { model: MODEL, lora: adapter.lora },
      { dir: join(out, 'checkpoints'), every: 1 },
      () => {},
    );
    expect(ck!.snapshot.step).toBe(2);
    expect(adapter.adapters).toEqual(ck!.snapshot.state.params); // the adapter folder is the newest checkpoint's
    expect(Object.values(adapter.adapters).some((v) => v.some((x) => x !== 0) && v.length === 32 * 2)).toBe(
      true,
    );

    await exportRun(out, join(root, 'adapter-copy'));
    expect(existsSync(join(root, 'adapter-copy', 'adapter_config.json'))).toBe(true);
    const merged = join(root, 'merged');
    await exportRun(out, merged, { merge: true });
    expect(JSON.parse(await readFile(join(merged, 'config.json'), 'utf8'))).toEqual(
      JSON.parse(await readFile(join(base, 'config.json'), 'utf8')),
    );
    const [want, got] = [await logits(base, join(out, 'adapter')), await logits(merged)];
    const scale = Math.max(...want.map(Math.abs));
    let worst = 0;
    for (const [i, v] of got.entries()) worst = Math.max(worst, Math.abs(v - want[i]!) / scale);
    expect(worst).toBeLessThan(1e-5);
    expect(Math.max(...(await logits(base)).map((v, i) => Math.abs(v - want[i]!)))).toBeGreaterThan(1e-4); // the adapter did something
  });

  it('fine-tunes every weight with finetune: full, and exports the newest checkpoint', async () => {
    const out = join(root, 'full');
    const c = config(out, { steps: 1, hf: { dir: base, finetune: 'full' } as TrainConfigInput['hf'] });
    const { report } = await runTraining(c, { io: quiet });
    expect(report.model).toMatch(/full fine-tuning/);
    expect(existsSync(join(out, 'adapter'))).toBe(false);
    await exportRun(out, join(root, 'full-export'), { merge: true });
    expect(await logits(join(root, 'full-export'))).not.toEqual(await logits(base));
  });
});
