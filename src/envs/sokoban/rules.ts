/**
 * Sokoban rules over plain-JSON state (reference `sokoban/env.py::step`,
 * gym_sokoban `SokobanEnv.step/_push/_move/_calc_reward`,
 * `envs.py::SokobanWorker.step`).
 *
 * Per primitive move: −0.1; +1 when the number of boxes on targets rises,
 * −1 when it falls; +10 when every box is on a target. `done` = all boxes on
 * targets, or the step count equals `maxSteps` (the reference's `==`), or a dead
 * state (no solution within `searchDepth` moves). `still` (action 0): −0.1, no
 * state change, not counted, done false.
 *
 * A turn runs up to `movesPerTurn` moves in order and returns only the LAST
 * move's reward and done (reference quirk §12.9); won = any move won (moves
 * after a win still run).
 *
 * The reward's "previous boxes on targets" is counted from the state; the
 * reference resets it to 0 at reset, which only differs for given levels that
 * start with a box on a goal (generated levels never do).
 */
import type { StepResult } from '../core/types.js';
import { boxesOnTargets, levelGeometry, MOVES, type SokobanLevel, type TurnMove } from './board.js';
import { isSolvable, shortestSolutionLength } from './solver.js';

/** Sokoban state (plain JSON): the level with the current box and player cells, step counts and limits. */
export interface SokobanState extends SokobanLevel {
  /** Primitive moves counted so far (`still` is not counted). */
  steps: number;
  maxSteps: number;
  searchDepth: number;
  movesPerTurn: number;
  /**
   * Cache: an upper bound on the shortest solution length from this state that
   * is ≤ searchDepth, or null when unknown. A walk without a push changes the
   * optimum by at most one, so a bound + 1 that still fits proves the state is
   * not dead without a search; a push clears it.
   */
  bound: number | null;
}

/** A turn's action: 1..movesPerTurn moves (the reference's action id list). */
export type SokobanAction = TurnMove[];

export const STEP_PENALTY = -0.1;
export const BOX_ON_TARGET_REWARD = 1;
export const BOX_OFF_TARGET_PENALTY = -1;
export const FINISH_REWARD = 10;

interface MoveOutcome {
  reward: number;
  done: boolean;
  won: boolean;
  dead: boolean;
}

/** Shortest solution length within the state's search depth, or null for a dead state. */
export function solutionWithin(level: SokobanLevel, depth: number): number | null {
  if (!isSolvable(level)) return null;
  return shortestSolutionLength(level, depth);
}

/** All boxes on targets. */
export function isWon(state: SokobanLevel): boolean {
  return boxesOnTargets(levelGeometry(state), state.boxes) === state.boxes.length;
}

/** Apply one primitive move to `s` (a private mutable copy). */
function applyMove(s: SokobanState, move: TurnMove): MoveOutcome {
  if (move === 'still') return { reward: STEP_PENALTY, done: false, won: false, dead: false };
  const g = levelGeometry(s);
  const d = MOVES.indexOf(move);
  const before = boxesOnTargets(g, s.boxes);
  s.steps += 1;
  let pushed = false;
  let walked = false;
  const next = g.nbr[s.player * 4 + d]!;
  if (next >= 0 && g.floor[next]) {
    const k = s.boxes.indexOf(next);
    if (k === -1) {
      s.player = next;
      walked = true;
    } else {
      const beyond = g.nbr[next * 4 + d]!;
      if (beyond >= 0 && g.floor[beyond] && !s.boxes.includes(beyond)) {
        s.boxes[k] = beyond;
        s.boxes.sort((a, b) => a - b);
        s.player = next;
        pushed = true;
      }
    }
  }
  const after = boxesOnTargets(g, s.boxes);
  const won = after === s.boxes.length;
  let reward = STEP_PENALTY;
  if (after > before) reward += BOX_ON_TARGET_REWARD;
  else if (after < before) reward += BOX_OFF_TARGET_PENALTY;
  if (won) reward += FINISH_REWARD;

  if (pushed) s.bound = null;
  else if (walked && s.bound !== null) s.bound = s.bound + 1 <= s.searchDepth ? s.bound + 1 : null;
  let done = won || s.steps === s.maxSteps;
  let dead = false;
  if (!done) {
    if (s.bound === null) s.bound = solutionWithin(s, s.searchDepth);
    dead = s.bound === null;
    done = dead;
  }
  return { reward, done, won, dead };
}

/** One turn: the moves run in order; the last move's reward and done are returned. */
export function stepTurn(state: SokobanState, action: SokobanAction): StepResult<SokobanState> {
  const moves = action.slice(0, state.movesPerTurn);
  if (moves.length === 0) return stepStill(state);
  const s: SokobanState = { ...state, boxes: [...state.boxes] };
  const rewards: number[] = [];
  let last: MoveOutcome = { reward: 0, done: false, won: false, dead: false };
  let anyWon = false;
  for (const m of moves) {
    last = applyMove(s, m);
    rewards.push(last.reward);
    anyWon ||= last.won;
  }
  return {
    state: s,
    reward: last.reward,
    // The contract needs won ⇒ done; the reference would leave an env that won and then
    // pushed a box off a target (or ended on `still`) active for the rest of the attempt.
    done: last.done || anyWon,
    won: anyWon,
    info: {
      moves: moves.length,
      moveRewards: rewards,
      steps: s.steps,
      boxesOnTargets: boxesOnTargets(levelGeometry(s), s.boxes),
      dead: last.dead,
    },
  };
}

/** The reference's action 0: −0.1, no state change, not counted as a step. */
export function stepStill(state: SokobanState): StepResult<SokobanState> {
  return {
    state: { ...state, boxes: [...state.boxes] },
    reward: STEP_PENALTY,
    done: false,
    won: false,
    info: {
      moves: 0,
      moveRewards: [STEP_PENALTY],
      steps: state.steps,
      boxesOnTargets: boxesOnTargets(levelGeometry(state), state.boxes),
      dead: false,
    },
  };
}
