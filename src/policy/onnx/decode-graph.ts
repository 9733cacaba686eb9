/**
 * The built-in model's decode-step graph for a fixed-capacity KV cache (our
 * fast path; exports keep the Hugging Face layout). In the HF layout every
 * step concatenates the whole cache into a new `present` tensor, and that
 * copy dominates decoding at large batches. Here the cache is an input of
 * capacity C (slots marked valid by `past_mask`), the step outputs only the
 * new keys and values, and the worker writes them into its cache buffers in
 * place. The attention softmax runs over [past slots, the new token] without
 * concatenating them. Same math as model.ts `forward` (a test checks tokens).
 *
 * Inputs: input_ids, position_ids [B, 1] int64; past_mask [B, C] int64;
 * past_key_values.{i}.key|value [B, H, C, hd]; the weights by name.
 * Outputs: logits [B, 1, V]; new.{i}.key|value [B, H, 1, hd].
 */
import * as G from '../../learner/graph/index.js';
import {
  headDim,
  linear,
  lmHead,
  type ModelConfig,
  paramInputs,
  rmsNorm,
  rope,
  ropeTables,
} from '../../learner/model.js';

export function buildDecodeGraph(c: ModelConfig): G.GraphSpec {
  const p = paramInputs(c);
  const { nHeads: H, dModel: d } = c;
  const hd = headDim(c);
  const inputIds = G.input('input_ids', 'int64', ['batch', 1]);
  const positionIds = G.input('position_ids', 'int64', ['batch', 1]);
  const pastMask = G.input('past_mask', 'int64', ['batch', 'cap']);
  const kv = ['batch', H, 'cap', hd];
  const past = Array.from({ length: c.nLayers }, (_, i) => ({
    key: G.input(`past_key_values.${i}.key`, 'float32', kv),
    value: G.input(`past_key_values.${i}.value`, 'float32', kv),
  }));
  const tables = ropeTables(c, 'float32');
  const cos = G.unsqueeze(G.gather(tables.cos, positionIds), [1]); // [B, 1, 1, hd]
  const sin = G.unsqueeze(G.gather(tables.sin, positionIds), [1]); // [B, 1, 1, hd]
  const bias = G.unsqueeze(
    G.where(G.equal(pastMask, 1), G.scalar(0, 'float32'), G.scalar(-1e9, 'float32')),
    [1, 2],
  ); // [B, 1, 1, C]

  let h = G.gather(p['model.embed_tokens.weight']!, inputIds); // [B, 1, d]
  const outputs: Record<string, G.Tensor> = {};
  for (let i = 0; i < c.nLayers; i++) {
    const w = (name: string) => p[`model.layers.${i}.${name}.weight`]!;
    const heads = (t: G.Tensor) => G.transpose(G.reshape(t, [0, 0, H, hd]), [0, 2, 1, 3]); // [B, H, 1, hd]
    const xn = rmsNorm(h, w('input_layernorm'), c.rmsNormEps);
    const q = G.mul(rope(heads(linear(xn, w('self_attn.q_proj'))), cos, sin, hd), 1 / Math.sqrt(hd)); // [B, H, 1, hd]
    const k = rope(heads(linear(xn, w('self_attn.k_proj'))), cos, sin, hd); // [B, H, 1, hd]
    const v = heads(linear(xn, w('self_attn.v_proj'))); // [B, H, 1, hd]
    outputs[`new.${i}.key`] = k;
    outputs[`new.${i}.value`] = v;
    const sPast = G.add(G.matmul(q, G.transposeLast(past[i]!.key)), bias); // [B, H, 1, C]
    const sNew = G.reduceSum(G.mul(q, k), [-1], true); // [B, H, 1, 1]
    const m = G.maximum(G.reduceMax(sPast, [-1], true), sNew); // [B, H, 1, 1]
    const ePast = G.exp(G.sub(sPast, m)); // [B, H, 1, C]
    const eNew = G.exp(G.sub(sNew, m)); // [B, H, 1, 1]
    const den = G.add(G.reduceSum(ePast, [-1], true), eNew); // [B, H, 1, 1]
    const attn = G.div(G.add(G.matmul(ePast, past[i]!.value), G.mul(eNew, v)), den); // [B, H, 1, hd]
    const merged = G.reshape(G.transpose(attn, [0, 2, 1, 3]), [0, 0, d]); // [B, 1, d]
    h = G.add(h, linear(merged, w('self_attn.o_proj')));
    const xn2 = rmsNorm(h, w('post_attention_layernorm'), c.rmsNormEps);
    const gate = linear(xn2, w('mlp.gate_proj'));
    const mlp = linear(
      G.mul(G.mul(gate, G.sigmoid(gate)), linear(xn2, w('mlp.up_proj'))),
      w('mlp.down_proj'),
    );
    h = G.add(h, mlp);
  }
  outputs.logits = lmHead(c, p, rmsNorm(h, p['model.norm.weight']!, c.rmsNormEps)); // [B, 1, V]
  return {
    name: 'causal_lm_decode_step',
    inputs: [inputIds, positionIds, pastMask, ...past.flatMap((x) => [x.key, x.value]), ...Object.values(p)],
    outputs,
  };
}
