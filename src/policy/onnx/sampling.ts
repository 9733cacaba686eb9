/**
 * Next-token sampling with the Hugging Face / vLLM order of warpers:
 * temperature, then top-k, then top-p (nucleus), then a draw.
 *
 * The log-prob returned with each token is under the distribution it was
 * actually drawn from: q = softmax(logits / T) restricted to the tokens that
 * survive top-k and top-p, renormalised over them. So it is exactly the
 * behaviour policy's probability (use it for importance ratios against a
 * policy evaluated with the same settings). Greedy decoding (temperature 0,
 * or top-k 1) is a point mass: its tokens get log-prob 0. With neither top-k
 * nor top-p (the training rollouts' settings) the draw walks the vocabulary in
 * id order, without sorting it: the same distribution, one pass.
 */
import type { Rng } from '../../util/rng.js';

export interface SamplerSettings {
  /** 0 = greedy. */
  temperature: number;
  /** 0 or ≥ vocab = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
}

export interface Sampled {
  id: number;
  /** Log-probability of `id` under the sampling distribution described above. */
  logprob: number;
}

function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/** Indices of the k largest values, largest first (ties: lower index first). */
export function topKIndices(values: Float32Array, k: number): number[] {
  const n = values.length;
  if (k >= n) {
    const all = Array.from({ length: n }, (_, i) => i);
    return all.sort((a, b) => values[b]! - values[a]! || a - b);
  }
  // Keep a sorted window of the best k seen so far (k is small in practice: 20, 50).
  const best: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (best.length === k && v <= values[best[k - 1]!]!) continue;
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (values[best[mid]!]! >= v) lo = mid + 1;
      else hi = mid;
    }
    best.splice(lo, 0, i);
    if (best.length > k) best.pop();
  }
  return best;
}

/** Scratch for the untruncated draw's weights, reused across calls (one allocation per vocabulary size). */
let scratch = new Float64Array(0);

/**
 * Whether `s` draws from softmax(logits / T) over the whole vocabulary of `vocab` ids (no greedy, no
 * top-k, no top-p): the draw that {@link drawWeighted} makes from the weights exp(logits / T − max / T).
 */
export function isUntruncated(s: SamplerSettings, vocab: number): boolean {
  if (s.temperature <= 0 || s.topK === 1) return false;
  const k = s.topK > 0 ? Math.min(s.topK, vocab) : vocab;
  return k === vocab && s.topP >= 1;
}

/**
 * The untruncated draw from a row's weights w_i = exp(logits_i / T − max / T) (float64): one uniform,
 * then the vocabulary walked in id order until the uniform's share of Σ w is spent; the log-prob is
 * log(w / Σ w). The decode graph computes these weights for every row (decode-graph.ts), the draw
 * here is the same either way.
 */
export function drawWeighted(weights: Float64Array, rng: Rng): Sampled {
  let z = 0;
  for (let i = 0; i < weights.length; i++) z += weights[i]!;
  let u = rng.float() * z;
  let pick = -1;
  for (let i = 0; i < weights.length; i++) {
    if (weights[i]! === 0) continue;
    pick = i; // the last token with mass, should rounding leave u ≥ 0 to the end
    u -= weights[i]!;
    if (u < 0) break;
  }
  return { id: pick, logprob: Math.log(weights[pick]! / z) };
}

/** softmax(logits / T) over the whole vocabulary, drawn in id order (no top-k / top-p: nothing to sort). */
function sampleUntruncated(logits: Float32Array, inv: number, rng: Rng): Sampled {
  let top = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > top) top = logits[i]!;
  top *= inv;
  if (scratch.length < logits.length) scratch = new Float64Array(logits.length);
  const weights = scratch.subarray(0, logits.length);
  for (let i = 0; i < logits.length; i++) weights[i] = Math.exp(logits[i]! * inv - top);
  return drawWeighted(weights, rng);
}

/** Draw the next token from one row of logits. */
export function sampleToken(logits: Float32Array, s: SamplerSettings, rng: Rng): Sampled {
  if (s.temperature <= 0 || s.topK === 1) {
    rng.float(); // one draw per token whatever the settings, so later tokens' draws do not shift
    return { id: argmax(logits), logprob: 0 };
  }
  if (isUntruncated(s, logits.length)) return sampleUntruncated(logits, 1 / s.temperature, rng);
  const k = s.topK > 0 ? Math.min(s.topK, logits.length) : logits.length;
  const order = topKIndices(logits, k); // candidates, most likely first
  const inv = 1 / s.temperature;
  const top = logits[order[0]!]! * inv;
  const weights = order.map((i) => Math.exp(logits[i]! * inv - top));
  let total = 0;
  for (const w of weights) total += w;
  // Nucleus: the shortest prefix whose mass reaches topP (the token that crosses it is kept).
  let kept = weights.length;
  if (s.topP < 1) {
    let mass = 0;
    for (let j = 0; j < weights.length; j++) {
      mass += weights[j]! / total;
      if (mass >= s.topP) {
        kept = j + 1;
        break;
      }
    }
  }
  let z = 0;
  for (let j = 0; j < kept; j++) z += weights[j]!;
  let u = rng.float() * z;
  let pick = kept - 1;
  for (let j = 0; j < kept; j++) {
    u -= weights[j]!;
    if (u < 0) {
      pick = j;
      break;
    }
  }
  return { id: order[pick]!, logprob: Math.log(weights[pick]! / z) };
}
