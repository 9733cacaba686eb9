/**
 * The environment contract (../shared/DESIGN.md, "Contracts"): pure,
 * deterministic rules over plain JSON state. Gymnasium-style: the rules are
 * functions; a thin stateful adapter (the env actor) sits on top.
 *
 * Type-only module.
 */
import type { ZodType } from 'zod';
import type { Rng } from '../../util/rng.js';

/** Any value that survives `JSON.parse(JSON.stringify(x))` unchanged. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What one `step` returns. `state` is a new object; the input state is never mutated. */
export interface StepResult<S> {
  state: S;
  /** Reward of this turn (one LLM call), as the reference credits it. */
  reward: number;
  /** The attempt is over (win, loss, dead state or the env's own step limit). */
  done: boolean;
  /** The task is solved. `won` implies `done`. */
  won: boolean;
  /** Env-specific facts about the step (plain JSON), e.g. `{ movesExecuted: 3 }`. */
  info: Record<string, Json>;
}

/** Result of parsing an LLM reply into an action. Never thrown: invalid text is data. */
export type Projection<A> = { kind: 'action'; action: A } | { kind: 'invalid'; reason: string };

/** Result of parsing a reflection reply (`<remark>...</remark>`). */
export type ReflectionParse = { kind: 'reflection'; text: string } | { kind: 'invalid'; reason: string };

/** One played turn as kept in memory and rendered in prompts (reference `memory.py` records). */
export interface HistoryRecord {
  /** The action as the reference writes it in history, e.g. `['up', 'left']` or `(2, 3)`. */
  action: string;
  /** Observation after the action. */
  observation: string;
  reward: number;
  done: boolean;
  won: boolean;
}

/**
 * What a previous attempt leaves for later attempts. Which parts a prompt shows
 * depends on the memory mode.
 */
export interface AttemptMemory {
  /** 0-based index of the attempt. */
  attempt: number;
  history: HistoryRecord[];
  /** The parsed reflection written after this attempt ('' when unparseable). */
  reflection: string;
}

/**
 * Memory modes (reference §3.3) plus `none`: independent retries with no memory
 * at all (our fix of reference bug §12.7 for the baselines).
 */
export type MemoryMode = 'reflection_only' | 'history_only' | 'history_and_reflection' | 'none';

/** Prompt wording: `faithful` reproduces the reference's prompts, `compact` is a shorter variant. */
export type PromptStyle = 'faithful' | 'compact';

/** What an env's play prompt is built from: initial and current state, attempt index, history, memory of earlier attempts. */
export interface PlayPromptContext<S> {
  /** The attempt's initial state (identical for every attempt of a trial). */
  initial: S;
  /** The state the agent acts from now. */
  current: S;
  /** 0-based attempt index. With memory mode `none` every attempt renders as attempt 0. */
  attempt: number;
  /** Records of the current attempt so far (turn = history.length). */
  history: HistoryRecord[];
  /** Earlier attempts of this trial, oldest first. */
  memory: AttemptMemory[];
  memoryMode: MemoryMode;
}

/** What an env's reflect prompt is built from: the attempt that just ended (its initial and final state and history). */
export interface ReflectPromptContext<S> {
  initial: S;
  /** Final state of the attempt being reflected on. */
  current: S;
  /** 0-based index of the attempt that just ended. */
  attempt: number;
  /** That attempt's records. */
  history: HistoryRecord[];
}

/** An env's prompt templates for one {@link PromptStyle}. */
export interface PromptSet<S> {
  /** The prompt of one play turn. */
  play(ctx: PlayPromptContext<S>): string;
  /** The prompt of a reflection on the attempt just ended. */
  reflect(ctx: ReflectPromptContext<S>): string;
}

/**
 * One registered environment. `S` is the plain-JSON state, `A` the plain-JSON
 * action, `P` the plain-JSON params.
 */
export interface EnvDefinition<S = Json, A = Json, P = Json> {
  /** Versioned id, e.g. `Sokoban-v0`. */
  id: string;
  /** Short aliases accepted by the CLI, e.g. `sokoban`. */
  aliases: string[];
  /** Doc block: Description, Actions, Observation, Start, Rewards, End, Params. */
  doc: string;
  /** Params schema; `parseParams` reports the field and expected value on bad input. */
  paramsSchema: ZodType<P>;
  defaultPreset: string;
  /** Named difficulty presets. */
  presets: Record<string, P>;
  /** Default turn budget of one attempt (reference `max_turns`). */
  maxTurns: number;
  /**
   * Turn budget of `lamer eval` and `lamer play` when it differs from training's (reference eval
   * configs: ALFWorld 30 against 10); default `maxTurns`.
   */
  evalMaxTurns?: number;
  /** Deterministic initial state for a seed. */
  initial(seed: number, params: P): S;
  /** Apply a valid action. Pure. */
  step(state: S, action: A): StepResult<S>;
  /** The step taken when the reply is invalid (reference §8: a no-op with the env's penalty). */
  stepInvalid(state: S): StepResult<S>;
  /** Text observation (stable: same state, same text). */
  observe(state: S): string;
  /** GiGPO grouping key: the raw observation the turn was taken from. */
  anchor(state: S): string;
  /** LLM reply → action. Total: never throws. */
  project(text: string): Projection<A>;
  /** LLM reflection reply → reflection text (reference §3.2). Total. */
  parseReflection(text: string): ReflectionParse;
  /** The action as written in history (`null` = an invalid reply). */
  describeAction(action: A | null): string;
  /** The action as the LLM would write it inside `<action>` tags; `project` of it gives it back. */
  formatAction(action: A): string;
  /** Actions that can be taken now, in the reference format (inside the tags). */
  admissible(state: S): string[];
  /** A uniformly random admissible action (random policy, contract checker). */
  randomAction(state: S, rng: Rng): A;
  /** A good action from the env's solver, or null when it has none (expert policy). */
  expertAction?(state: S): A | null;
  /**
   * The expert acting on what the play prompt shows: the lessons of earlier attempts
   * (`shownReflections`) and the current attempt so far; null when it has no move. The expert
   * policy and the warm start's targets use it when defined, else `expertAction(ctx.current)`.
   */
  lessonAction?(ctx: PlayPromptContext<S>): A | null;
  /**
   * A rule-written reflection on a failed attempt (e.g. "the mine was at (2, 3)"), so
   * scripted policies have something to reflect with and the built-in model can learn from it.
   */
  ruleReflection?(ctx: ReflectPromptContext<S>): string;
  /** Extra named operations timed by `npm run bench:envs` (e.g. WebShop's `search`). */
  benchmarks?(): Record<string, () => void>;
  /** Task type for per-type metrics (ALFWorld); defaults to the env id. */
  taskType?(state: S): string;
  /** The task in words when the observation does not show it (WebShop's instruction), for people playing. */
  task?(state: S): string;
  prompts: Record<PromptStyle, PromptSet<S>>;
}

/** An env with its types erased, as stored in the registry. */
// biome-ignore lint/suspicious/noExplicitAny: the registry stores envs of any state/action/param types
export type AnyEnvDefinition = EnvDefinition<any, any, any>;
