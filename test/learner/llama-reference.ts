/**
 * A plain-loop forward pass written from Hugging Face's modeling_llama /
 * modeling_qwen2 / modeling_qwen3 (RMSNorm, rotary embedding + rotate_half with
 * Llama 3's frequency scaling, q/k/v(/o) biases, Qwen3's per-head q/k norms,
 * repeat_kv grouped-query attention, eager causal attention, SwiGLU MLP), for
 * one unpadded sequence: an independent check that our graph uses HF's weight
 * layouts and conventions. (test/fixtures/hf_reference.py checks the same
 * against PyTorch.)
 */
import type { ModelConfig } from '../../src/learner/model.js';

type W = Record<string, Float32Array>;

/** y[o] = sum_i W[o, i] x[i] + b[o] (nn.Linear, weight [out, in]). */
function linear(w: Float32Array, x: number[], out: number, b?: Float32Array): number[] {
  const inn = x.length;
  return Array.from({ length: out }, (_, o) => x.reduce((s, xi, i) => s + w[o * inn + i]! * xi, b?.[o] ?? 0));
}

function rms(x: number[], w: Float32Array, eps: number): number[] {
  const ms = x.reduce((s, v) => s + v * v, 0) / x.length;
  return x.map((v, i) => (v / Math.sqrt(ms + eps)) * w[i]!);
}

/** inv_freq_j = theta^(-2j/hd), scaled as modeling_rope_utils' llama3 rope type when configured. */
function invFreq(c: ModelConfig): number[] {
  const hd = c.headDim;
  return Array.from({ length: hd / 2 }, (_, j) => {
    const f = 1 / c.ropeTheta ** ((2 * j) / hd);
    const s = c.ropeScaling;
    if (!s) return f;
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < s.originalMaxPositions / s.highFreqFactor) return f;
    if (wavelen > s.originalMaxPositions / s.lowFreqFactor) return f / s.factor;
    const smooth =
      (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return (1 - smooth) * (f / s.factor) + smooth * f;
  });
}

export function referenceLogits(c: ModelConfig, p: W, ids: number[]): number[][] {
  const { dModel: d, nHeads: H, nKvHeads: K, headDim: hd, ffnHidden: F, vocabSize: V } = c;
  const T = ids.length;
  const inv = invFreq(c);
  let h = ids.map((id) => Array.from(p['model.embed_tokens.weight']!.subarray(id * d, (id + 1) * d)));
  const rope = (x: number[], pos: number) => {
    // x is one head [hd]; rotate_half(x) = cat(-x2, x1).
    const out = [...x];
    for (let j = 0; j < hd / 2; j++) {
      const a = pos * inv[j]!;
      out[j] = x[j]! * Math.cos(a) - x[j + hd / 2]! * Math.sin(a);
      out[j + hd / 2] = x[j + hd / 2]! * Math.cos(a) + x[j]! * Math.sin(a);
    }
    return out;
  };
  for (let l = 0; l < c.nLayers; l++) {
    const w = (n: string) => p[`model.layers.${l}.${n}.weight`]!;
    const b = (n: string) => p[`model.layers.${l}.${n}.bias`];
    const lin = (n: string, x: number[], out: number) => linear(w(n), x, out, b(n));
    const xn = h.map((x) => rms(x, w('input_layernorm'), c.rmsNormEps));
    // view(T, n, hd): head k holds features [k*hd, (k+1)*hd); Qwen3 norms each head, then rope.
    const heads = (rows: number[][], n: number, norm?: string) =>
      rows.map((r) =>
        Array.from({ length: n }, (_, k) => {
          const x = r.slice(k * hd, (k + 1) * hd);
          return norm ? rms(x, w(norm), c.rmsNormEps) : x;
        }),
      );
    const qn = c.qkNorm ? 'self_attn.q_norm' : undefined;
    const kn = c.qkNorm ? 'self_attn.k_norm' : undefined;
    const q = heads(
      xn.map((x) => lin('self_attn.q_proj', x, H * hd)),
      H,
      qn,
    ).map((hs, t) => hs.map((x) => rope(x, t)));
    const k = heads(
      xn.map((x) => lin('self_attn.k_proj', x, K * hd)),
      K,
      kn,
    ).map((hs, t) => hs.map((x) => rope(x, t)));
    const v = heads(
      xn.map((x) => lin('self_attn.v_proj', x, K * hd)),
      K,
    );
    // repeat_kv: query head j reads key/value head floor(j / (H / K)).
    const kvOf = (head: number) => Math.floor(head / (H / K));
    const attn = Array.from({ length: T }, (_, t) =>
      Array.from({ length: H }, (_, head) => {
        const scores = Array.from(
          { length: t + 1 },
          (_, s) => q[t]![head]!.reduce((acc, qi, i) => acc + qi * k[s]![kvOf(head)]![i]!, 0) / Math.sqrt(hd),
        );
        const m = Math.max(...scores);
        const e = scores.map((x) => Math.exp(x - m));
        const z = e.reduce((a, b) => a + b, 0);
        return Array.from({ length: hd }, (_, i) =>
          e.reduce((acc, ps, s) => acc + (ps / z) * v[s]![kvOf(head)]![i]!, 0),
        );
      }).flat(),
    );
    h = h.map((x, t) => lin('self_attn.o_proj', attn[t]!, d).map((o, i) => x[i]! + o));
    const xn2 = h.map((x) => rms(x, w('post_attention_layernorm'), c.rmsNormEps));
    h = h.map((x, t) => {
      const g = lin('mlp.gate_proj', xn2[t]!, F);
      const u = lin('mlp.up_proj', xn2[t]!, F);
      const act = g.map((gi, i) => (gi / (1 + Math.exp(-gi))) * u[i]!);
      return lin('mlp.down_proj', act, d).map((o, i) => x[i]! + o);
    });
  }
  const head = c.tieEmbeddings ? p['model.embed_tokens.weight']! : p['lm_head.weight']!;
  return h.map((x) => linear(head, rms(x, p['model.norm.weight']!, c.rmsNormEps), V));
}
