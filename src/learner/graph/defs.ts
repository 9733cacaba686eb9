/**
 * Shape and dtype rules, one per op. Builders (ops.ts) call them to type a
 * new node; the validator calls them again over a finished graph.
 */
import { GraphError } from './errors.js';
import {
  broadcastShapes,
  type Dim,
  type DType,
  dimSum,
  isFloat,
  normAxis,
  type Shape,
  shapeStr,
  sliceDim,
} from './shape.js';
import type { Attrs, OpName, Tensor } from './tensor.js';

export interface Typed {
  readonly dtype: DType;
  readonly shape: Shape;
}
type Infer = (x: readonly Tensor[], a: Attrs) => Typed;

function arity(op: string, x: readonly Tensor[], n: number): void {
  if (x.length !== n) throw new GraphError(`${op}: expects ${n} input(s), got ${x.length}`);
}
function need(op: string, t: Tensor, ok: (d: DType) => boolean, what: string): void {
  if (!ok(t.dtype)) throw new GraphError(`${op}: input ${t.describe()} must be ${what}`);
}
function sameDtype(op: string, x: readonly Tensor[]): DType {
  const d = x[0]!.dtype;
  for (const t of x) if (t.dtype !== d) throw new GraphError(`${op}: dtypes differ (${d} vs ${t.dtype})`);
  return d;
}
const num = (d: DType) => d !== 'bool';

const unaryFloat =
  (op: string): Infer =>
  (x) => {
    arity(op, x, 1);
    need(op, x[0]!, isFloat, 'float32 or float64');
    return { dtype: x[0]!.dtype, shape: x[0]!.shape };
  };
const binary =
  (op: string, ok: (d: DType) => boolean, out?: DType): Infer =>
  (x) => {
    arity(op, x, 2);
    const d = sameDtype(op, x);
    need(op, x[0]!, ok, ok === num ? 'numeric' : ok === isFloat ? 'float' : 'bool');
    return { dtype: out ?? d, shape: broadcastShapes(x[0]!.shape, x[1]!.shape, op) };
  };
const reduce =
  (op: string): Infer =>
  (x, a) => {
    arity(op, x, 1);
    need(op, x[0]!, num, 'numeric');
    const axes = a.axes ?? [];
    const shape: Dim[] = [];
    x[0]!.shape.forEach((d, i) => {
      if (!axes.includes(i)) shape.push(d);
      else if (a.keepdims) shape.push(1);
    });
    for (const ax of axes) normAxis(ax, x[0]!.rank, op);
    return { dtype: x[0]!.dtype, shape };
  };
const softmax =
  (op: string): Infer =>
  (x, a) => {
    arity(op, x, 1);
    need(op, x[0]!, isFloat, 'float');
    normAxis(a.axis ?? -1, x[0]!.rank, op);
    return { dtype: x[0]!.dtype, shape: x[0]!.shape };
  };

function reshape(x: readonly Tensor[], a: Attrs): Typed {
  arity('Reshape', x, 1);
  const src = x[0]!.shape;
  const target = a.target ?? [];
  const out: Dim[] = target.map((d, i) => (d === 0 ? src[i]! : d));
  const inferAt = target.indexOf(-1);
  if (inferAt >= 0) {
    const syms = src.filter((d): d is string => typeof d === 'string');
    const srcN = src.reduce<number>((p, d) => p * (typeof d === 'number' ? d : 1), 1);
    const knownN = out.reduce<number>((p, d, i) => p * (i === inferAt || typeof d !== 'number' ? 1 : d), 1);
    const rest = srcN / knownN;
    const symOut = out.filter((d, i) => i !== inferAt && typeof d === 'string');
    const leftover = syms.filter((s) => !symOut.includes(s));
    if (!Number.isInteger(rest))
      throw new GraphError(`Reshape: ${shapeStr(src)} cannot become ${shapeStr(target)}`);
    out[inferAt] = leftover.length === 0 ? rest : [...leftover, ...(rest === 1 ? [] : [rest])].join('*');
  }
  return { dtype: x[0]!.dtype, shape: out };
}

function matmul(x: readonly Tensor[]): Typed {
  arity('MatMul', x, 2);
  const [a, b] = x as [Tensor, Tensor];
  const d = sameDtype('MatMul', x);
  need('MatMul', a, isFloat, 'float');
  if (a.rank < 2 || b.rank < 2) throw new GraphError('MatMul: inputs must have rank >= 2');
  if (a.shape[a.rank - 1] !== b.shape[b.rank - 2])
    throw new GraphError(`MatMul: inner dims differ in ${shapeStr(a.shape)} @ ${shapeStr(b.shape)}`);
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'MatMul');
  return { dtype: d, shape: [...batch, a.shape[a.rank - 2]!, b.shape[b.rank - 1]!] };
}

/** x [..., K] times w [N, K] transposed: nn.Linear's x @ W^T without a transposed copy of W. */
function linearRule(x: readonly Tensor[]): Typed {
  arity('Linear', x, 2);
  const [a, w] = x as [Tensor, Tensor];
  const d = sameDtype('Linear', x);
  need('Linear', a, isFloat, 'float');
  if (a.rank < 1 || w.rank !== 2) throw new GraphError('Linear: needs x of rank >= 1 and a weight of rank 2');
  if (a.shape[a.rank - 1] !== w.shape[1])
    throw new GraphError(
      `Linear: x ${shapeStr(a.shape)} does not fit weight ${shapeStr(w.shape)} ([out, in])`,
    );
  return { dtype: d, shape: [...a.shape.slice(0, -1), w.shape[0]!] };
}

export const inferRules: Record<OpName, Infer> = {
  Input: (_x, a) => {
    throw new GraphError(`Input '${a.name}' carries its own type`);
  },
  Const: (_x, a) => {
    throw new GraphError(`Const carries its own type (${a.data?.length} values)`);
  },
  Neg: (x) => {
    arity('Neg', x, 1);
    need('Neg', x[0]!, num, 'numeric');
    return x[0]!;
  },
  Exp: unaryFloat('Exp'),
  Log: unaryFloat('Log'),
  Sqrt: unaryFloat('Sqrt'),
  Reciprocal: unaryFloat('Reciprocal'),
  Tanh: unaryFloat('Tanh'),
  Sigmoid: unaryFloat('Sigmoid'),
  Sin: unaryFloat('Sin'),
  Cos: unaryFloat('Cos'),
  PowC: unaryFloat('PowC'),
  Clip: unaryFloat('Clip'),
  Cast: (x, a) => {
    arity('Cast', x, 1);
    if (!a.to) throw new GraphError('Cast: missing target dtype');
    return { dtype: a.to, shape: x[0]!.shape };
  },
  StopGradient: (x) => {
    arity('StopGradient', x, 1);
    return x[0]!;
  },
  Not: (x) => {
    arity('Not', x, 1);
    need('Not', x[0]!, (d) => d === 'bool', 'bool');
    return x[0]!;
  },
  Add: binary('Add', num),
  Sub: binary('Sub', num),
  Mul: binary('Mul', num),
  Div: binary('Div', num),
  Max: binary('Max', isFloat),
  Min: binary('Min', isFloat),
  Equal: binary('Equal', () => true, 'bool'),
  Less: binary('Less', num, 'bool'),
  LessOrEqual: binary('LessOrEqual', num, 'bool'),
  Greater: binary('Greater', num, 'bool'),
  And: binary('And', (d) => d === 'bool'),
  Where: (x) => {
    arity('Where', x, 3);
    need('Where', x[0]!, (d) => d === 'bool', 'bool');
    const d = sameDtype('Where', x.slice(1));
    const s = broadcastShapes(broadcastShapes(x[0]!.shape, x[1]!.shape, 'Where'), x[2]!.shape, 'Where');
    return { dtype: d, shape: s };
  },
  MatMul: matmul,
  Linear: linearRule,
  Transpose: (x, a) => {
    arity('Transpose', x, 1);
    const perm = a.perm ?? [];
    if (perm.length !== x[0]!.rank || [...perm].sort().some((p, i) => p !== i))
      throw new GraphError(`Transpose: perm [${perm}] is not a permutation of rank ${x[0]!.rank}`);
    return { dtype: x[0]!.dtype, shape: perm.map((p) => x[0]!.shape[p]!) };
  },
  Reshape: reshape,
  ReshapeLike: (x) => {
    arity('ReshapeLike', x, 2);
    return { dtype: x[0]!.dtype, shape: x[1]!.shape };
  },
  ExpandLike: (x) => {
    arity('ExpandLike', x, 2);
    const s = broadcastShapes(x[0]!.shape, x[1]!.shape, 'ExpandLike');
    if (s.length !== x[1]!.rank || s.some((d, i) => d !== x[1]!.shape[i]))
      throw new GraphError(
        `ExpandLike: ${shapeStr(x[0]!.shape)} does not expand to ${shapeStr(x[1]!.shape)}`,
      );
    return { dtype: x[0]!.dtype, shape: s };
  },
  Unsqueeze: (x, a) => {
    arity('Unsqueeze', x, 1);
    const out: Dim[] = [...x[0]!.shape];
    for (const ax of [...(a.axes ?? [])].sort((p, q) => p - q)) out.splice(ax, 0, 1);
    return { dtype: x[0]!.dtype, shape: out };
  },
  Concat: (x, a) => {
    if (x.length < 1) throw new GraphError('Concat: needs at least one input');
    const d = sameDtype('Concat', x);
    const ax = normAxis(a.axis ?? 0, x[0]!.rank, 'Concat');
    const out: Dim[] = [...x[0]!.shape];
    for (const t of x.slice(1)) {
      if (t.rank !== out.length || t.shape.some((dim, i) => i !== ax && dim !== out[i]))
        throw new GraphError(
          `Concat: ${shapeStr(t.shape)} does not fit ${shapeStr(x[0]!.shape)} on axis ${ax}`,
        );
      out[ax] = dimSum(out[ax]!, t.shape[ax]!);
    }
    return { dtype: d, shape: out };
  },
  Slice: (x, a) => {
    arity('Slice', x, 1);
    const out: Dim[] = [...x[0]!.shape];
    (a.axes ?? []).forEach((ax, i) => {
      out[ax] = sliceDim(out[ax]!, a.starts![i]!, a.ends![i]!, 'Slice');
    });
    return { dtype: x[0]!.dtype, shape: out };
  },
  Pad: (x, a) => {
    arity('Pad', x, 1);
    const r = x[0]!.rank;
    const p = a.pads ?? [];
    if (p.length !== 2 * r) throw new GraphError(`Pad: needs ${2 * r} pads, got ${p.length}`);
    return { dtype: x[0]!.dtype, shape: x[0]!.shape.map((d, i) => dimSum(dimSum(d, p[i]!), p[i + r]!)) };
  },
  ReduceSum: reduce('ReduceSum'),
  ReduceMean: reduce('ReduceMean'),
  ReduceMax: reduce('ReduceMax'),
  Softmax: softmax('Softmax'),
  LogSoftmax: softmax('LogSoftmax'),
  CumSum: (x, a) => {
    arity('CumSum', x, 1);
    need('CumSum', x[0]!, num, 'numeric');
    normAxis(a.axis ?? 0, x[0]!.rank, 'CumSum');
    return x[0]!;
  },
  Gather: (x) => {
    arity('Gather', x, 2);
    need('Gather', x[1]!, (d) => d === 'int64', 'int64 indices');
    return { dtype: x[0]!.dtype, shape: [...x[1]!.shape, ...x[0]!.shape.slice(1)] };
  },
  ScatterAdd: (x) => {
    arity('ScatterAdd', x, 3);
    const [upd, idx, ref] = x as [Tensor, Tensor, Tensor];
    need('ScatterAdd', idx, (d) => d === 'int64', 'int64 indices');
    const want = [...idx.shape, ...ref.shape.slice(1)];
    if (upd.dtype !== ref.dtype || want.length !== upd.rank || want.some((d, i) => d !== upd.shape[i]))
      throw new GraphError(
        `ScatterAdd: updates ${upd.describe()} do not match ${shapeStr(want)} ${ref.dtype}`,
      );
    return { dtype: ref.dtype, shape: ref.shape };
  },
};
