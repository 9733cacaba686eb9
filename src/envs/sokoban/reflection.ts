/**
 * Rule-written reflections on a failed Sokoban attempt: why it failed (a box
 * stuck in a corner or against a wall, boxes blocking each other, out of
 * moves, invalid replies) and a concrete plan, the solver's shortest solution
 * from the initial state. Rows and columns count from 0, as the observation's
 * row numbers do.
 */
import type { ReflectPromptContext } from '../core/types.js';
import { type Geometry, levelGeometry, MOVES, type Move, rowCol } from './board.js';
import { isWon, type SokobanState, solutionWithin } from './rules.js';
import { solve } from './solver.js';

const WALL_DIRECTION_NAMES = ['the top', 'the bottom', 'the left', 'the right'];

function isWallAt(g: Geometry, cell: number, d: number): boolean {
  const n = g.nbr[cell * 4 + d]!;
  return n < 0 || !g.floor[n];
}

/** Why the final state cannot be won any more, or null when it still could be. */
function stuckReason(g: Geometry, s: SokobanState): string | null {
  for (const b of s.boxes) {
    if (g.target[b] || !g.dead[b]) continue;
    const { row, col } = rowCol(s.width, b);
    const vertical = isWallAt(g, b, 0) || isWallAt(g, b, 1);
    const horizontal = isWallAt(g, b, 2) || isWallAt(g, b, 3);
    if (vertical && horizontal) return `The box at row ${row}, column ${col} got stuck in a corner.`;
    const side = [0, 1, 2, 3].find((d) => isWallAt(g, b, d));
    const where = side === undefined ? '' : ` against the wall at ${WALL_DIRECTION_NAMES[side]}`;
    return `The box at row ${row}, column ${col} was pushed${where} where it can never reach a target.`;
  }
  if (!isWon(s) && solutionWithin(s, s.searchDepth) === null) {
    return 'The boxes ended up blocking each other, so the puzzle could not be solved any more.';
  }
  return null;
}

/** The primitive moves an attempt's history records name (`['up', 'left']` → up, left). */
export function playedMoves(actions: readonly string[]): Move[] {
  const out: Move[] = [];
  for (const a of actions) {
    for (const m of a.matchAll(/'(\w+)'/g)) {
      if ((MOVES as readonly string[]).includes(m[1]!)) out.push(m[1] as Move);
    }
  }
  return out;
}

export function sokobanRuleReflection(ctx: ReflectPromptContext<SokobanState>): string {
  const g = levelGeometry(ctx.current);
  const parts: string[] = [];
  const stuck = stuckReason(g, ctx.current);
  if (stuck !== null) {
    parts.push(stuck);
  } else {
    const placed = ctx.current.boxes.filter((b) => g.target[b]).length;
    parts.push(`I ran out of moves with ${placed} of ${ctx.current.boxes.length} boxes on targets.`);
  }
  const invalid = ctx.history.filter((r) => r.action === "['still']").length;
  if (invalid > 0) parts.push(`${invalid} of my turns did nothing (no valid move).`);

  const plan = solve(ctx.initial, ctx.initial.searchDepth);
  if (plan === null) {
    parts.push(`I found no solution within ${ctx.initial.searchDepth} moves from the initial state.`);
    return parts.join(' ');
  }
  const played = playedMoves(ctx.history.map((r) => r.action));
  let k = 0;
  while (k < played.length && k < plan.length && played[k] === plan[k]) k++;
  if (k < played.length && k < plan.length) {
    parts.push(`My move ${k + 1} was ${played[k]}, but a shortest solution goes ${plan[k]} there.`);
  }
  parts.push(
    `Next time, from the initial state play this shortest solution (${plan.length} moves): ${plan.join(', ')}.`,
  );
  return parts.join(' ');
}
