/**
 * The built-in model's decode-step graph for a fixed-capacity KV cache (our
 * fast path; exports keep the Hugging Face layout). In the HF layout every
 * step concatenates the whole cache into a new `present` tensor, and that
 * copy dominates decoding at large batches. Here the cache is an input of
 * capacity C (slots marked valid by `attention_bias`), the step outputs only the
 * new keys and values, and the worker writes them into its cache buffers in
 * place. The attention softmax runs over [past slots, the new token] without
 * concatenating them. The projections, norms and MLP are model.ts's own
 * (`attentionQkv`, `project`, `mlpBlock`; the norms in the form onnxruntime fuses, `rmsNormFusable`);
 * only the cache attention is here.
 * A test checks the tokens equal the full graph's.
 *
 * The step also computes each row's sampling weights for the untruncated draw (sampling.ts
 * `drawWeighted`): exp(logits / T − max / T) in float64, as the worker computed them with `Math.exp`
 * (the same float64 products and differences; onnxruntime's vectorised exp and V8's differ by at most
 * an ulp, ~2e-16 relative, so a draw changes only when its uniform falls that close to a boundary).
 * That exp over the vocabulary was ~13 µs a row in JavaScript, about a third of a decode run's time
 * per row at a rollout's width (0.29 ms at 8 rows for the d64×2 model).
 *
 * Inputs: input_ids, position_ids [B, 1] int64; attention_bias [B, C] float (0 for a valid slot,
 * -1e9 for padding and empty ones: added to the scores as it is);
 * past_key_values.{i}.key|value [B, K, C, hd]; inv_temperature [B, 1] float64 (1 / T; any finite
 * value for rows that do not draw untruncated); the weights by name.
 * Outputs: logits [B, 1, V]; weights [B, V] float64; new.{i}.key|value [B, K, 1, hd].
 */
import * as G from '../../learner/graph/index.js';
import {
  attentionQkv,
  groupQueries,
  lmHead,
  type ModelConfig,
  mlpBlock,
  project,
  rmsNormFusable,
  ropeAngles,
} from '../../learner/model.js';
import { modelTensors, type WeightSpec } from '../../learner/weights.js';

/** The decode step of a model whose weights are inputs (a model config), or as a weight spec says (frozen, LoRA). */
export function buildDecodeGraph(w: ModelConfig | WeightSpec): G.GraphSpec {
  const spec = 'model' in w ? w : { model: w };
  const c = spec.model;
  const tensors = modelTensors(spec);
  const p = tensors.params;
  const lora = tensors.lora;
  const hd = c.headDim;
  const inputIds = G.input('input_ids', 'int64', ['batch', 1]);
  const positionIds = G.input('position_ids', 'int64', ['batch', 1]);
  const attentionBias = G.input('attention_bias', 'float32', ['batch', 'cap']);
  const invTemperature = G.input('inv_temperature', 'float64', ['batch', 1]);
  const kv = ['batch', c.nKvHeads, 'cap', hd];
  const past = Array.from({ length: c.nLayers }, (_, i) => ({
    key: G.input(`past_key_values.${i}.key`, 'float32', kv),
    value: G.input(`past_key_values.${i}.value`, 'float32', kv),
  }));
  const rot = ropeAngles(c, positionIds, 'float32'); // [B, 1, 1, hd]
  const bias = G.unsqueeze(attentionBias, [1, 2, 3]); // [B, 1, 1, 1, C]

  // Hidden states [B, d], one token per row: each projection is one Gemm (a [B, 1, d] input
  // takes a Reshape, Shape, Concat and Reshape around it) and the heads split and merge by
  // reshapes alone; with the fusable norms 217 kernels a step instead of 360 for the bench model
  // (bench:generate BENCH_OPS=1).
  let h = G.gather(p['model.embed_tokens.weight']!, G.reshape(inputIds, [-1])); // [B, d]
  const outputs: Record<string, G.Tensor> = {};
  for (let i = 0; i < c.nLayers; i++) {
    const norm = (name: string) => p[`model.layers.${i}.${name}.weight`]!;
    const xn = rmsNormFusable(h, norm('input_layernorm'), c.rmsNormEps);
    const qkv = attentionQkv(c, p, lora, i, xn, rot); // q [B, H, 1, hd], k and v [B, K, 1, hd]
    // Scaled before the reshape: a scale next to the MatMul is fused into it (FusedMatMul alpha), and
    // onnxruntime's one-row GEMV kernel takes alpha 1 only, so the fused scores ran the packed GEMM
    // per (row, head): the largest per-row cost of a step (bench:generate BENCH_OPS=1).
    const q = groupQueries(c, G.mul(qkv.q, 1 / Math.sqrt(hd))); // [B, K, H/K, 1, hd]
    const k = G.unsqueeze(qkv.k, [2]); // [B, K, 1, 1, hd]
    const v = G.unsqueeze(qkv.v, [2]); // [B, K, 1, 1, hd]
    outputs[`new.${i}.key`] = qkv.k;
    outputs[`new.${i}.value`] = qkv.v;
    const pastKey = G.unsqueeze(past[i]!.key, [2]); // [B, K, 1, C, hd]
    const sPast = G.add(G.matmul(q, G.transposeLast(pastKey)), bias); // [B, K, H/K, 1, C]
    const sNew = G.reduceSum(G.mul(q, k), [-1], true); // [B, K, H/K, 1, 1]
    const m = G.maximum(G.reduceMax(sPast, [-1], true), sNew); // [B, K, H/K, 1, 1]
    const ePast = G.exp(G.sub(sPast, m)); // [B, K, H/K, 1, C]
    const eNew = G.exp(G.sub(sNew, m)); // [B, K, H/K, 1, 1]
    const den = G.add(G.reduceSum(ePast, [-1], true), eNew); // [B, K, H/K, 1, 1]
    const pastValue = G.unsqueeze(past[i]!.value, [2]); // [B, K, 1, C, hd]
    const attn = G.div(G.add(G.matmul(ePast, pastValue), G.mul(eNew, v)), den); // [B, K, H/K, 1, hd]
    // One token per row: [B, K, H/K, 1, hd] is already o_proj's [B, H·hd] order.
    const merged = G.reshape(attn, [0, c.nHeads * hd]); // [B, H·hd]
    h = G.add(h, project(p, lora, merged, i, 'self_attn.o_proj'));
    h = G.add(h, mlpBlock(p, lora, i, rmsNormFusable(h, norm('post_attention_layernorm'), c.rmsNormEps)));
  }
  const logits = lmHead(c, p, rmsNormFusable(h, p['model.norm.weight']!, c.rmsNormEps)); // [B, V]
  outputs.logits = G.unsqueeze(logits, [1]); // [B, 1, V]
  outputs.weights = untruncatedWeights(logits, invTemperature);
  return {
    name: 'causal_lm_decode_step',
    inputs: [
      inputIds,
      positionIds,
      attentionBias,
      invTemperature,
      ...past.flatMap((x) => [x.key, x.value]),
      ...Object.values(tensors.inputs),
    ],
    outputs,
  };
}

/** exp(logits · inv − max · inv) per row in float64 (sampling.ts `sampleUntruncated`'s weights): [B, V]. */
function untruncatedWeights(logits: G.Tensor, inv: G.Tensor): G.Tensor {
  const top = G.mul(G.cast(G.reduceMax(logits, [-1], true), 'float64'), inv); // [B, 1]
  return G.exp(G.sub(G.mul(G.cast(logits, 'float64'), inv), top));
}
