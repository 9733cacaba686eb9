/**
 * Tiny ONNX models for session tests, written with a minimal protobuf encoder (only the
 * ModelProto fields these models use), so the tests do not depend on the graph compiler.
 */

type Bytes = number[];

function varint(value: number): Bytes {
  const out: Bytes = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

const key = (field: number, wire: number) => varint(field * 8 + wire);
const int = (field: number, value: number): Bytes => [...key(field, 0), ...varint(value)];
const bytes = (field: number, payload: Bytes | Uint8Array): Bytes => [
  ...key(field, 2),
  ...varint(payload.length),
  ...payload,
];
const str = (field: number, text: string) => bytes(field, [...Buffer.from(text, 'utf8')]);
const msgs = (field: number, items: Bytes[]) => items.flatMap((m) => bytes(field, m));

const ELEM = { float32: 1, int64: 7 } as const;
type Elem = keyof typeof ELEM;

/** ValueInfoProto: a graph input or output; string dims are symbolic (e.g. 'batch'). */
function valueInfo(name: string, elem: Elem, dims: Array<number | string>): Bytes {
  const shape = msgs(
    1,
    dims.map((d) => (typeof d === 'number' ? int(1, d) : str(2, d))),
  );
  const tensorType = [...int(1, ELEM[elem]), ...bytes(2, shape)];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))];
}

/** TensorProto initializer with float32 raw data. */
function initializer(name: string, dims: number[], values: Float32Array): Bytes {
  return [
    ...dims.flatMap((d) => int(1, d)),
    ...int(2, ELEM.float32),
    ...str(8, name),
    ...bytes(9, new Uint8Array(values.buffer, values.byteOffset, values.byteLength)),
  ];
}

function node(op: string, inputs: string[], outputs: string[]): Bytes {
  return [...inputs.flatMap((i) => str(1, i)), ...outputs.flatMap((o) => str(2, o)), ...str(4, op)];
}

interface GraphSpec {
  nodes: Bytes[];
  initializers: Bytes[];
  inputs: Bytes[];
  outputs: Bytes[];
}

function model(g: GraphSpec): Uint8Array {
  const graph = [
    ...msgs(1, g.nodes),
    ...str(2, 'fixture'),
    ...msgs(5, g.initializers),
    ...msgs(11, g.inputs),
    ...msgs(12, g.outputs),
  ];
  const opset = [...str(1, ''), ...int(2, 17)];
  return new Uint8Array([...int(1, 8), ...str(2, 'lamer-test'), ...bytes(7, graph), ...bytes(8, opset)]);
}

export const LINEAR_W = new Float32Array([1, -1, 0.5, 2, -0.25, 3]); // [3, 2]
export const LINEAR_B = new Float32Array([0.1, -0.2]); // [2]
export const EMBED = new Float32Array([0, 1, 10, 11, 20, 21, 30, 31]); // [4, 2]

/**
 * Inputs: x float32 [batch, 3], ids int64 [batch].
 * Outputs: y = x·W + b (float32 [batch, 2]), e = EMBED[ids] (float32 [batch, 2]).
 */
export function tinyModel(): Uint8Array {
  return model({
    nodes: [
      node('MatMul', ['x', 'W'], ['xw']),
      node('Add', ['xw', 'b'], ['y']),
      node('Gather', ['E', 'ids'], ['e']),
    ],
    initializers: [
      initializer('W', [3, 2], LINEAR_W),
      initializer('b', [2], LINEAR_B),
      initializer('E', [4, 2], EMBED),
    ],
    inputs: [valueInfo('x', 'float32', ['batch', 3]), valueInfo('ids', 'int64', ['batch'])],
    outputs: [valueInfo('y', 'float32', ['batch', 2]), valueInfo('e', 'float32', ['batch', 2])],
  });
}

/** Input a float32 [n, n]; output y = tanh(…tanh(tanh(a·a)·a)…·a) with `depth` matmuls: heavy, bounded values. */
export function matmulChainModel(depth: number): Uint8Array {
  const nodes: Bytes[] = [];
  let prev = 'a';
  for (let i = 0; i < depth; i++) {
    const out = i === depth - 1 ? 'y' : `t${i}`;
    nodes.push(node('MatMul', [prev, 'a'], [`m${i}`]), node('Tanh', [`m${i}`], [out]));
    prev = out;
  }
  return model({
    nodes,
    initializers: [],
    inputs: [valueInfo('a', 'float32', ['n', 'n'])],
    outputs: [valueInfo('y', 'float32', ['n', 'n'])],
  });
}
