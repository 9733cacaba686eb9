/** Hand-built turn samples with token ids, and a tiny trainer config, for the trainer and learner-actor tests. */
import type { CreditedBatch } from '../../../src/learner/credit/index.js';
import type { TrainerConfig } from '../../../src/learner/trainer/config.js';
import { type TrainerConfigInput, trainerConfig } from '../../../src/learner/trainer/index.js';
import type { TrialRecord, TurnSample } from '../../../src/streams/types.js';

export const TINY_MODEL = {
  vocabSize: 16,
  dModel: 16,
  nLayers: 2,
  nHeads: 2,
  ffnHidden: 32,
  maxSeqLen: 24,
  tieEmbeddings: false,
  initStd: 0.2,
};

export function tinyTrainerConfig(overrides: TrainerConfigInput = {}): TrainerConfig {
  return trainerConfig({
    model: TINY_MODEL,
    seed: 3,
    lr: { kind: 'constant', lr: 0.02 },
    miniBatchSize: 4,
    microBatchSize: 2,
    logprobBatchSize: 4,
    worker: false,
    session: { intraOpNumThreads: 1 },
    ...overrides,
  });
}

export interface SampleSpec {
  prompt: number[];
  response: number[];
  logprobs?: number[];
  version?: number;
  trial?: string;
  turn?: number;
  reward?: number;
  anchor?: string;
}

export function sample(s: SampleSpec): TurnSample {
  const out: TurnSample = {
    taskId: 'task',
    groupId: 'g',
    trialId: s.trial ?? 'task#0',
    attempt: 0,
    turn: s.turn ?? 0,
    phase: 'play',
    prompt: s.prompt.join(' '),
    response: s.response.join(' '),
    promptTokens: s.prompt,
    responseTokens: s.response,
    reward: s.reward ?? 0,
    valid: true,
    done: true,
    won: (s.reward ?? 0) > 0,
    anchor: s.anchor ?? 'obs',
    policyVersion: s.version ?? 0,
  };
  if (s.logprobs) out.logprobs = s.logprobs;
  return out;
}

/** A credited batch with the given per-sample advantages. */
export function credited(samples: TurnSample[], advantages: number[]): CreditedBatch {
  const zeros = samples.map(() => 0);
  return { samples, advantages, stepReturns: zeros, episodeRewards: zeros, scores: zeros };
}

/** The two-answer task: after prompt [1, 2, 3] answer [5, 6] (good) or [7, 8] (bad). */
export const PROMPT = [1, 2, 3];
export const GOOD = [5, 6];
export const BAD = [7, 8];

export function goodBadBatch(version = 0): CreditedBatch {
  const samples = [
    sample({ prompt: PROMPT, response: GOOD, version, turn: 0 }),
    sample({ prompt: PROMPT, response: BAD, version, turn: 1 }),
    sample({ prompt: [1, 2, 4], response: GOOD, version, turn: 2 }),
    sample({ prompt: [1, 2, 4], response: BAD, version, turn: 3 }),
  ];
  return credited(samples, [1, -1, 1, -1]);
}

/** One-turn trial records of the two-answer task: a trial wins (reward 1) iff it answered GOOD. */
export function trialRecords(answers: number[][], version = 0): TrialRecord[] {
  return answers.map((response, k) => {
    const won = response.join() === GOOD.join();
    const s = sample({ prompt: PROMPT, response, version, trial: `task#${k}`, reward: won ? 1 : 0 });
    return {
      taskId: 'task',
      groupId: 'g',
      trialId: `task#${k}`,
      envId: 'Test-v0',
      taskType: 'Test-v0',
      seed: 0,
      attempts: 1,
      samples: [s],
      wonAt: won ? 0 : null,
    };
  });
}

export const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
