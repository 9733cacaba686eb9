/**
 * Serialization: each op of the closed set maps to standard ONNX ops at ONE
 * opset, 18 (the first where every Reduce* op takes its axes as an input).
 */
import {
  encodeModel,
  type OnnxAttr,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from './protobuf.js';
import type { DType } from './shape.js';
import type { ConstData, ExternalData, OpName, Tensor } from './tensor.js';
import { type GraphSpec, validateGraph } from './validate.js';

export const OPSET = 18;
export const IR_VERSION = 8;

function rawBytes(data: ConstData): Uint8Array {
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

class Ctx {
  readonly nodes: OnnxNode[] = [];
  readonly inits: OnnxTensor[] = [];
  private n = 0;
  tmp(): string {
    return `_t${this.n++}`;
  }
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs?: OnnxAttr[]): void {
    this.nodes.push({ opType, name: `${opType}_${this.nodes.length}`, inputs, outputs, attrs });
  }
  /** Emit a node with one fresh output and return its name. */
  op(opType: string, inputs: readonly string[], attrs?: OnnxAttr[]): string {
    const out = this.tmp();
    this.node(opType, inputs, [out], attrs);
    return out;
  }
  init(dtype: DType, dims: readonly number[], data: ConstData, name = this.tmp()): string {
    this.inits.push({ name, dtype, dims, raw: rawBytes(data) });
    return name;
  }
  external(dims: readonly number[], external: ExternalData, name: string): string {
    this.inits.push({ name, dtype: 'float32', dims, raw: new Uint8Array(0), external });
    return name;
  }
  ints(values: readonly number[]): string {
    return this.init('int64', [values.length], BigInt64Array.from(values, BigInt));
  }
  scalar(value: number, dtype: DType): string {
    const data =
      dtype === 'float64'
        ? Float64Array.of(value)
        : dtype === 'int64'
          ? BigInt64Array.of(BigInt(value))
          : Float32Array.of(value);
    return this.init(dtype, [], data);
  }
}

const int = (name: string, value: number): OnnxAttr => ({ name, kind: 'int', value });
const ONNX_CAST = { float32: 1, int64: 7, bool: 9, float64: 11 } as const;
type Emit = (c: Ctx, t: Tensor, ins: readonly string[], out: string) => void;
const same =
  (opType: string): Emit =>
  (c, _t, ins, out) =>
    c.node(opType, ins, [out]);
const reduceOp =
  (opType: string): Emit =>
  (c, t, ins, out) =>
    c.node(
      opType,
      [ins[0]!, c.ints(t.attrs.axes ?? [])],
      [out],
      [int('keepdims', t.attrs.keepdims ? 1 : 0), int('noop_with_empty_axes', 1)],
    );

export const onnxRules: Record<Exclude<OpName, 'Input' | 'Const'>, Emit> = {
  Neg: same('Neg'),
  Exp: same('Exp'),
  Log: same('Log'),
  Sqrt: same('Sqrt'),
  Reciprocal: same('Reciprocal'),
  Tanh: same('Tanh'),
  Sigmoid: same('Sigmoid'),
  Sin: same('Sin'),
  Cos: same('Cos'),
  Not: same('Not'),
  StopGradient: same('Identity'),
  PowC: (c, t, ins, out) => c.node('Pow', [ins[0]!, c.scalar(t.attrs.exponent!, t.dtype)], [out]),
  Cast: (c, t, ins, out) => c.node('Cast', ins, [out], [int('to', ONNX_CAST[t.attrs.to!])]),
  Clip: (c, t, ins, out) =>
    c.node('Clip', [ins[0]!, c.scalar(t.attrs.min!, t.dtype), c.scalar(t.attrs.max!, t.dtype)], [out]),
  Add: same('Add'),
  Sub: same('Sub'),
  Mul: same('Mul'),
  Div: same('Div'),
  Max: same('Max'),
  Min: same('Min'),
  Equal: same('Equal'),
  Less: same('Less'),
  LessOrEqual: same('LessOrEqual'),
  Greater: same('Greater'),
  And: same('And'),
  Where: same('Where'),
  MatMul: same('MatMul'),
  Linear: (c, t, ins, out) => {
    const transB = [int('transB', 1)];
    if (t.inputs[0]!.rank === 2) return c.node('Gemm', ins, [out], transB);
    // Gemm is 2-D: fold the leading dims into rows and restore them after.
    const n = t.shape[t.rank - 1] as number;
    const k = t.inputs[1]!.shape[1] as number;
    const rows = c.op('Reshape', [ins[0]!, c.ints([-1, k])]);
    const y = c.op('Gemm', [rows, ins[1]!], transB);
    const lead = c.op('Shape', [ins[0]!], [int('start', 0), int('end', -1)]);
    c.node('Reshape', [y, c.op('Concat', [lead, c.ints([n])], [int('axis', 0)])], [out]);
  },
  Transpose: (c, t, ins, out) =>
    c.node('Transpose', ins, [out], [{ name: 'perm', kind: 'ints', value: t.attrs.perm! }]),
  Reshape: (c, t, ins, out) => c.node('Reshape', [ins[0]!, c.ints(t.attrs.target!)], [out]),
  ReshapeLike: (c, _t, ins, out) => c.node('Reshape', [ins[0]!, c.op('Shape', [ins[1]!])], [out]),
  ExpandLike: (c, _t, ins, out) => c.node('Expand', [ins[0]!, c.op('Shape', [ins[1]!])], [out]),
  Unsqueeze: (c, t, ins, out) => c.node('Unsqueeze', [ins[0]!, c.ints(t.attrs.axes!)], [out]),
  Concat: (c, t, ins, out) => c.node('Concat', ins, [out], [int('axis', t.attrs.axis!)]),
  Slice: (c, t, ins, out) =>
    c.node('Slice', [ins[0]!, c.ints(t.attrs.starts!), c.ints(t.attrs.ends!), c.ints(t.attrs.axes!)], [out]),
  Pad: (c, t, ins, out) =>
    c.node(
      'Pad',
      [ins[0]!, c.ints(t.attrs.pads!), c.scalar(0, t.dtype)],
      [out],
      [{ name: 'mode', kind: 'string', value: 'constant' }],
    ),
  ReduceSum: reduceOp('ReduceSum'),
  ReduceMean: reduceOp('ReduceMean'),
  ReduceMax: reduceOp('ReduceMax'),
  Softmax: (c, t, ins, out) => c.node('Softmax', ins, [out], [int('axis', t.attrs.axis!)]),
  LogSoftmax: (c, t, ins, out) => c.node('LogSoftmax', ins, [out], [int('axis', t.attrs.axis!)]),
  CumSum: (c, t, ins, out) => {
    const axis = c.init('int64', [], BigInt64Array.of(BigInt(t.attrs.axis!)));
    c.node('CumSum', [ins[0]!, axis], [out], [int('reverse', t.attrs.reverse ? 1 : 0)]);
  },
  Gather: (c, _t, ins, out) => c.node('Gather', ins, [out], [int('axis', 0)]),
  // ScatterElements, not ScatterND: onnxruntime's CPU ScatterND splits the index rows over its thread
  // pool and adds into shared output rows unsynchronised, so duplicate indices (an embedding gradient:
  // every repeated token) race — sums change run to run and whole rows can be lost (issue 25.7). Its
  // ScatterElements adds element by element in index order on one thread (test/learner/graph/
  // scatter-add.test.ts): ~30 ms on a 16 × 278-token embedding gradient, ~2% of that gradient pass.
  ScatterAdd: (c, t, ins, out) => {
    const [updates, indices, like] = ins as [string, string, string];
    const idxRank = t.inputs[1]!.rank;
    const zero = {
      dtype: t.dtype as 'float32',
      dims: [1],
      raw: rawBytes(t.dtype === 'float64' ? new Float64Array(1) : new Float32Array(1)),
    };
    const likeShape = c.op('Shape', [like]);
    const zeros = c.op(
      'ConstantOfShape',
      [c.op('Shape', [c.op('Flatten', [like], [int('axis', 1)])])],
      [{ name: 'value', kind: 'tensor', value: zero }],
    );
    const rows = c.op('Flatten', [updates], [int('axis', idxRank)]);
    const idx = c.op('Expand', [c.op('Reshape', [indices, c.ints([-1, 1])]), c.op('Shape', [rows])]);
    const summed = c.op(
      'ScatterElements',
      [zeros, idx, rows],
      [int('axis', 0), { name: 'reduction', kind: 'string', value: 'add' }],
    );
    c.node('Reshape', [summed, likeShape], [out]);
  },
};

/** Validate `spec`, then serialize it to ONNX ModelProto bytes. */
export function compileGraph(spec: GraphSpec, docString?: string): Uint8Array {
  const order = validateGraph(spec);
  const c = new Ctx();
  const names = new Map<Tensor, string>();
  for (const t of spec.inputs) names.set(t, t.attrs.name!);
  // A computed tensor that is an output takes the output's name (first one wins).
  const outputs = Object.entries(spec.outputs);
  for (const [name, t] of outputs) if (!names.has(t) && t.op !== 'Const') names.set(t, name);
  for (const t of order) {
    if (t.op === 'Input') continue;
    if (t.op === 'Const') {
      const name = t.attrs.name ?? c.tmp();
      names.set(t, name);
      if (t.attrs.external) c.external(t.shape as number[], t.attrs.external, name);
      else c.init(t.dtype, t.shape as number[], t.attrs.data!, name);
      continue;
    }
    if (!names.has(t)) names.set(t, c.tmp());
    onnxRules[t.op](
      c,
      t,
      t.inputs.map((i) => names.get(i)!),
      names.get(t)!,
    );
  }
  for (const [name, t] of outputs) if (names.get(t) !== name) c.node('Identity', [names.get(t)!], [name]);
  const info = (name: string, t: Tensor): OnnxValueInfo => ({ name, dtype: t.dtype, dims: t.shape });
  return encodeModel({
    irVersion: IR_VERSION,
    opset: OPSET,
    producer: 'lamer-ts',
    docString,
    graph: {
      name: spec.name ?? 'graph',
      nodes: c.nodes,
      initializers: c.inits,
      inputs: spec.inputs.map((t) => info(t.attrs.name!, t)),
      outputs: outputs.map(([name, t]) => info(name, t)),
    },
  });
}
