/**
 * The env actor: a thin XState wrapper over an env's pure rules. Its snapshot
 * is plain data (env id, params, seed, initial and current state), so it can
 * be persisted and restored; the rules are looked up in the registry by id.
 *
 * Events: `reset` (new seed), `step` (a parsed action), `act` (LLM text,
 * projected; invalid text takes the env's invalid step), `restart` (back to
 * the identical initial state).
 */
import { assign, setup } from 'xstate';
import { getEnv } from '../envs/core/registry.js';
import type { Json, StepResult } from '../envs/core/types.js';

/** Input of {@link envMachine}: which registered env, its params, and the task seed. */
export interface EnvActorInput {
  envId: string;
  params: Json;
  seed: number;
}

/** Context of {@link envMachine} (plain JSON): the initial and current env state and the last step's outcome. */
export interface EnvActorContext extends EnvActorInput {
  initial: Json;
  state: Json;
  /** Turns taken in the current attempt. */
  turn: number;
  /** 0-based attempt index (incremented by `restart`). */
  attempt: number;
  totalReward: number;
  done: boolean;
  won: boolean;
  /** The last step, or null right after reset/restart. */
  last: (Omit<StepResult<Json>, 'state'> & { valid: boolean; reason?: string }) | null;
}

/** Events {@link envMachine} accepts: `reset` to a new seed, `step` with a parsed action, `act` with LLM text (projected), `restart` the same initial state. */
export type EnvActorEvent =
  | { type: 'reset'; seed: number; params?: Json }
  | { type: 'step'; action: Json }
  | { type: 'act'; text: string }
  | { type: 'restart' };

function fresh(input: EnvActorInput): EnvActorContext {
  const env = getEnv(input.envId);
  const initial = env.initial(input.seed, input.params);
  return {
    ...input,
    initial,
    state: initial,
    turn: 0,
    attempt: 0,
    totalReward: 0,
    done: false,
    won: false,
    last: null,
  };
}

function applied(
  ctx: EnvActorContext,
  result: StepResult<Json>,
  valid: boolean,
  reason?: string,
): Partial<EnvActorContext> {
  const { state, ...rest } = result;
  return {
    state,
    turn: ctx.turn + 1,
    totalReward: ctx.totalReward + result.reward,
    done: result.done,
    won: result.won,
    last: reason === undefined ? { ...rest, valid } : { ...rest, valid, reason },
  };
}

/**
 * An env as an XState actor: the env's pure rules behind `reset`, `step`,
 * `act` and `restart` events, with a plain-data snapshot (rules looked up by
 * `envId` in the registry). An unregistered id fails the actor at start with `UnknownIdError`.
 */
export const envMachine = setup({
  types: {
    input: {} as EnvActorInput,
    context: {} as EnvActorContext,
    events: {} as EnvActorEvent,
  },
  actions: {
    reset: assign(({ context, event }) => {
      if (event.type !== 'reset') return {};
      return fresh({ envId: context.envId, params: event.params ?? context.params, seed: event.seed });
    }),
    restart: assign(({ context }) => ({
      state: context.initial,
      turn: 0,
      attempt: context.attempt + 1,
      totalReward: 0,
      done: false,
      won: false,
      last: null,
    })),
    step: assign(({ context, event }) => {
      if (event.type !== 'step') return {};
      return applied(context, getEnv(context.envId).step(context.state, event.action), true);
    }),
    act: assign(({ context, event }) => {
      if (event.type !== 'act') return {};
      const env = getEnv(context.envId);
      const p = env.project(event.text);
      return p.kind === 'action'
        ? applied(context, env.step(context.state, p.action), true)
        : applied(context, env.stepInvalid(context.state), false, p.reason);
    }),
  },
  guards: {
    isDone: ({ context }) => context.done,
  },
}).createMachine({
  id: 'env',
  context: ({ input }) => fresh(input),
  initial: 'playing',
  states: {
    playing: {
      always: { guard: 'isDone', target: 'done' },
      on: {
        step: { actions: 'step', target: 'playing', reenter: true },
        act: { actions: 'act', target: 'playing', reenter: true },
        restart: { actions: 'restart' },
        reset: { actions: 'reset' },
      },
    },
    done: {
      on: {
        restart: { actions: 'restart', target: 'playing' },
        reset: { actions: 'reset', target: 'playing' },
      },
    },
  },
});
