/**
 * The expert acting on the lessons in its prompt (env `lessonAction`): a
 * reflection written as `sokobanRuleReflection` writes it ends with the plan
 * "from the initial state play this shortest solution (N moves): up, left, …".
 * While the moves played so far in this attempt are a prefix of the latest
 * such plan, the expert plays the plan's next moves (as many as a turn
 * holds); off the plan, or without one, it plays the solver from the current
 * state. Following the written plan, not a fresh search, makes the move
 * learnable by copying from the prompt.
 */
import { shownReflections } from '../core/lessons.js';
import type { PlayPromptContext } from '../core/types.js';
import { MOVES, type Move } from './board.js';
import { playedMoves } from './reflection.js';
import { isWon, type SokobanAction, type SokobanState } from './rules.js';
import { solve } from './solver.js';

const PLAN = /play this shortest solution \(\d+ moves?\): ([a-z, ]+)/;

/** The moves of the latest plan among `reflections`, or null when none writes one. */
export function readPlan(reflections: readonly string[]): Move[] | null {
  for (let i = reflections.length - 1; i >= 0; i--) {
    const m = PLAN.exec(reflections[i]!);
    if (!m) continue;
    const moves = m[1]!.split(',').map((w) => w.trim());
    if (moves.length > 0 && moves.every((w) => (MOVES as readonly string[]).includes(w)))
      return moves as Move[];
  }
  return null;
}

/** The solver's first moves from `state` (at most a turn's worth), or null when it finds none. */
export function solverTurn(state: SokobanState): SokobanAction | null {
  const plan = solve(state, state.searchDepth);
  return plan === null || plan.length === 0 ? null : plan.slice(0, state.movesPerTurn);
}

export function lessonAction(ctx: PlayPromptContext<SokobanState>): SokobanAction | null {
  const s = ctx.current;
  if (isWon(s)) return null;
  const plan = readPlan(shownReflections(ctx));
  if (plan !== null) {
    const played = playedMoves(ctx.history.map((r) => r.action));
    const onPlan = played.length < plan.length && played.every((m, k) => m === plan[k]);
    if (onPlan) return plan.slice(played.length, played.length + s.movesPerTurn);
  }
  return solverTurn(s);
}
