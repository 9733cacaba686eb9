/**
 * A plain-loop forward pass written from Hugging Face's modeling_llama
 * (LlamaRMSNorm, LlamaRotaryEmbedding + rotate_half, eager causal attention,
 * LlamaMLP), for one unpadded sequence: an independent check that our graph
 * uses HF's weight layouts and conventions.
 */
import type { ModelConfig } from '../../src/learner/model.js';

type W = Record<string, Float32Array>;

/** y[o] = sum_i W[o, i] x[i] (nn.Linear, weight [out, in]). */
function linear(w: Float32Array, x: number[], out: number): number[] {
  const inn = x.length;
  return Array.from({ length: out }, (_, o) => x.reduce((s, xi, i) => s + w[o * inn + i]! * xi, 0));
}

function rms(x: number[], w: Float32Array, eps: number): number[] {
  const ms = x.reduce((s, v) => s + v * v, 0) / x.length;
  return x.map((v, i) => (v / Math.sqrt(ms + eps)) * w[i]!);
}

export function referenceLogits(c: ModelConfig, p: W, ids: number[]): number[][] {
  const { dModel: d, nHeads: H, ffnHidden: F, vocabSize: V } = c;
  const hd = d / H;
  const T = ids.length;
  let h = ids.map((id) => Array.from(p['model.embed_tokens.weight']!.subarray(id * d, (id + 1) * d)));
  const rope = (x: number[], pos: number) => {
    // x is one head [hd]; inv_freq_j = theta^(-2j/hd); rotate_half(x) = cat(-x2, x1).
    const out = [...x];
    for (let j = 0; j < hd / 2; j++) {
      const a = pos / c.ropeTheta ** ((2 * j) / hd);
      out[j] = x[j]! * Math.cos(a) - x[j + hd / 2]! * Math.sin(a);
      out[j + hd / 2] = x[j + hd / 2]! * Math.cos(a) + x[j]! * Math.sin(a);
    }
    return out;
  };
  for (let l = 0; l < c.nLayers; l++) {
    const w = (n: string) => p[`model.layers.${l}.${n}.weight`]!;
    const xn = h.map((x) => rms(x, w('input_layernorm'), c.rmsNormEps));
    // view(T, H, hd): head k holds features [k*hd, (k+1)*hd).
    const split = (rows: number[][]) =>
      rows.map((r) => Array.from({ length: H }, (_, k) => r.slice(k * hd, (k + 1) * hd)));
    const q = split(xn.map((x) => linear(w('self_attn.q_proj'), x, d))).map((hs, t) =>
      hs.map((x) => rope(x, t)),
    );
    const k = split(xn.map((x) => linear(w('self_attn.k_proj'), x, d))).map((hs, t) =>
      hs.map((x) => rope(x, t)),
    );
    const v = split(xn.map((x) => linear(w('self_attn.v_proj'), x, d)));
    const attn = Array.from({ length: T }, (_, t) =>
      Array.from({ length: H }, (_, head) => {
        const scores = Array.from(
          { length: t + 1 },
          (_, s) => q[t]![head]!.reduce((acc, qi, i) => acc + qi * k[s]![head]![i]!, 0) / Math.sqrt(hd),
        );
        const m = Math.max(...scores);
        const e = scores.map((x) => Math.exp(x - m));
        const z = e.reduce((a, b) => a + b, 0);
        return Array.from({ length: hd }, (_, i) =>
          e.reduce((acc, ps, s) => acc + (ps / z) * v[s]![head]![i]!, 0),
        );
      }).flat(),
    );
    h = h.map((x, t) => linear(w('self_attn.o_proj'), attn[t]!, d).map((o, i) => x[i]! + o));
    const xn2 = h.map((x) => rms(x, w('post_attention_layernorm'), c.rmsNormEps));
    h = h.map((x, t) => {
      const g = linear(w('mlp.gate_proj'), xn2[t]!, F);
      const u = linear(w('mlp.up_proj'), xn2[t]!, F);
      const act = g.map((gi, i) => (gi / (1 + Math.exp(-gi))) * u[i]!);
      return linear(w('mlp.down_proj'), act, d).map((o, i) => x[i]! + o);
    });
  }
  const head = c.tieEmbeddings ? p['model.embed_tokens.weight']! : p['lm_head.weight']!;
  return h.map((x) => linear(head, rms(x, p['model.norm.weight']!, c.rmsNormEps), V));
}
