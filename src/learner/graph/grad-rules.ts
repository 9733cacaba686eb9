/**
 * The gradient rules: one short rule per op. A rule gets the node `y` (its
 * inputs are `y.inputs`) and the gradient `g` of the loss with respect to
 * `y`, and returns one gradient per input (null: no gradient flows there).
 * Gradients may have the output's broadcast shape; the walker sums them
 * back to each input's shape.
 */
import { GraphError } from './errors.js';
import * as G from './ops.js';
import { isFloat } from './shape.js';
import type { OpName, Tensor } from './tensor.js';

export type GradRule = (y: Tensor, g: Tensor) => (Tensor | null)[];

const a0 = (y: Tensor) => y.inputs[0]!;
const a1 = (y: Tensor) => y.inputs[1]!;
const mask = (cond: Tensor, like: Tensor) => G.cast(cond, like.dtype);
const none: GradRule = (y) => y.inputs.map(() => null);

/** Bring a keepdims=false reduction's gradient back to the input's rank (sizes 1 on the reduced axes). */
function unreduce(y: Tensor, g: Tensor): Tensor {
  return y.attrs.keepdims || (y.attrs.axes ?? []).length === 0 ? g : G.unsqueeze(g, y.attrs.axes!);
}
function reducedCount(y: Tensor): number {
  let n = 1;
  for (const ax of y.attrs.axes ?? []) {
    const d = a0(y).shape[ax]!;
    if (typeof d !== 'number')
      throw new GraphError(`ReduceMean gradient needs static reduced dims, got '${d}'`);
    n *= d;
  }
  return n;
}
/** Share for ties: x wins where `win`, half where equal (torch's maximum/minimum backward). */
function tieSplit(win: Tensor, tie: Tensor, like: Tensor): Tensor {
  return G.add(mask(win, like), G.mul(mask(tie, like), 0.5));
}

export const gradRules: Partial<Record<OpName, GradRule>> = {
  Input: none,
  Const: none,
  Neg: (_y, g) => [G.neg(g)],
  Exp: (y, g) => [G.mul(g, y)],
  Log: (y, g) => [G.div(g, a0(y))],
  Sqrt: (y, g) => [G.div(G.mul(g, 0.5), y)],
  Reciprocal: (y, g) => [G.neg(G.mul(g, G.mul(y, y)))],
  Tanh: (y, g) => [G.mul(g, G.sub(1, G.mul(y, y)))],
  Sigmoid: (y, g) => [G.mul(g, G.mul(y, G.sub(1, y)))],
  Sin: (y, g) => [G.mul(g, G.cos(a0(y)))],
  Cos: (y, g) => [G.neg(G.mul(g, G.sin(a0(y))))],
  PowC: (y, g) => {
    const c = y.attrs.exponent!;
    return [G.mul(g, G.mul(G.pow(a0(y), c - 1), c))];
  },
  Cast: (y, g) => [isFloat(a0(y).dtype) && isFloat(y.dtype) ? G.cast(g, a0(y).dtype) : null],
  // Inside [min, max] (inclusive, like torch.clamp) clip(x) == x.
  Clip: (y, g) => [G.mul(g, mask(G.equal(a0(y), y), g))],
  Not: none,
  // its value, no gradient: a constant to the walker (torch's detach)
  StopGradient: none,
  Add: (_y, g) => [g, g],
  Sub: (_y, g) => [g, G.neg(g)],
  Mul: (y, g) => [G.mul(g, a1(y)), G.mul(g, a0(y))],
  Div: (y, g) => [G.div(g, a1(y)), G.neg(G.div(G.mul(g, y), a1(y)))],
  Max: (y, g) => {
    const s = tieSplit(G.greater(a0(y), a1(y)), G.equal(a0(y), a1(y)), g);
    return [G.mul(g, s), G.mul(g, G.sub(1, s))];
  },
  Min: (y, g) => {
    const s = tieSplit(G.less(a0(y), a1(y)), G.equal(a0(y), a1(y)), g);
    return [G.mul(g, s), G.mul(g, G.sub(1, s))];
  },
  Equal: none,
  Less: none,
  LessOrEqual: none,
  Greater: none,
  And: none,
  Where: (y, g) => [null, G.where(a0(y), g, 0), G.where(a0(y), 0, g)],
  MatMul: (y, g) => {
    const [a, b] = [a0(y), a1(y)];
    const ga = G.matmul(g, G.transposeLast(b));
    if (b.rank === 2 && a.rank > 2) {
      // Shared weight: fold the batch dims into one matmul instead of summing a batch of products.
      const k = a.shape[a.rank - 1] as number;
      const n = g.shape[g.rank - 1] as number;
      return [ga, G.matmul(G.transposeLast(G.reshape(a, [-1, k])), G.reshape(g, [-1, n]))];
    }
    return [ga, G.matmul(G.transposeLast(a), g)];
  },
  Linear: (y, g) => {
    const [x, w] = [a0(y), a1(y)];
    const [n, k] = w.shape as [number, number];
    const gw = G.matmul(G.transposeLast(G.reshape(g, [-1, n])), G.reshape(x, [-1, k])); // [out, in]
    return [G.matmul(g, w), gw];
  },
  Transpose: (y, g) => {
    const perm = y.attrs.perm!;
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [G.transpose(g, inv)];
  },
  Reshape: (y, g) => [G.reshapeLike(g, a0(y))],
  ReshapeLike: (y, g) => [G.reshapeLike(g, a0(y)), null],
  ExpandLike: (_y, g) => [g, null],
  Unsqueeze: (y, g) => [G.reshapeLike(g, a0(y))],
  Concat: (y, g) => {
    const ax = y.attrs.axis!;
    let start = 0;
    return y.inputs.map((x) => {
      const d = x.shape[ax]!;
      if (typeof d !== 'number')
        throw new GraphError(`Concat gradient needs static sizes on axis ${ax}, got '${d}'`);
      const part = G.slice(g, [ax], [start], [start + d]);
      start += d;
      return part;
    });
  },
  Slice: (y, g) => {
    const x = a0(y);
    const r = x.rank;
    const pads = new Array<number>(2 * r).fill(0);
    (y.attrs.axes ?? []).forEach((ax, i) => {
      const d = x.shape[ax]!;
      const s = y.attrs.starts![i]!;
      const e = y.attrs.ends![i]!;
      if (typeof d === 'number') {
        const at = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
        pads[ax] = at(s);
        pads[ax + r] = d - Math.max(at(e), at(s));
      } else {
        // The shape rule allows only [k, end) and [0, -k) of a symbolic dim.
        pads[ax] = s;
        pads[ax + r] = e < 0 ? -e : 0;
      }
    });
    return [G.pad(g, pads)];
  },
  Pad: (y, g) => {
    const r = y.rank;
    const p = y.attrs.pads!;
    const axes = [...Array(r).keys()];
    return [
      G.slice(
        g,
        axes,
        axes.map((i) => p[i]!),
        axes.map((i) => (p[i + r]! > 0 ? -p[i + r]! : Infinity)),
      ),
    ];
  },
  ReduceSum: (y, g) => [G.expandLike(unreduce(y, g), a0(y))],
  ReduceMean: (y, g) => [G.expandLike(G.div(unreduce(y, g), reducedCount(y)), a0(y))],
  ReduceMax: (y, g) => {
    const x = a0(y);
    const hit = mask(G.equal(x, G.expandLike(unreduce(y, y), x)), x);
    const share = G.div(hit, G.expandLike(G.reduceSum(hit, y.attrs.axes!, true), x));
    return [G.mul(G.expandLike(unreduce(y, g), x), share)];
  },
  Softmax: (y, g) => [G.mul(y, G.sub(g, G.reduceSum(G.mul(g, y), [y.attrs.axis!], true)))],
  LogSoftmax: (y, g) => [G.sub(g, G.mul(G.exp(y), G.reduceSum(g, [y.attrs.axis!], true)))],
  CumSum: (y, g) => [G.cumsum(g, y.attrs.axis!, !y.attrs.reverse)],
  Gather: (y, g) => [G.scatterAdd(g, a1(y), a0(y)), null],
  ScatterAdd: (y, g) => [G.gather(g, a1(y)), null, null],
};
