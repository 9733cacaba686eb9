/**
 * Builders for every op of the closed set. Each types its node through
 * `inferRules` at once, so a shape error points at the line that built it.
 * Binary ops take a number for either side (a scalar of the other side's dtype).
 */
import { inferRules } from './defs.js';
import { GraphError } from './errors.js';
import { type Dim, type DType, normAxis, type Shape } from './shape.js';
import type { Attrs, ConstData, ExternalData, OpName } from './tensor.js';
import { Tensor } from './tensor.js';

export type Operand = Tensor | number;

/** Make a node of `op`, typed by its shape rule. */
export function node(op: OpName, inputs: readonly Tensor[], attrs: Attrs = {}): Tensor {
  const t = inferRules[op](inputs, attrs);
  return new Tensor(op, inputs, attrs, t.dtype, t.shape);
}

/**
 * A node with a caller-declared type, NOT checked here (for graphs built by
 * other tools); `validateGraph` checks it before serialization.
 */
export function uncheckedNode(
  op: OpName,
  inputs: readonly Tensor[],
  attrs: Attrs,
  dtype: DType,
  shape: Shape,
): Tensor {
  return new Tensor(op, inputs, attrs, dtype, shape);
}

export function input(name: string, dtype: DType, shape: Shape): Tensor {
  return new Tensor('Input', [], { name }, dtype, shape);
}

const ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  bool: Uint8Array,
} as const;

/**
 * A named float32 constant whose values stay in a file (ONNX external data): the session maps the
 * file instead of copying the values into the graph, so large weights never pass through the
 * protobuf (2 GB limit) and sessions on the same file share its pages.
 */
export function externalConstant(name: string, shape: readonly number[], external: ExternalData): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  if (external.length !== 4 * n)
    throw new GraphError(`externalConstant '${name}': ${external.length} bytes for float32 shape [${shape}]`);
  return new Tensor('Const', [], { name, external }, 'float32', [...shape]);
}

/** A constant from values (numbers, bigints for int64, booleans for bool) and a static shape. */
export function constant(
  values: ArrayLike<number | bigint | boolean> | ConstData,
  dtype: DType,
  shape: number[] = [],
): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  if (values.length !== n) throw new GraphError(`constant: ${values.length} values for shape [${shape}]`);
  let data: ConstData;
  if (dtype === 'int64') data = BigInt64Array.from(values as ArrayLike<number | bigint>, (v) => BigInt(v));
  else if (dtype === 'bool')
    data = Uint8Array.from(values as ArrayLike<boolean | number>, (v) => (v ? 1 : 0));
  else data = (ARRAYS[dtype] as typeof Float64Array).from(values as ArrayLike<number>, Number);
  return new Tensor('Const', [], { data }, dtype, shape);
}

export function scalar(value: number, dtype: DType): Tensor {
  return constant([value], dtype, []);
}

function lift(a: Operand, b: Operand): [Tensor, Tensor] {
  if (a instanceof Tensor && b instanceof Tensor) return [a, b];
  if (a instanceof Tensor) return [a, scalar(b as number, a.dtype)];
  if (b instanceof Tensor) return [scalar(a, b.dtype), b];
  throw new GraphError('binary op: at least one operand must be a tensor');
}
const bin = (op: OpName) => (a: Operand, b: Operand) => node(op, lift(a, b));
const un = (op: OpName) => (x: Tensor) => node(op, [x]);

export const neg = un('Neg');
export const exp = un('Exp');
export const log = un('Log');
export const sqrt = un('Sqrt');
export const reciprocal = un('Reciprocal');
export const tanh = un('Tanh');
export const sigmoid = un('Sigmoid');
export const sin = un('Sin');
export const cos = un('Cos');
export const not = un('Not');
/** `x`'s value, through which no gradient flows (torch's `detach`). */
export const stopGradient = un('StopGradient');
export const add = bin('Add');
export const sub = bin('Sub');
export const mul = bin('Mul');
export const div = bin('Div');
export const maximum = bin('Max');
export const minimum = bin('Min');
export const equal = bin('Equal');
export const less = bin('Less');
export const lessOrEqual = bin('LessOrEqual');
export const greater = bin('Greater');
export const and = bin('And');

export const pow = (x: Tensor, exponent: number) => node('PowC', [x], { exponent });
export const cast = (x: Tensor, to: DType) => (x.dtype === to ? x : node('Cast', [x], { to }));
export const clip = (x: Tensor, min: number, max: number) => node('Clip', [x], { min, max });
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const dt = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : 'float32';
  const ta = a instanceof Tensor ? a : scalar(a, dt);
  const tb = b instanceof Tensor ? b : scalar(b, dt);
  return node('Where', [cond, ta, tb]);
}

export const matmul = (a: Tensor, b: Tensor) => node('MatMul', [a, b]);
/** nn.Linear: x [..., in] @ w^T for a weight w [out, in] (ONNX Gemm with transB: no transposed copy of w). */
export const linear = (x: Tensor, w: Tensor) => node('Linear', [x, w]);
export const transpose = (x: Tensor, perm: readonly number[]) => node('Transpose', [x], { perm });
/** Swap the last two axes. */
export function transposeLast(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 1] = x.rank - 2;
  perm[x.rank - 2] = x.rank - 1;
  return transpose(x, perm);
}
/** Reshape to `target` (0 copies the input dim at that index, -1 is inferred). */
export const reshape = (x: Tensor, target: readonly number[]) => node('Reshape', [x], { target });
/** Reshape `x` to the runtime shape of `like`. */
export const reshapeLike = (x: Tensor, like: Tensor) => node('ReshapeLike', [x, like]);
/** Broadcast `x` to the runtime shape of `like`. */
export const expandLike = (x: Tensor, like: Tensor) => node('ExpandLike', [x, like]);
export function unsqueeze(x: Tensor, axes: readonly number[]): Tensor {
  const rank = x.rank + axes.length;
  return node('Unsqueeze', [x], { axes: axes.map((a) => normAxis(a, rank, 'Unsqueeze')) });
}
export const concat = (xs: readonly Tensor[], axis: number) =>
  node('Concat', xs, { axis: normAxis(axis, xs[0]?.rank ?? 0, 'Concat') });
/** Static slice: `ends` may be `Infinity` (to the end); negative bounds count from the end. */
export function slice(
  x: Tensor,
  axes: readonly number[],
  starts: readonly number[],
  ends: readonly number[],
): Tensor {
  const big = (e: number) => (e === Number.POSITIVE_INFINITY ? Number.MAX_SAFE_INTEGER : e);
  return node('Slice', [x], {
    axes: axes.map((a) => normAxis(a, x.rank, 'Slice')),
    starts,
    ends: ends.map(big),
  });
}
export const pad = (x: Tensor, pads: readonly number[]) => node('Pad', [x], { pads });

type Reduce = (x: Tensor, axes: readonly number[], keepdims?: boolean) => Tensor;
const red =
  (op: OpName): Reduce =>
  (x, axes, keepdims = false) =>
    node(op, [x], { axes: axes.map((a) => normAxis(a, x.rank, op)).sort((p, q) => p - q), keepdims });
export const reduceSum = red('ReduceSum');
export const reduceMean = red('ReduceMean');
export const reduceMax = red('ReduceMax');
/** Sum of all elements, a scalar. */
export const sumAll = (x: Tensor) =>
  reduceSum(
    x,
    x.shape.map((_, i) => i),
  );

export const softmax = (x: Tensor, axis = -1) =>
  node('Softmax', [x], { axis: normAxis(axis, x.rank, 'Softmax') });
export const logSoftmax = (x: Tensor, axis = -1) =>
  node('LogSoftmax', [x], { axis: normAxis(axis, x.rank, 'LogSoftmax') });
export const cumsum = (x: Tensor, axis: number, reverse = false) =>
  node('CumSum', [x], { axis: normAxis(axis, x.rank, 'CumSum'), reverse });
/** Rows of `data` (axis 0) picked by int64 `indices`: shape indices.shape ++ data.shape[1:]. */
export const gather = (data: Tensor, indices: Tensor) => node('Gather', [data, indices]);
/** Zeros shaped like `like`, with each row of `updates` added at its index (duplicates add up, in index order). */
export const scatterAdd = (updates: Tensor, indices: Tensor, like: Tensor) =>
  node('ScatterAdd', [updates, indices, like]);

/** Static dims of a shape (throws naming `what` when a dim is symbolic). */
export function staticDims(shape: Shape, what: string): number[] {
  return shape.map((d: Dim) => {
    if (typeof d !== 'number') throw new GraphError(`${what}: needs static dims, got '${d}'`);
    return d;
  });
}
