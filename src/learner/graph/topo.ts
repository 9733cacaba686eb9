import { GraphError } from './errors.js';
import type { Tensor } from './tensor.js';

/**
 * Nodes reachable from `outputs`, each after its inputs (iterative DFS, so deep
 * graphs do not overflow the stack). Throws on a cycle, naming a node on it.
 */
export function topoSort(outputs: readonly Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const state = new Map<Tensor, 1 | 2>(); // 1 = on the stack, 2 = done
  for (const root of outputs) {
    if (state.get(root) === 2) continue;
    const stack: [Tensor, number][] = [[root, 0]];
    state.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [t, i] = top;
      if (i < t.inputs.length) {
        top[1] = i + 1;
        const child = t.inputs[i]!;
        const s = state.get(child);
        if (s === 1) throw new GraphError(`cycle: ${child.describe()} depends on itself`);
        if (s === undefined) {
          state.set(child, 1);
          stack.push([child, 0]);
        }
      } else {
        state.set(t, 2);
        order.push(t);
        stack.pop();
      }
    }
  }
  return order;
}
