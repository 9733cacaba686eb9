/**
 * The validator, run before serialization: no cycles, every Input used is a
 * declared graph input, unique names, constants match their shapes, and every
 * node's recorded dtype and shape agree with its op's shape rule.
 */
import { inferRules } from './defs.js';
import { GraphError } from './errors.js';
import { sameShape, shapeStr } from './shape.js';
import type { Tensor } from './tensor.js';
import { topoSort } from './topo.js';

export interface GraphSpec {
  /** The graph inputs (Input nodes), in order. */
  readonly inputs: readonly Tensor[];
  /** Named outputs, in order. */
  readonly outputs: Readonly<Record<string, Tensor>>;
  readonly name?: string;
}

const ARRAY_OF = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  bool: Uint8Array,
} as const;

/** Throws a GraphError naming the first problem found; returns the nodes in topological order. */
export function validateGraph(spec: GraphSpec): Tensor[] {
  const names = new Set<string>();
  for (const t of spec.inputs) {
    if (t.op !== 'Input') throw new GraphError(`graph input ${t.describe()} is not an Input node`);
    const name = t.attrs.name ?? '';
    if (names.has(name)) throw new GraphError(`graph input name '${name}' is used twice`);
    names.add(name);
  }
  const outNames = Object.keys(spec.outputs);
  if (outNames.length === 0) throw new GraphError('graph has no outputs');
  for (const n of outNames) if (names.has(n)) throw new GraphError(`output '${n}' has the name of an input`);

  const order = topoSort(Object.values(spec.outputs));
  const declared = new Set(spec.inputs);
  const users = new Map<Tensor, Tensor>();
  for (const t of order) for (const i of t.inputs) if (!users.has(i)) users.set(i, t);

  for (const t of order) {
    if (t.op === 'Input') {
      if (!declared.has(t)) {
        const user = users.get(t);
        throw new GraphError(
          `input '${t.attrs.name}' is not defined: it is used by ${user ? user.describe() : 'an output'} ` +
            'but is not in the graph inputs; add it to `inputs`',
        );
      }
      continue;
    }
    if (t.op === 'Const') {
      if (t.attrs.external) {
        if (!t.attrs.name || t.dtype !== 'float32' || t.shape.some((d) => typeof d !== 'number'))
          throw new GraphError(
            `${t.describe()}: an external constant needs a name, float32 and a static shape`,
          );
        continue;
      }
      const data = t.attrs.data;
      const n = t.shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : Number.NaN), 1);
      if (!data || !(data instanceof ARRAY_OF[t.dtype]) || data.length !== n)
        throw new GraphError(`${t.describe()}: constant data does not match its dtype and shape`);
      continue;
    }
    let want: { dtype: string; shape: readonly (number | string)[] };
    try {
      want = inferRules[t.op](t.inputs, t.attrs);
    } catch (e) {
      throw new GraphError(`${t.describe()}: ${(e as Error).message}`, { cause: e });
    }
    if (want.dtype !== t.dtype || !sameShape(want.shape, t.shape))
      throw new GraphError(
        `${t.describe()}: shape mismatch: its inputs ` +
          `(${t.inputs.map((i) => i.describe()).join(', ')}) give ${shapeStr(want.shape)} ${want.dtype}`,
      );
  }
  return order;
}
