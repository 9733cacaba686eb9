/**
 * Dtypes and symbolic shapes. A dim is a number or a name ('batch', 'seq');
 * names combine with offsets ('seq-1') and sums ('past+seq'). Broadcasting is
 * strict: two dims agree when they are equal or one of them is the number 1,
 * so which axes broadcast is known without running the graph.
 */
import { GraphError } from './errors.js';

export type DType = 'float32' | 'float64' | 'int64' | 'bool';
export type Dim = number | string;
export type Shape = readonly Dim[];

export const isFloat = (d: DType): boolean => d === 'float32' || d === 'float64';

export function shapeStr(s: Shape): string {
  return `[${s.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Right-aligned broadcast of two shapes; throws naming `op` when dims disagree. */
export function broadcastShapes(a: Shape, b: Shape, op: string): Shape {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else throw new GraphError(`${op}: shapes ${shapeStr(a)} and ${shapeStr(b)} do not broadcast`);
  }
  return out;
}

/** `d + k` for a number or a named dim ('seq' + -1 = 'seq-1'; 'seq-1' + 1 = 'seq'). */
export function dimOffset(d: Dim, k: number): Dim {
  if (typeof d === 'number') return d + k;
  if (k === 0) return d;
  const m = /^(.*?)([+-]\d+)$/.exec(d);
  const base = m ? m[1]! : d;
  const off = (m ? Number(m[2]) : 0) + k;
  return off === 0 ? base : `${base}${off > 0 ? '+' : ''}${off}`;
}

/** Sum of two dims: numbers add, names join ('past' + 'seq' = 'past+seq'). */
export function dimSum(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (typeof b === 'number') return dimOffset(a, b);
  if (typeof a === 'number') return dimOffset(b, a);
  return `${a}+${b}`;
}

/** Number of elements, or null when a dim is symbolic. */
export function numel(s: Shape): number | null {
  let n = 1;
  for (const d of s) {
    if (typeof d !== 'number') return null;
    n *= d;
  }
  return n;
}

export function normAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new GraphError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Length of a static slice [start, end) of a dim (negative bounds count from the end). */
export function sliceDim(d: Dim, start: number, end: number, op: string): Dim {
  if (typeof d === 'number') {
    const s = Math.min(Math.max(start < 0 ? start + d : start, 0), d);
    const e = Math.min(Math.max(end < 0 ? end + d : end, 0), d);
    return Math.max(e - s, 0);
  }
  // Symbolic: only [k, end-of-dim), [0, -k) and the last k, [-k, end-of-dim), are expressible (the
  // last k assume the dim holds at least k: the last position of a sequence).
  if (start >= 0 && end >= Number.MAX_SAFE_INTEGER) return dimOffset(d, -start);
  if (start < 0 && end >= Number.MAX_SAFE_INTEGER) return -start;
  if (start === 0 && end < 0) return dimOffset(d, end);
  throw new GraphError(`${op}: cannot slice [${start}, ${end}) of symbolic dim '${d}'`);
}
