/**
 * The graph IR: a tensor is one node (op, inputs, attributes) with its
 * inferred dtype and shape. Graphs are the tensors reachable from a list of
 * outputs (micrograd style); inputs are `Input` nodes, constants `Const`.
 */
import type { Dim, DType, Shape } from './shape.js';

/** The closed op set. Each op has one shape rule (defs.ts), one ONNX mapping (emit.ts), one gradient rule (grad-rules.ts). */
export const OP_NAMES = [
  'Input',
  'Const',
  'Neg',
  'Exp',
  'Log',
  'Sqrt',
  'Reciprocal',
  'Tanh',
  'Sigmoid',
  'Sin',
  'Cos',
  'PowC',
  'Cast',
  'StopGradient',
  'Clip',
  'Not',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Max',
  'Min',
  'Equal',
  'Less',
  'LessOrEqual',
  'Greater',
  'And',
  'Where',
  'MatMul',
  'Linear',
  'Transpose',
  'Reshape',
  'ReshapeLike',
  'ExpandLike',
  'Unsqueeze',
  'Concat',
  'Slice',
  'Pad',
  'ReduceSum',
  'ReduceMean',
  'ReduceMax',
  'Softmax',
  'LogSoftmax',
  'CumSum',
  'Gather',
  'ScatterAdd',
] as const;
export type OpName = (typeof OP_NAMES)[number];

/** Constant payloads: float32, float64, int64, bool (one byte per element). */
export type ConstData = Float32Array | Float64Array | BigInt64Array | Uint8Array;

export interface Attrs {
  /** Input: the graph input name. */
  readonly name?: string;
  /** Const: the values (row-major). */
  readonly data?: ConstData;
  /** Const: the values live in a file beside the model instead (ONNX external data; float32 only). */
  readonly external?: ExternalData;
  /** Reduce*, Unsqueeze, Slice: the axes (normalised to non-negative). */
  readonly axes?: readonly number[];
  /** Reduce*: keep reduced axes as size 1. */
  readonly keepdims?: boolean;
  /** Softmax, LogSoftmax, Concat, CumSum: the axis (non-negative). */
  readonly axis?: number;
  /** Transpose: the permutation. */
  readonly perm?: readonly number[];
  /** Reshape: target sizes; 0 copies the input dim at that index, -1 is inferred. */
  readonly target?: readonly number[];
  /** Cast: the target dtype. */
  readonly to?: DType;
  /** PowC: the constant exponent. */
  readonly exponent?: number;
  /** Clip: constant bounds. */
  readonly min?: number;
  readonly max?: number;
  /** Slice: static bounds per axis in `axes` (negative counts from the end). */
  readonly starts?: readonly number[];
  readonly ends?: readonly number[];
  /** Pad: zeros added before and after each axis, ONNX order [b0, b1, ..., e0, e1, ...]. */
  readonly pads?: readonly number[];
  /** CumSum: sum from the end. */
  readonly reverse?: boolean;
}

/** Where an external constant's bytes are: a file name (relative to the session's external-data folder) and a byte range. */
export interface ExternalData {
  readonly location: string;
  readonly offset: number;
  readonly length: number;
}

let nextId = 0;

export class Tensor {
  readonly id = nextId++;
  constructor(
    readonly op: OpName,
    readonly inputs: readonly Tensor[],
    readonly attrs: Attrs,
    readonly dtype: DType,
    readonly shape: Shape,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  /** Short description for error messages: `MatMul#12 [batch, seq, 8] float32`. */
  describe(): string {
    const label = this.op === 'Input' ? `Input '${this.attrs.name}'` : `${this.op}#${this.id}`;
    return `${label} [${this.shape.join(', ')}] ${this.dtype}`;
  }
}

export type { Dim, DType, Shape };
