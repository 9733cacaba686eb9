/**
 * The text the built-in tokenizer is trained on: the compact prompts and the
 * replies of every built-in env (played from seeded states with expert and
 * random actions, with reflections and memory), plus a fixed set of
 * representative strings so generic symbols get merges too.
 */
import { BUILTIN_ENVS } from '../../envs/builtin.js';
import type { AnyEnvDefinition, AttemptMemory, HistoryRecord, Json } from '../../envs/core/types.js';
import { deriveSeed, Rng } from '../../util/rng.js';

/** Strings shaped like what the envs and the model write (kept even when envs change). */
export const REPRESENTATIVE_TEXTS: readonly string[] = [
  '0: # # # # # #\n1: # _ _ P _ #\n2: # _ X O _ #\n3: # _ √ S _ #\n4: # _ _ _ _ #\n5: # # # # # #',
  'Row 1: ? ? 1 . . ?\nRow 2: ? ? 1 . . ?\nRow 3: 1 1 1 . 1 1\nRow 4: . . . . 1 *\nRow 5: 2 3 4 5 6 7\nRow 6: 8 . . . . .',
  '<action>up, left</action>',
  '<action>down, right, up</action>',
  '<action>(2, 3)</action>',
  '<action>(1, 6)</action>',
  '<action>search[red cotton t-shirt]</action>',
  '<action>click[back to search]</action>',
  '<action>click[next >]</action>',
  '<action>click[< prev]</action>',
  '<action>click[buy now]</action>',
  '<action>go to countertop 1</action>',
  '<remark>The mine was at (2, 3). Next time reveal (1, 1) first.</remark>',
  '<remark>I pushed the box into a corner. Plan: left, up, up, right.</remark>',
  "Action 1: ['up', 'left', 'down']\nObservation 1:\n...",
  'Action 2: (3, 4)\nObservation 2: no operation',
  'Attempt 1 reflection: avoid the corner at (4, 4).',
  'reward: -0.1 done: false won: false',
  "'Back to Search' [SEP] 'Page 1 (Total results: 50)' [SEP] 'Next >' [SEP] 'B0123ABCD' [SEP] '$12.99'",
  'Instruction: i need a long lasting blue shampoo, and price lower than 40.00 dollars',
  'You are in the middle of a room. Looking quickly around you, you see a cabinet 1, a drawer 2.',
  '0123456789 +-*/=<>()[]{},.;:!?\'"`~@#$%^&_|\\ \t\n',
  'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ',
];

export interface EnvCorpusOptions {
  /** Seeds played on the default preset (default 4); every other preset is played once. */
  seeds?: number;
  /** Attempts played per seed (default 2: the second one renders memory). */
  attempts?: number;
}

/** Compact prompts and replies of one env, deterministic for fixed options. */
export function envCorpus(env: AnyEnvDefinition, options: EnvCorpusOptions = {}): string[] {
  const seeds = options.seeds ?? 4;
  const attempts = options.attempts ?? 2;
  const out: string[] = [];
  // `seeds` tasks of the default preset, then one of every other preset (bigger boards have more row labels).
  const others = Object.keys(env.presets).filter((name) => name !== env.defaultPreset);
  const plays = [...Array.from({ length: seeds }, () => env.defaultPreset), ...others].map(
    (preset, seed) => ({ preset, seed }),
  );
  for (const { preset, seed } of plays) {
    const params = env.presets[preset];
    const rng = Rng.seeded(deriveSeed(seed, 'tokenizer-corpus', env.id));
    const initial = env.initial(seed, params) as Json;
    const memory: AttemptMemory[] = [];
    for (let attempt = 0; attempt < attempts; attempt++) {
      const history = playAttempt(env, initial, attempt, memory, rng, out);
      const ctx = { initial, current: history.final, attempt, history: history.records };
      out.push(env.prompts.compact.reflect(ctx));
      const reflection = env.ruleReflection?.(ctx) ?? 'Try a different first move.';
      out.push(`<remark>${reflection}</remark>`);
      memory.push({ attempt, history: history.records, reflection });
    }
  }
  return out;
}

function playAttempt(
  env: AnyEnvDefinition,
  initial: Json,
  attempt: number,
  memory: AttemptMemory[],
  rng: Rng,
  out: string[],
): { records: HistoryRecord[]; final: Json } {
  const records: HistoryRecord[] = [];
  let current = initial;
  for (let turn = 0; turn < env.maxTurns; turn++) {
    out.push(
      env.prompts.compact.play({
        initial,
        current,
        attempt,
        history: records,
        memory,
        memoryMode: 'history_and_reflection',
      }),
    );
    const roll = rng.float();
    if (roll < 0.1) {
      // An invalid reply: the model must also learn what the env writes then.
      out.push('<action></action>');
      const step = env.stepInvalid(current);
      records.push(record(env, null, step.state, step));
      current = step.state;
      if (step.done) break;
      continue;
    }
    const expert = roll < 0.6 && env.expertAction ? env.expertAction(current) : null;
    const action = expert ?? env.randomAction(current, rng);
    out.push(`<action>${env.formatAction(action)}</action>`);
    const step = env.step(current, action);
    records.push(record(env, action, step.state, step));
    current = step.state;
    if (step.done) break;
  }
  return { records, final: current };
}

function record(
  env: AnyEnvDefinition,
  action: unknown,
  state: Json,
  step: { reward: number; done: boolean; won: boolean },
): HistoryRecord {
  return {
    action: env.describeAction(action),
    observation: env.observe(state),
    reward: step.reward,
    done: step.done,
    won: step.won,
  };
}

/**
 * The envs whose compact prompts train the tokenizer. ALFWorld is left out: adding its text would
 * re-train every merge, reorder the ids and so invalidate every checkpoint and measured result of the
 * other envs; its text (plain English words and `name N` entities) encodes with the existing merges and
 * bytes (a compact ALFWorld play prompt is ~330 tokens on average).
 */
export const TOKENIZER_ENVS: readonly string[] = ['Sokoban-v0', 'MineSweeper-v0', 'WebShop-v0'];

/** The whole training corpus: representative strings, then every tokenizer env in registry order. */
export function builtinCorpus(options: EnvCorpusOptions = {}): string[] {
  const out = [...REPRESENTATIVE_TEXTS];
  for (const env of BUILTIN_ENVS) if (TOKENIZER_ENVS.includes(env.id)) out.push(...envCorpus(env, options));
  return out;
}
