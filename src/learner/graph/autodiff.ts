/**
 * The reverse walker: visits nodes in reverse topological order, sums the
 * gradients of fanned-out tensors, applies each op's rule, and sums
 * broadcast gradients back to each input's shape.
 */
import { GraphError, MissingGradientRuleError } from './errors.js';
import { type GradRule, gradRules } from './grad-rules.js';
import * as G from './ops.js';
import { isFloat, sameShape, shapeStr } from './shape.js';
import type { OpName, Tensor } from './tensor.js';
import { topoSort } from './topo.js';

export interface GradientOptions {
  /** The rule table (default: `gradRules`). */
  readonly rules?: Partial<Record<OpName, GradRule>>;
  /** Gradient of the loss w.r.t. `loss` itself (default: 1; needed when `loss` is not a scalar). */
  readonly seed?: Tensor;
}

/** Sum a gradient of a broadcast result back to the shape of the input `x`. */
export function sumToShape(g: Tensor, x: Tensor): Tensor {
  if (sameShape(g.shape, x.shape)) return g;
  const lead = g.rank - x.rank;
  const ones = x.shape.flatMap((d, i) => (d === 1 && g.shape[lead + i] !== 1 ? [lead + i] : []));
  let out = ones.length > 0 ? G.reduceSum(g, ones, true) : g;
  if (lead > 0) out = G.reduceSum(out, [...Array(lead).keys()], false);
  if (!sameShape(out.shape, x.shape))
    throw new GraphError(`gradient of shape ${shapeStr(g.shape)} cannot be summed to ${x.describe()}`);
  return out;
}

/**
 * Gradients of `loss` with respect to each tensor of `wrt` (null where the
 * loss does not depend on it). Throws MissingGradientRuleError naming the op
 * when a node between them has no rule.
 */
export function gradients(
  loss: Tensor,
  wrt: readonly Tensor[],
  opts: GradientOptions = {},
): (Tensor | null)[] {
  const rules = opts.rules ?? gradRules;
  if (!isFloat(loss.dtype))
    throw new GraphError(`cannot differentiate ${loss.describe()}: not a float tensor`);
  if (!opts.seed && loss.rank !== 0)
    throw new GraphError(`loss ${loss.describe()} is not a scalar; pass a seed`);
  const order = topoSort([loss]);
  const targets = new Set(wrt);
  const needed = new Set<Tensor>();
  for (const t of order) if (targets.has(t) || t.inputs.some((i) => needed.has(i))) needed.add(t);

  const parts = new Map<Tensor, Tensor[]>([[loss, [opts.seed ?? G.scalar(1, loss.dtype)]]]);
  const total = new Map<Tensor, Tensor>();
  for (let k = order.length - 1; k >= 0; k--) {
    const y = order[k]!;
    const ps = parts.get(y);
    if (!ps || !needed.has(y)) continue;
    const g = ps.reduce((acc, p) => G.add(acc, p));
    total.set(y, g);
    if (!y.inputs.some((i) => needed.has(i))) continue;
    const rule = rules[y.op];
    if (!rule) throw new MissingGradientRuleError(y.op);
    const gs = rule(y, g);
    y.inputs.forEach((x, i) => {
      const gi = gs[i];
      if (!gi || !needed.has(x) || !isFloat(x.dtype)) return;
      if (gi.dtype !== x.dtype)
        throw new GraphError(`${y.op} gradient rule returned ${gi.dtype} for ${x.describe()}`);
      const list = parts.get(x) ?? [];
      list.push(sumToShape(gi, x));
      parts.set(x, list);
    });
  }
  return wrt.map((w) => total.get(w) ?? null);
}
