/**
 * The records that flow through the RxJS streams (../shared/DESIGN.md,
 * "Contracts"). Type-only module.
 */
import type { Json } from '../envs/core/types.js';

/** Which kind of LLM call a sample is: a play turn or a reflection. */
export type Phase = 'play' | 'reflect';

/** One LLM call: the unit the learner trains on. */
export interface TurnSample {
  taskId: string;
  groupId: string;
  trialId: string;
  /** 0-based attempt index. */
  attempt: number;
  /** 0-based turn index within the attempt (reflections: the number of play turns before it). */
  turn: number;
  phase: Phase;
  prompt: string;
  response: string;
  promptTokens?: number[];
  responseTokens?: number[];
  logprobs?: number[];
  /** Set when the reply was over the length bound for its token budget and cut: its length before, in characters. */
  responseCut?: number;
  /** Env reward of the turn (0 for reflections). */
  reward: number;
  /** The reply parsed (action tags / remark tags present). */
  valid: boolean;
  done: boolean;
  won: boolean;
  /** GiGPO anchor: the observation the turn was taken from; 'reflection' for reflections. */
  anchor: string;
  policyVersion: number;
  /** The action in history format (play turns), for trajectory identity. */
  action?: string;
  /** Env id and task type, for breakdowns. */
  envId?: string;
  taskType?: string;
  info?: Record<string, Json>;
}

/** One trial: the ordered turn samples plus the attempt index of the first success. */
export interface TrialRecord {
  taskId: string;
  groupId: string;
  trialId: string;
  envId: string;
  taskType: string;
  /** Task seed. */
  seed: number;
  attempts: number;
  samples: TurnSample[];
  wonAt: number | null;
  /** Set when the trial could not be completed (policy failure after retries); never silently dropped. */
  failed?: string;
}
