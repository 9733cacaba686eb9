/**
 * A deterministic logic solver over what the player sees (never the hidden
 * mines). Exact: the frontier (hidden cells next to numbers) is split into
 * independent components, each enumerated by backtracking, and the components
 * are combined with the global mine count and the unconstrained interior cells
 * counted combinatorially. A cell is "certain" only when no consistent layout
 * disagrees. If a component exceeds the search budget, only the (sound)
 * single-constraint and subset rules decide certainty there and its
 * probabilities are local estimates (`exact: false`).
 *
 * Hand-written: no maintained JS library solves Minesweeper positions.
 */
import { HIDDEN, isDone, MINE, type MinesweeperAction, type MinesweeperState, neighbours } from './rules.js';

export interface Analysis {
  /** Mine probability per cell (row-major); 0 for opened cells, 1 for known mines. */
  probability: number[];
  /** Hidden cells that are certainly safe (0-based, ascending). */
  safe: number[];
  /** Hidden cells that are certainly mines (0-based, ascending). */
  mines: number[];
  /** False when a frontier component was too large to enumerate. */
  exact: boolean;
}

export interface AnalyseOptions {
  /** Hidden cells known to be mines (e.g. the mine hit on an earlier attempt). */
  knownMines?: readonly number[];
  /** Search nodes allowed per component before falling back to local rules. */
  budget?: number;
}

interface Constraint {
  vars: number[];
  need: number;
}

interface Component {
  cells: number[];
  /** counts[m] = consistent assignments with m mines. */
  counts: number[];
  /** cellCounts[m][k] = those assignments where cells[k] is a mine. */
  cellCounts: number[][];
  exact: boolean;
}

const DEFAULT_BUDGET = 200_000;

/** Analyse a board string (as in `MinesweeperState.board`) with `totalMines` mines in all. */
export function analyse(
  board: string,
  rows: number,
  cols: number,
  totalMines: number,
  options: AnalyseOptions = {},
): Analysis {
  const n = rows * cols;
  const known = new Set<number>(options.knownMines ?? []);
  for (let i = 0; i < n; i++) if (board[i] === MINE) known.add(i);
  const isUnknown = (i: number) => board[i] === HIDDEN && !known.has(i);
  const constraints: Constraint[] = [];
  for (let i = 0; i < n; i++) {
    const ch = board[i]!;
    if (ch === HIDDEN || ch === MINE || known.has(i)) continue;
    const value = ch === '.' ? 0 : Number(ch);
    const nb = neighbours(rows, cols, i);
    const vars = nb.filter(isUnknown);
    if (vars.length === 0) continue;
    constraints.push({ vars, need: value - nb.filter((j) => known.has(j)).length });
  }
  const remaining = totalMines - known.size;
  const local = localRules(constraints);
  const components = splitComponents(constraints).map((c) => enumerate(c, options.budget ?? DEFAULT_BUDGET));
  const frontier = new Set(components.flatMap((c) => c.cells));
  const interior: number[] = [];
  for (let i = 0; i < n; i++) if (isUnknown(i) && !frontier.has(i)) interior.push(i);

  const probability = new Array<number>(n).fill(0);
  for (const k of known) probability[k] = 1;
  const safe = new Set(local.safe);
  const mines = new Set(local.mines);
  const exact = components.every((c) => c.exact);
  const exactParts = components.filter((c) => c.exact);
  let fuzzyMines = 0;
  for (const c of components.filter((c) => !c.exact)) {
    for (const cell of c.cells) {
      const p = mines.has(cell) ? 1 : safe.has(cell) ? 0 : localEstimate(constraints, cell);
      probability[cell] = p;
      fuzzyMines += p;
    }
  }
  // Mines left for the enumerated components and the interior (inexact parts take their expected share).
  const left = exact ? remaining : Math.max(0, Math.round(remaining - fuzzyMines));
  const lf = logFactorials(n);
  const size = interior.length;
  const logInterior = (t: number) =>
    t > left || left - t > size ? -Infinity : lf[size]! - lf[left - t]! - lf[size - left + t]!;
  const logDist = (c: Component) => c.counts.map((k) => (k > 0 ? Math.log(k) : -Infinity));
  const all = logConvolveAll(exactParts.map(logDist));
  const allTerms = all.map((w, t) => w + logInterior(t));
  const scale = Math.max(-Infinity, ...allTerms);
  if (scale === -Infinity) {
    // Inconsistent view: no certainty beyond the local rules, local estimates.
    for (const c of exactParts)
      for (const cell of c.cells) probability[cell] = localEstimate(constraints, cell);
    for (const i of interior) probability[i] = size > 0 ? Math.min(1, left / size) : 0;
  } else {
    const z = allTerms.reduce((acc, v) => acc + Math.exp(v - scale), 0);
    for (const c of exactParts) {
      const others = logConvolveAll(exactParts.filter((o) => o !== c).map(logDist));
      const weight = new Array<number>(c.cells.length).fill(0);
      const canBeMine = new Array<boolean>(c.cells.length).fill(false);
      const canBeSafe = new Array<boolean>(c.cells.length).fill(false);
      c.counts.forEach((count, m) => {
        if (count === 0) return;
        // Sound without the global count when some component is inexact.
        const feasible = !exact || others.some((w, t) => w > -Infinity && logInterior(m + t) > -Infinity);
        c.cells.forEach((_, k) => {
          const hits = c.cellCounts[m]![k]!;
          if (feasible && hits > 0) canBeMine[k] = true;
          if (feasible && hits < count) canBeSafe[k] = true;
          if (hits === 0) return;
          for (let t = 0; t < others.length; t++) {
            weight[k]! += Math.exp(Math.log(hits) + others[t]! + logInterior(m + t) - scale);
          }
        });
      });
      c.cells.forEach((cell, k) => {
        probability[cell] = weight[k]! / z;
        if (!canBeMine[k]) safe.add(cell);
        if (!canBeSafe[k]) mines.add(cell);
      });
    }
    let w = 0;
    let anyMine = false;
    let anySafe = false;
    allTerms.forEach((lw, t) => {
      if (lw === -Infinity || size === 0) return;
      w += Math.exp(lw - scale) * ((left - t) / size);
      if (left - t > 0) anyMine = true;
      if (left - t < size) anySafe = true;
    });
    for (const i of interior) {
      probability[i] = w / z;
      if (exact && !anyMine) safe.add(i);
      if (exact && !anySafe) mines.add(i);
    }
  }
  const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
  return { probability, safe: sorted(safe), mines: sorted(mines), exact };
}

/** Analyse what the player of `state` sees. */
export function analyseState(state: MinesweeperState, options: AnalyseOptions = {}): Analysis {
  return analyse(state.board, state.rows, state.cols, state.mines.length, options);
}

/**
 * The solver's move: a certainly safe cell when there is one, else the least
 * risky hidden cell. Ties go to the cell most likely to be blank (it opens a
 * cascade), then to the first cell in row-major order. Null when the game is over.
 */
export function solverAction(
  state: MinesweeperState,
  options: AnalyseOptions = {},
): MinesweeperAction | null {
  if (isDone(state)) return null;
  const a = analyseState(state, options);
  const hidden: number[] = [];
  for (let i = 0; i < state.board.length; i++)
    if (state.board[i] === HIDDEN && !a.mines.includes(i)) hidden.push(i);
  const pool = a.safe.length > 0 ? a.safe : hidden;
  if (pool.length === 0) return null;
  const blankChance = (i: number) =>
    neighbours(state.rows, state.cols, i).reduce((p, j) => p * (1 - a.probability[j]!), 1);
  let best = pool[0]!;
  for (const i of pool.slice(1)) {
    const dp = a.probability[i]! - a.probability[best]!;
    if (dp < -1e-9 || (Math.abs(dp) <= 1e-9 && blankChance(i) > blankChance(best) + 1e-9)) best = i;
  }
  return { row: Math.floor(best / state.cols) + 1, col: (best % state.cols) + 1 };
}

/** Sound local deductions: a number whose hidden neighbours are all mines or all safe, and subset rules. */
function localRules(constraints: Constraint[]): { safe: number[]; mines: number[] } {
  const safe = new Set<number>();
  const mines = new Set<number>();
  let changed = true;
  const mark = (set: Set<number>, cells: number[]) => {
    for (const v of cells) {
      if (set.has(v)) continue;
      set.add(v);
      changed = true;
    }
  };
  let work = constraints.map((c) => ({ vars: [...c.vars], need: c.need }));
  while (changed) {
    changed = false;
    for (const c of work) {
      if (c.vars.length > 0 && c.need === 0) mark(safe, c.vars);
      if (c.vars.length > 0 && c.need === c.vars.length) mark(mines, c.vars);
    }
    for (const a of work) {
      for (const b of work) {
        if (a === b || a.vars.length === 0 || a.vars.length >= b.vars.length) continue;
        if (!a.vars.every((v) => b.vars.includes(v))) continue;
        const rest = b.vars.filter((v) => !a.vars.includes(v));
        if (b.need === a.need) mark(safe, rest);
        if (b.need - a.need === rest.length) mark(mines, rest);
      }
    }
    work = work.map((c) => ({
      vars: c.vars.filter((v) => !safe.has(v) && !mines.has(v)),
      need: c.need - c.vars.filter((v) => mines.has(v)).length,
    }));
  }
  return { safe: [...safe], mines: [...mines] };
}

/** Local mine-probability estimate of a frontier cell: the largest need/size among its constraints. */
function localEstimate(constraints: Constraint[], cell: number): number {
  let p = 0;
  for (const c of constraints) if (c.vars.includes(cell)) p = Math.max(p, c.need / c.vars.length);
  return Math.min(1, Math.max(0, p));
}

function splitComponents(constraints: Constraint[]): Constraint[][] {
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    while (parent.get(x) !== x) x = parent.get(x)!;
    return x;
  };
  for (const c of constraints) for (const v of c.vars) if (!parent.has(v)) parent.set(v, v);
  for (const c of constraints) for (const v of c.vars.slice(1)) parent.set(find(v), find(c.vars[0]!));
  const groups = new Map<number, Constraint[]>();
  for (const c of constraints) {
    const root = find(c.vars[0]!);
    if (!groups.has(root)) groups.set(root, []);
    groups.get(root)!.push(c);
  }
  return [...groups.values()];
}

function enumerate(constraints: Constraint[], budget: number): Component {
  // Cells in constraint order, so each constraint closes early and prunes.
  const cells: number[] = [];
  for (const c of constraints) for (const v of c.vars) if (!cells.includes(v)) cells.push(v);
  const pos = new Map(cells.map((v, k) => [v, k]));
  const cons = constraints.map((c) => ({ vars: c.vars.map((v) => pos.get(v)!), need: c.need }));
  const of = cells.map(() => [] as number[]);
  cons.forEach((c, ci) => {
    for (const k of c.vars) of[k]!.push(ci);
  });
  const sum = new Array<number>(cons.length).fill(0);
  const open = cons.map((c) => c.vars.length);
  const assign = new Array<number>(cells.length).fill(0);
  const counts = new Array<number>(cells.length + 1).fill(0);
  const cellCounts = counts.map(() => new Array<number>(cells.length).fill(0));
  let nodes = 0;
  const ok = (k: number) =>
    of[k]!.every((ci) => sum[ci]! <= cons[ci]!.need && sum[ci]! + open[ci]! >= cons[ci]!.need);
  const walk = (k: number, m: number): boolean => {
    if (++nodes > budget) return false;
    if (k === cells.length) {
      counts[m]!++;
      for (let j = 0; j < cells.length; j++) if (assign[j]) cellCounts[m]![j]!++;
      return true;
    }
    for (const bit of [0, 1]) {
      assign[k] = bit;
      for (const ci of of[k]!) {
        sum[ci]! += bit;
        open[ci]!--;
      }
      const fine = ok(k) ? walk(k + 1, m + bit) : true;
      for (const ci of of[k]!) {
        sum[ci]! -= bit;
        open[ci]!++;
      }
      if (!fine) return false;
    }
    assign[k] = 0;
    return true;
  };
  const exact = walk(0, 0);
  return { cells, counts, cellCounts, exact };
}

/** Convolution of count distributions given as logarithms (−Infinity = impossible). */
function logConvolveAll(dists: number[][]): number[] {
  let acc = [0];
  for (const d of dists) {
    const next = new Array<number>(acc.length + d.length - 1).fill(-Infinity);
    acc.forEach((a, i) => {
      if (a === -Infinity) return;
      d.forEach((b, j) => {
        if (b === -Infinity) return;
        const x = next[i + j]!;
        const y = a + b;
        next[i + j] = x === -Infinity ? y : Math.max(x, y) + Math.log1p(Math.exp(-Math.abs(x - y)));
      });
    });
    acc = next;
  }
  return acc;
}

function logFactorials(n: number): number[] {
  const out = [0];
  for (let i = 1; i <= n; i++) out.push(out[i - 1]! + Math.log(i));
  return out;
}
