/**
 * What a warm start depends on, and where it lives: the built-in model of a config, the tokenizer
 * and prompt fingerprints, the trials its demonstrations come from (`warmStart.mode`), and the key
 * (a hash of all of it) that names its folder and decides whether a saved or shipped warm start
 * may be reused (warmstart.ts, shipped.ts).
 */
import { join } from 'node:path';
import { registerBuiltinEnvs } from '../envs/builtin.js';
import { getEnv, resolveParams } from '../envs/core/registry.js';
import type { Json, MemoryMode } from '../envs/core/types.js';
import { type ModelConfig, modelConfig } from '../learner/model.js';
import { builtinTokenizerFiles, loadBuiltinTokenizer } from '../policy/tokenizer.js';
import { deriveSeed } from '../util/rng.js';
import type { TrainConfig } from './config.js';

/** The report file of a warm-start folder (warmstart.ts `WarmStartReport`). */
export const WARMSTART_REPORT = 'warmstart.json';

/** The built-in model of a config (vocabulary size from the built-in tokenizer). */
export function modelOf(c: TrainConfig): ModelConfig {
  return modelConfig({ ...c.model, vocabSize: loadBuiltinTokenizer().tokenizer.vocabSize });
}

let fingerprint: string | null = null;

/** Hash of the built-in tokenizer's files: a rebuilt tokenizer reorders ids, and a model trained on the old ones is useless. */
export function tokenizerFingerprint(): string {
  fingerprint ??= deriveSeed(0, JSON.stringify(builtinTokenizerFiles())).toString(16).padStart(8, '0');
  return fingerprint;
}

/** Env id and params of a config. */
export function envOf(c: TrainConfig): { envId: string; params: Json } {
  registerBuiltinEnvs();
  const env = getEnv(c.env);
  return { envId: env.id, params: resolveParams(env, c.envPreset, c.envParams ?? {}) as Json };
}

/**
 * The trials the warm start's demonstrations come from: the config's attempts and memory mode
 * (`lessons`), or one memory-less attempt (`single-attempt`).
 */
export function warmStartProtocol(c: TrainConfig): { attempts: number; memoryMode: MemoryMode } {
  return c.warmStart.mode === 'single-attempt'
    ? { attempts: 1, memoryMode: 'none' }
    : { attempts: c.attempts, memoryMode: c.memoryMode };
}

/**
 * Hash of the env's prompts in the config's style (a play and a reflect prompt of one fixed task): a
 * model trained on other prompt wording is not reused when the prompts change.
 */
export function promptFingerprint(c: TrainConfig): string {
  const { envId, params } = envOf(c);
  const env = getEnv(envId);
  const initial = env.initial(1, params);
  const prompts = env.prompts[c.style];
  const play = prompts.play({
    initial,
    current: initial,
    attempt: 0,
    history: [],
    memory: [],
    memoryMode: warmStartProtocol(c).memoryMode,
  });
  const reflect = prompts.reflect({ initial, current: initial, attempt: 0, history: [] });
  return deriveSeed(0, play + reflect)
    .toString(16)
    .padStart(8, '0');
}

/** Hash of everything the warm start of a config depends on: another setting never reuses a stale model. */
export function warmStartKey(c: TrainConfig): string {
  const { envId, params } = envOf(c);
  // 'lessons' is the default: written or not, the same key (and the keys made before `mode` existed).
  const { dir: _dir, mode, ...rest } = c.warmStart;
  const w = mode === 'single-attempt' ? { ...rest, mode } : rest;
  const protocol = warmStartProtocol(c);
  const key = JSON.stringify({
    w,
    m: c.model,
    a: protocol.attempts,
    mm: protocol.memoryMode,
    st: c.style,
    t: c.maxTurns ?? null,
    tok: tokenizerFingerprint(),
    p: promptFingerprint(c),
    env: [envId, params, c.seed],
  });
  return deriveSeed(0, key).toString(16).padStart(8, '0');
}

/** Where the warm start of a config lives (shared by every algo of the same env, model and seed). */
export function warmStartDir(c: TrainConfig): string {
  if (c.warmStart.dir) return c.warmStart.dir;
  const { envId } = envOf(c);
  const m = c.model;
  return join(
    'runs',
    'warmstart',
    `${envId}-${c.envPreset ?? 'default'}-d${m.dModel}x${m.nLayers}-s${c.seed}-${warmStartKey(c)}`,
  );
}
