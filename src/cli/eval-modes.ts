/**
 * The evaluation protocols of `lamer eval --mode` (the paper's prompting
 * baselines and LaMer's own protocol), as settings of the same trial engine:
 *
 * - `lamer` (default): N attempts (--attempts, 3) with a reflection turn
 *   between attempts and `reflection_only` memory (reference §3, §10).
 * - `reflexion`: the same schedule and memory. At evaluation time Reflexion
 *   and LaMer's protocol coincide (reflect after a failed attempt, keep the
 *   reflections, retry); what differs is the model: an untrained (prompted)
 *   model is the Reflexion baseline, a meta-RL-trained one is LaMer.
 * - `retry`: N independent attempts from the same initial state, no memory
 *   and no reflection (how the RL baselines are evaluated, §10, with bug
 *   §12.7 fixed).
 * - `react`: 1 attempt; the env's prompt as it is, which already asks the
 *   model to reason step by step and then give the action in <action> tags
 *   (reason, then act, at every turn).
 * - `zero-shot`: 1 attempt; the same prompt with one line appended that asks
 *   for the action tag alone, without reasoning. This appended line is the
 *   only difference from `react`. It is added by a policy wrapper, so the
 *   trial log's `prompt` field shows the env prompt without it.
 */
import type { MemoryMode } from '../envs/core/types.js';
import type { GenerationRequest, Policy } from '../policy/types.js';

/** Evaluation protocols: LaMer (reflection between attempts), Reflexion, plain retry, ReAct (one attempt) and zero-shot. */
export const EVAL_MODES = ['lamer', 'reflexion', 'retry', 'react', 'zero-shot'] as const;
/** One of {@link EVAL_MODES}. */
export type EvalMode = (typeof EVAL_MODES)[number];

/** Appended to the last user message in `zero-shot` mode. */
export const ZERO_SHOT_SUFFIX =
  '\n\nDo not explain or reason. Reply with the action only, inside <action> </action> tags.';

export interface ModeSettings {
  attempts: number;
  memory: MemoryMode;
  /** Text appended to the last user message of every request, or null. */
  promptSuffix: string | null;
}

/** The trial settings of a mode; `attempts` and `memory` are the user's (used by `lamer` and, for attempts, `reflexion`/`retry`). */
export function modeSettings(mode: EvalMode, attempts: number, memory: MemoryMode): ModeSettings {
  switch (mode) {
    case 'lamer':
      return { attempts, memory, promptSuffix: null };
    case 'reflexion':
      return { attempts, memory: 'reflection_only', promptSuffix: null };
    case 'retry':
      return { attempts, memory: 'none', promptSuffix: null };
    case 'react':
      return { attempts: 1, memory: 'none', promptSuffix: null };
    case 'zero-shot':
      return { attempts: 1, memory: 'none', promptSuffix: ZERO_SHOT_SUFFIX };
  }
}

/** A policy that sees every request with `suffix` appended to its last user message. */
export function withPromptSuffix(policy: Policy, suffix: string): Policy {
  const edit = (r: GenerationRequest): GenerationRequest => {
    const last = r.messages.map((m) => m.role).lastIndexOf('user');
    return {
      ...r,
      messages: r.messages.map((m, i) => (i === last ? { ...m, content: m.content + suffix } : m)),
    };
  };
  const wrapped: Policy = {
    name: policy.name,
    generate: (requests, signal) => policy.generate(requests.map(edit), signal),
  };
  if (policy.maxBatch !== undefined) Object.assign(wrapped, { maxBatch: policy.maxBatch });
  return wrapped;
}
