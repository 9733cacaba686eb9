/**
 * Our Llama / Qwen2 / Qwen3 graphs against PyTorch (test/fixtures/hf/hf_reference.py, written from
 * Hugging Face's modeling code; goldens committed, regenerate with `npm run make:hf-goldens`): base
 * and LoRA logits, the PPO loss and its LoRA gradients, and one clipped AdamW step, on tiny random
 * checkpoints of each architecture (F32 and BF16, tied and untied, GQA, sharded, the real Qwen3
 * vocabulary) loaded through the hf: path (config.json, safetensors headers, external weights).
 * Every comparison: max |ours − torch| / max |torch| per tensor ≤ 1e-4.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ADAMW_CONFIG } from '../../../src/learner/adamw.js';
import * as G from '../../../src/learner/graph/index.js';
import { modelConfigFromHf } from '../../../src/learner/hf/config.js';
import { externalWeights, readHfCheckpoint } from '../../../src/learner/hf/weights.js';
import { buildInferenceGraph } from '../../../src/learner/inference.js';
import { DEFAULT_LOSS_CONFIG } from '../../../src/learner/loss.js';
import { createOrtSession } from '../../../src/learner/session-core.js';
import { optimizerFeeds } from '../../../src/learner/train-state.js';
import { buildApplyGraph, buildGradGraph, trainGraphConfig } from '../../../src/learner/train-step.js';
import {
  type CaseInputs,
  caseInputs,
  checkpointHash,
  fromBase64,
  TINY_HF_CASES,
  type TinyHfCase,
  writeTinyHf,
} from '../../fixtures/hf/tiny-hf.js';

interface Golden {
  checkpoint_sha256: string;
  logits: { picked: number[]; values: string };
  lora_logits: string;
  loss: number;
  pg_loss: number;
  entropy: number;
  old_logprobs: string;
  grads: Record<string, string>;
  grad_norm: number;
  after_step: Record<string, string>;
}

const goldenOf = (name: string): Golden =>
  JSON.parse(readFileSync(new URL(`../../fixtures/hf/goldens/${name}.json`, import.meta.url), 'utf8'));

/** Largest relative error per kind of value, over all cases (printed with SHOW_REL=1 for the docs). */
const worst: Record<string, number> = {};
afterAll(() => {
  if (process.env.SHOW_REL) console.log('max relative error vs PyTorch:', JSON.stringify(worst));
});

/** Assert max |a − b| / max |b| ≤ 1e-4, keeping the largest per kind. */
function expectClose(kind: string, a: ArrayLike<number>, b: ArrayLike<number>, label = kind): void {
  const r = relError(a, b);
  worst[kind] = Math.max(worst[kind] ?? 0, r);
  expect(r, label).toBeLessThan(1e-4);
}

/** max |a − b| / max |b|. */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / Math.max(den, 1e-30);
}

const i64 = (rows: number[][]) =>
  new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [rows.length, rows[0]!.length]);
const f32 = (values: ArrayLike<number>, dims: number[]) =>
  new ort.Tensor('float32', Float32Array.from(values), dims);

/** The golden's order: at each real position, the log-sum-exp, then the picked ids' logits. */
function logitSummary(logits: Float32Array, x: CaseInputs, V: number): number[] {
  const out: number[] = [];
  const T = x.inputIds[0]!.length;
  for (const [b, row] of x.attentionMask.entries())
    for (const [t, m] of row.entries()) {
      if (!m) continue;
      const r = logits.subarray((b * T + t) * V, (b * T + t + 1) * V);
      let mx = -Infinity;
      for (const v of r) mx = Math.max(mx, v);
      let s = 0;
      for (const v of r) s += Math.exp(v - mx);
      out.push(mx + Math.log(s), ...x.picked.map((i) => r[i]!));
    }
  return out;
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lamer-hf-goldens-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function load(c: TinyHfCase) {
  const dir = join(root, c.name);
  await writeTinyHf(dir, c);
  const golden = goldenOf(c.name);
  if ((await checkpointHash(dir)) !== golden.checkpoint_sha256)
    throw new Error(
      `the ${c.name} checkpoint differs from the goldens' one: run \`npm run make:hf-goldens\``,
    );
  const config = modelConfigFromHf(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')), dir);
  const ck = await readHfCheckpoint(dir, config);
  const weights = await externalWeights(ck, join(root, 'cache'));
  return { dir, golden, config, weights, x: caseInputs(c) };
}

describe.each(TINY_HF_CASES.map((c) => [c.name, c] as const))('%s against PyTorch', (_name, c) => {
  it('reads back its config, and gives the base and LoRA logits, the PPO loss, LoRA gradients and one AdamW step', async () => {
    const { golden, config, weights, x } = await load(c);
    expect(config).toEqual(c.config);
    const settings = { externalDataDir: weights.dir };
    const B = x.inputIds.length;
    const T = x.inputIds[0]!.length;
    const adapters = Object.fromEntries(
      Object.entries(x.adapters).map(([n, v]) => [
        n,
        f32(
          v,
          n.includes('lora_A')
            ? [x.lora.rank, v.length / x.lora.rank]
            : [v.length / x.lora.rank, x.lora.rank],
        ),
      ]),
    );
    const empty = new ort.Tensor('float32', new Float32Array(0), [B, config.nKvHeads, 0, config.headDim]);
    const past = Object.fromEntries(
      Array.from({ length: config.nLayers }, (_, i) => [
        [`past_key_values.${i}.key`, empty],
        [`past_key_values.${i}.value`, empty],
      ]).flat(),
    );
    const feeds = {
      input_ids: i64(x.inputIds),
      attention_mask: i64(x.attentionMask),
      position_ids: i64(x.positionIds),
      ...past,
    };
    for (const lora of [false, true]) {
      const graph = buildInferenceGraph(config, {
        weights: 'external',
        external: weights,
        ...(lora ? { lora: x.lora } : {}),
      });
      const { session } = await createOrtSession(G.compileGraph(graph), settings);
      const out = await session.run({ ...feeds, ...(lora ? adapters : {}) });
      const got = logitSummary(out.logits!.data as Float32Array, x, config.vocabSize);
      const want = fromBase64(lora ? golden.lora_logits : golden.logits.values);
      expectClose(lora ? 'lora logits' : 'base logits', got, want);
      await session.release();
    }

    // The PPO loss over the response window, its gradients w.r.t. the adapters, then clip + AdamW.
    const cfg = trainGraphConfig({
      model: config,
      loss: {
        ...DEFAULT_LOSS_CONFIG,
        kind: 'ppo',
        clipLow: x.loss.clip,
        clipHigh: x.loss.clip,
        clipRatioC: x.loss.clipRatioC,
        entropyCoef: x.loss.entropyCoef,
      },
      optim: { ...DEFAULT_ADAMW_CONFIG, ...x.adamw },
      frozen: { external: weights },
      lora: x.lora,
      window: true,
    });
    const R = x.targets.length;
    const grad = (await createOrtSession(G.compileGraph(buildGradGraph(cfg)), settings)).session;
    const out = await grad.run({
      ...adapters,
      input_ids: i64(x.inputIds),
      attention_mask: i64(x.attentionMask),
      target_index: i64([x.targets.map(([b, t]) => b * T + t - 1)]),
      target_ids: i64([x.targets.map(([b, t]) => x.inputIds[b]![t]!)]),
      loss_mask: f32(new Float32Array(R).fill(1), [1, R]),
      advantages: f32(x.advantages, [1, R]),
      old_logprobs: f32(fromBase64(golden.old_logprobs), [1, R]),
      num_tokens: f32([R], []),
    });
    const scalar = (name: string) => (out[name]!.data as Float32Array)[0]!;
    expectClose(
      'loss, pg_loss, entropy',
      [scalar('loss'), scalar('pg_loss'), scalar('entropy')],
      [golden.loss, golden.pg_loss, golden.entropy],
    );
    const grads: Record<string, Float32Array> = {};
    for (const [name, b64] of Object.entries(golden.grads)) {
      grads[name] = out[`grad.${name}`]!.data as Float32Array;
      expectClose('LoRA gradients', grads[name]!, fromBase64(b64), `gradient of ${name}`);
    }
    const apply = (await createOrtSession(G.compileGraph(buildApplyGraph(cfg)), settings)).session;
    const zeros = (v: Float32Array) => new Float32Array(v.length);
    const state = {
      params: x.adapters,
      m: Object.fromEntries(Object.entries(x.adapters).map(([n, v]) => [n, zeros(v)])),
      v: Object.fromEntries(Object.entries(x.adapters).map(([n, v]) => [n, zeros(v)])),
      step: 0,
    };
    const opt: Record<string, ort.Tensor> = {};
    for (const [n, t] of Object.entries(optimizerFeeds(cfg, state, x.adamw.lr)))
      opt[n] = f32(t.data as Float32Array, [...t.dims]);
    for (const [n, g] of Object.entries(grads)) opt[`grad.${n}`] = f32(g, [...opt[n]!.dims]);
    const next = await apply.run(opt);
    expectClose('grad norm', [(next.grad_norm!.data as Float32Array)[0]!], [golden.grad_norm]);
    for (const [name, b64] of Object.entries(golden.after_step))
      expectClose('after one AdamW step', next[`new.${name}`]!.data as Float32Array, fromBase64(b64), name);
    await grad.release();
    await apply.release();
  });
});
