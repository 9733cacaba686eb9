/**
 * Warm-start data (issue 6 item 2, our stand-in for the paper's pretrained
 * base model): the env's solver plays train tasks through the real trial
 * engine (runRollout, compact prompts, reflection turns), with a random move
 * instead of the solver's at rate `epsilon`, so attempts fail, get
 * rule-written reflections (env.ruleReflection) and are retried. The played
 * move can be noise; the supervised target of every play turn is the
 * expert's move from that state acting on the lessons the prompt shows
 * (`expertMove`: env.lessonAction, e.g. never reveal the mine a reflection
 * names, replay a reflection's plan), so the model sees failures, learns the
 * recovery, never the noise, and learns to use its reflections.
 * Deduplicated by (prompt, target), seeded.
 */
import { runRollout } from '../actors/provide.js';
import { requestKey } from '../actors/shared.js';
import { getEnv } from '../envs/core/registry.js';
import { taskSeeds } from '../envs/core/seeds.js';
import { wrapAction } from '../envs/core/tags.js';
import type { AnyEnvDefinition, Json, MemoryMode, PromptStyle } from '../envs/core/types.js';
import type { TurnTokens } from '../learner/trainer/index.js';
import { type PromptCodec, promptTokens, turnMessages } from '../policy/onnx/tokens.js';
import { expertMove, GENERIC_REFLECTION, requestRng } from '../policy/scripted.js';
import type { Generation, GenerationOracle, GenerationRequest, Policy } from '../policy/types.js';
import type { TrialRecord } from '../streams/types.js';
import { ConfigError } from '../util/errors.js';
import { deriveSeed } from '../util/rng.js';

/** One supervised example: a prompt and the reply the model should learn. */
export interface Demonstration {
  prompt: string;
  target: string;
  phase: 'play' | 'reflect';
}

export interface DemoOptions {
  envId: string;
  params: Json;
  tasks: number;
  trialsPerTask: number;
  epsilon: number;
  attempts: number;
  memoryMode: MemoryMode;
  style: PromptStyle;
  maxTurns?: number;
  seed: number;
}

/** What the warm start's demonstrations were: trials, when they were won, noisy turns, and the examples made from them. */
export interface DemoStats {
  trials: number;
  /** Trials won at attempt 1, 2, ..., and never. */
  wonAt: number[];
  /** Play turns whose played move was random noise. */
  noisyTurns: number;
  playExamples: number;
  reflectExamples: number;
  duplicates: number;
}

function reflectionText(env: AnyEnvDefinition, oracle: GenerationOracle): string {
  const r = oracle.reflect;
  if (!env.ruleReflection || !r) return GENERIC_REFLECTION;
  return env.ruleReflection({
    initial: r.initial,
    current: oracle.state,
    attempt: r.attempt,
    history: r.history,
  });
}

/**
 * The noisy expert: plays a random move with probability `epsilon`, the solver's otherwise, and
 * records the solver's move of every play request (by request key) as the target to learn.
 */
export function noisyExpert(epsilon: number): {
  policy: Policy;
  targets: Map<string, string>;
  noisy: Set<string>;
} {
  if (!(epsilon >= 0 && epsilon <= 1)) throw new ConfigError(`epsilon must be in [0, 1], got ${epsilon}`);
  const targets = new Map<string, string>();
  const noisy = new Set<string>();
  const policy: Policy = {
    name: `noisy-expert(eps=${epsilon})`,
    async generate(requests: GenerationRequest[]): Promise<Generation[]> {
      return requests.map((request) => {
        const oracle = request.oracle;
        if (!oracle) throw new ConfigError(`noisy expert: request ${request.key} has no oracle (env state)`);
        const env = getEnv(oracle.envId);
        if (oracle.phase === 'reflect') {
          const text = `<remark>${reflectionText(env, oracle)}</remark>`;
          targets.set(request.key, text);
          return { text, finishReason: 'stop' };
        }
        const rng = requestRng(request);
        const expert = expertMove(env, oracle);
        const solver = expert === null ? null : wrapAction(env.formatAction(expert));
        if (solver !== null) targets.set(request.key, solver);
        const random = expert === null || rng.bernoulli(epsilon);
        if (random) noisy.add(request.key);
        const action = random ? env.randomAction(oracle.state, rng) : expert;
        return { text: wrapAction(env.formatAction(action)), finishReason: 'stop' };
      });
    },
  };
  return { policy, targets, noisy };
}

/** Play the tasks with the noisy expert and collect deduplicated demonstrations, in play order. */
export async function gatherDemonstrations(
  o: DemoOptions,
): Promise<{ demos: Demonstration[]; stats: DemoStats; records: TrialRecord[] }> {
  const { policy, targets, noisy } = noisyExpert(o.epsilon);
  const records = await runRollout({
    envId: o.envId,
    params: o.params,
    tasks: taskSeeds('train', o.tasks, deriveSeed(o.seed, 'warmstart-tasks')).map((seed) => ({ seed })),
    trialsPerTask: o.trialsPerTask,
    trial: {
      attempts: o.attempts,
      memoryMode: o.memoryMode,
      style: o.style,
      sampling: { seed: deriveSeed(o.seed, 'warmstart-noise') },
      ...(o.maxTurns !== undefined ? { maxTurns: o.maxTurns } : {}),
    },
    runId: 'warmstart',
    policy,
  });
  const seen = new Set<string>();
  const demos: Demonstration[] = [];
  const stats: DemoStats = {
    trials: records.length,
    wonAt: new Array(o.attempts + 1).fill(0),
    noisyTurns: 0,
    playExamples: 0,
    reflectExamples: 0,
    duplicates: 0,
  };
  for (const r of records) {
    stats.wonAt[r.wonAt ?? o.attempts]!++;
    for (const s of r.samples) {
      const key = requestKey(s, s.attempt, s.turn, s.phase);
      if (noisy.has(key)) stats.noisyTurns++;
      const target = targets.get(key);
      if (target === undefined) continue;
      const id = `${s.prompt}\u0000${target}`;
      if (seen.has(id)) {
        stats.duplicates++;
        continue;
      }
      seen.add(id);
      demos.push({ prompt: s.prompt, target, phase: s.phase });
      if (s.phase === 'play') stats.playExamples++;
      else stats.reflectExamples++;
    }
  }
  return { demos, stats, records };
}

/**
 * Token ids of the demonstrations as the policy will see them: the prompt through the chat
 * template (the ids the ONNX policy feeds), the target then the end token (so the model learns to stop).
 */
export function demoTokens(demos: readonly Demonstration[], codec: PromptCodec, endId: number): TurnTokens[] {
  return demos.map((d) => ({
    promptTokens: promptTokens(codec, turnMessages({ prompt: d.prompt })),
    responseTokens: [...codec.tokenizer.encode(d.target), endId],
  }));
}
