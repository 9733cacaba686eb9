/**
 * The PDDL problem files of ALFWorld's games (`initial_state.pddl`, the
 * `pddl_problem` of `game.tw-pddl`): s-expressions read into the typed
 * objects and the `:init` facts, lower-cased as TextWorld's PDDL reader (Fast
 * Downward) does. Hand-written: the files are flat fact lists, and the one
 * npm s-expression reader (@thi.ng/sexpr, ~900 weekly downloads) brings a
 * runtime we would not use.
 */
import { ParseError } from '../../util/errors.js';

export type SExpr = string | SExpr[];

/** Parse one s-expression (comments start with `;`). */
export function parseSExpr(text: string, what = 'PDDL'): SExpr {
  const tokens = text.replace(/;[^\n]*/g, ' ').match(/[()]|[^\s()]+/g) ?? [];
  let i = 0;
  const read = (): SExpr => {
    const t = tokens[i++];
    if (t === undefined) throw new ParseError(`${what}: unexpected end of file (unbalanced parentheses)`);
    if (t === ')') throw new ParseError(`${what}: unexpected ")" at token ${i}`);
    if (t !== '(') return t.toLowerCase();
    const list: SExpr[] = [];
    while (tokens[i] !== ')') {
      if (i >= tokens.length) throw new ParseError(`${what}: unexpected end of file (a "(" is never closed)`);
      list.push(read());
    }
    i++;
    return list;
  };
  const out = read();
  if (i !== tokens.length) throw new ParseError(`${what}: text after the end of the problem`);
  return out;
}

export interface PddlProblem {
  /** Declared object name → its PDDL type (`object`, `receptacle`, `location`, …). */
  objects: Map<string, string>;
  /** `:init` facts without the numeric `(= …)` ones, as [predicate, ...args]. */
  facts: string[][];
}

/** The objects and initial facts of a PDDL problem. */
export function parseProblem(text: string, what = 'PDDL problem'): PddlProblem {
  const root = parseSExpr(text, what);
  if (!Array.isArray(root) || root[0] !== 'define')
    throw new ParseError(`${what}: expected "(define (problem …) …)"`);
  const section = (name: string) => root.find((x): x is SExpr[] => Array.isArray(x) && x[0] === name) ?? null;
  const objectsSection = section(':objects');
  const init = section(':init');
  if (!objectsSection || !init)
    throw new ParseError(`${what}: missing the (:objects …) or (:init …) section`);
  const objects = new Map<string, string>();
  const names: string[] = [];
  for (let k = 1; k < objectsSection.length; k++) {
    const t = objectsSection[k]!;
    if (typeof t !== 'string') throw new ParseError(`${what}: unexpected list in (:objects …)`);
    if (t === '-') {
      const type = objectsSection[++k];
      if (typeof type !== 'string') throw new ParseError(`${what}: "-" without a type in (:objects …)`);
      for (const n of names) objects.set(n, type);
      names.length = 0;
    } else names.push(t);
  }
  for (const n of names) objects.set(n, 'object');
  const facts: string[][] = [];
  for (const f of init.slice(1)) {
    if (!Array.isArray(f) || f[0] === '=') continue;
    if (!f.every((x): x is string => typeof x === 'string'))
      throw new ParseError(`${what}: nested fact ${JSON.stringify(f)} in (:init …)`);
    facts.push(f);
  }
  return { objects, facts };
}
