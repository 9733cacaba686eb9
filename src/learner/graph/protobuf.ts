/**
 * A minimal protobuf writer and the ONNX messages we emit (ModelProto,
 * GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto).
 * Hand-written: encoding these six messages takes ~150 lines, while the
 * `onnx-proto` package would add protobufjs and generated code for the whole
 * schema that we would use only to encode. Field numbers are from onnx.proto.
 */

class Writer {
  private buf = new Uint8Array(1024);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
  }
  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  int(field: number, value: number | bigint): void {
    this.tag(field, 0);
    this.varint(value);
  }
  float(field: number, value: number): void {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, value, true);
    this.len += 4;
  }
  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }
  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }
  message<T>(field: number, value: T, encode: (w: Writer, v: T) => void): void {
    const w = new Writer();
    encode(w, value);
    this.bytes(field, w.finish());
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE = { float32: 1, int64: 7, bool: 9, float64: 11 } as const;
export type OnnxDType = keyof typeof ONNX_DTYPE;

export interface OnnxTensor {
  name?: string;
  dtype: OnnxDType;
  dims: readonly number[];
  /** Little-endian row-major bytes (empty when `external`). */
  raw: Uint8Array;
  /** The bytes live in a file beside the model (ONNX external data): path relative to the model, byte range. */
  external?: OnnxExternalData;
}
export interface OnnxExternalData {
  readonly location: string;
  readonly offset: number;
  readonly length: number;
}
export type OnnxAttr =
  | { name: string; kind: 'int'; value: number }
  | { name: string; kind: 'float'; value: number }
  | { name: string; kind: 'string'; value: string }
  | { name: string; kind: 'ints'; value: readonly number[] }
  | { name: string; kind: 'tensor'; value: OnnxTensor };
export interface OnnxNode {
  opType: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs?: readonly OnnxAttr[];
}
export interface OnnxValueInfo {
  name: string;
  dtype: OnnxDType;
  /** Numbers are fixed sizes, strings are named (symbolic) dims. */
  dims: readonly (number | string)[];
}
export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
}
export interface OnnxModel {
  irVersion: number;
  opset: number;
  producer: string;
  graph: OnnxGraph;
  docString?: string;
}

function tensor(w: Writer, t: OnnxTensor): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, ONNX_DTYPE[t.dtype]);
  if (t.name !== undefined) w.string(8, t.name);
  if (t.external === undefined) {
    w.bytes(9, t.raw);
    return;
  }
  // external_data(13): StringStringEntryProto { key(1), value(2) }; data_location(14) = EXTERNAL (1).
  const { location, offset, length } = t.external;
  for (const [key, value] of [
    ['location', location],
    ['offset', String(offset)],
    ['length', String(length)],
  ] as const)
    w.message(13, { key, value }, (ew, e) => {
      ew.string(1, e.key);
      ew.string(2, e.value);
    });
  w.int(14, 1);
}

const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, ints: 7 } as const;
function attribute(w: Writer, a: OnnxAttr): void {
  w.string(1, a.name);
  w.int(20, ATTR_TYPE[a.kind]);
  if (a.kind === 'float') w.float(2, a.value);
  else if (a.kind === 'int') w.int(3, a.value);
  else if (a.kind === 'string') w.string(4, a.value);
  else if (a.kind === 'tensor') w.message(5, a.value, tensor);
  else for (const v of a.value) w.int(8, v);
}

function node(w: Writer, n: OnnxNode): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attrs ?? []) w.message(5, a, attribute);
}

function valueInfo(w: Writer, v: OnnxValueInfo): void {
  w.string(1, v.name);
  // TypeProto { tensor_type(1): { elem_type(1), shape(2): { dim(1): { dim_value(1) | dim_param(2) } } } }
  w.message(2, v, (tw, vv) =>
    tw.message(1, vv, (ttw, t) => {
      ttw.int(1, ONNX_DTYPE[t.dtype]);
      ttw.message(2, t.dims, (sw, dims) => {
        for (const d of dims)
          sw.message(1, d, (dw, dim) => (typeof dim === 'number' ? dw.int(1, dim) : dw.string(2, dim)));
      });
    }),
  );
}

function graph(w: Writer, g: OnnxGraph): void {
  for (const n of g.nodes) w.message(1, n, node);
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, t, tensor);
  for (const v of g.inputs) w.message(11, v, valueInfo);
  for (const v of g.outputs) w.message(12, v, valueInfo);
}

/** Serialize a model to ONNX ModelProto bytes. */
export function encodeModel(m: OnnxModel): Uint8Array {
  const w = new Writer();
  w.int(1, m.irVersion);
  w.string(2, m.producer);
  if (m.docString) w.string(6, m.docString);
  w.message(7, m.graph, graph);
  w.message(8, m.opset, (ow, version) => {
    ow.string(1, '');
    ow.int(2, version);
  });
  return w.finish();
}
