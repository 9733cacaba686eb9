/**
 * `lamer pretrain`: the warm start. Noisy-expert demonstrations
 * (warmstart-data.ts) → supervised cross-entropy with the Trainer's
 * supervised mode → a checkpoint under `<dir>/checkpoints/` → the model's
 * pass@1..N on the fixed validation set with the ONNX policy (the LaMer
 * protocol), written to `<dir>/warmstart.json` (atomically, last) so the RL
 * gain is visible against it. `lamer train` calls `ensureWarmStart`, which
 * loads a finished warm start, else one shipped with the package for the same
 * settings (shipped.ts), and otherwise makes one, continuing an interrupted one
 * from its newest checkpoint (warmstart-train.ts). What a warm start depends on
 * (its key, folder and protocol) is warmstart-key.ts.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Json } from '../envs/core/types.js';
import { removeTemporaries, writeFileAtomic } from '../learner/atomic-write.js';
import type { ModelConfig } from '../learner/model.js';
import { checkProvider } from '../learner/provider-check.js';
import { loadTrainerCheckpoint, trainerConfig } from '../learner/trainer/index.js';
import { OnnxPolicy } from '../policy/onnx/policy.js';
import { loadBuiltinTokenizer } from '../policy/tokenizer.js';
import { ConfigError } from '../util/errors.js';
import { sessionSettingsOf, type TrainConfig, validationOptions } from './config.js';
import { type RolloutSummary, validate } from './evaluate.js';
import type { TrainHooks } from './phases.js';
import { line, seconds, type TrainIO } from './progress.js';
import { findShippedWarmStart } from './shipped.js';
import { type DemoStats, demoTokens, gatherDemonstrations } from './warmstart-data.js';
import {
  envOf,
  modelOf,
  tokenizerFingerprint,
  WARMSTART_REPORT,
  warmStartDir,
  warmStartKey,
  warmStartProtocol,
} from './warmstart-key.js';
import { openWarmTrainer, trainWarmSteps } from './warmstart-train.js';

export {
  envOf,
  modelOf,
  promptFingerprint,
  tokenizerFingerprint,
  WARMSTART_REPORT,
  warmStartDir,
  warmStartKey,
  warmStartProtocol,
} from './warmstart-key.js';

/** `warmstart.json`: how the warm-start model was made (env, model, tokenizer, seed, demonstrations, losses) and how it evaluates. */
export interface WarmStartReport {
  envId: string;
  params: Json;
  model: ModelConfig;
  /** Fingerprint of the built-in tokenizer the model was trained with (token ids change when it is rebuilt). */
  tokenizer: string;
  /** `warmStartKey` of the config that made it (absent in warm starts made before it was recorded). */
  key?: string;
  seed: number;
  demos: DemoStats;
  examples: number;
  steps: number;
  /** Supervised loss (mean token cross-entropy) of each step. */
  losses: number[];
  /** pass@1..N etc. of the warm-start model on the validation set (LaMer protocol). */
  validation: RolloutSummary;
  seconds: number;
}

/** A warm-start model: its folder, weights, and report. */
export interface WarmStart {
  dir: string;
  params: Record<string, Float32Array>;
  report: WarmStartReport;
}

const checkpointsOf = (dir: string) => ({ dir: join(dir, 'checkpoints'), keepLast: 1 });

/** A warm start's report: null when there is none, 'damaged' when it does not parse (a cut write of an older lamer). */
async function readReport(path: string): Promise<WarmStartReport | 'damaged' | null> {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as WarmStartReport;
  } catch {
    return 'damaged';
  }
}

/**
 * The finished warm start of a config, or null when there is none yet (or it cannot be loaded: a
 * damaged report or checkpoint is said on `io` and the warm start is made again, from its newest
 * usable checkpoint).
 */
export async function loadWarmStart(c: TrainConfig, io?: TrainIO): Promise<WarmStart | null> {
  const dir = warmStartDir(c);
  const reportPath = join(dir, WARMSTART_REPORT);
  const report = await readReport(reportPath);
  if (report === null) return null;
  if (report === 'damaged') {
    if (io) line(io, `warm start: ${reportPath} is damaged (not JSON); making it again from the checkpoint`);
    return null;
  }
  if (report.tokenizer !== tokenizerFingerprint())
    throw new ConfigError(
      `${dir} was trained with another build of the built-in tokenizer (its token ids differ): ` +
        'delete the folder; lamer train (or lamer pretrain) then makes a new warm start',
    );
  // A folder named in the config (warmStart.dir) is not keyed by its settings: check them here.
  const key = warmStartKey(c);
  if (report.key !== undefined && report.key !== key)
    throw new ConfigError(
      `${dir} holds a warm start made with other settings (warmStart, model, env, seed, prompts; key ${report.key}, ` +
        `this config ${key}): delete the folder to make a new one, or set warmStart.dir to another folder`,
    );
  const found = await loadTrainerCheckpoint(modelOf(c), checkpointsOf(dir), (m) => io && line(io, m));
  if (!found) {
    if (io) line(io, `warm start: ${dir} has a report but no usable checkpoint; making it again`);
    return null;
  }
  return { dir, params: found.snapshot.state.params, report };
}

/** `lamer pretrain`: make the warm start (continuing an interrupted one); a finished one in the same folder is an error. */
export async function pretrain(c: TrainConfig, io: TrainIO, hooks?: TrainHooks): Promise<WarmStart> {
  const dir = warmStartDir(c);
  // A GPU provider that is not installed fails here, before minutes of data collection (as lamer train).
  if (c.provider !== undefined) await checkProvider(c.provider);
  if (await loadWarmStart(c, io))
    throw new ConfigError(
      `${dir} already holds a warm start (lamer train reuses it); delete the folder to make a new one, or choose another (pretrain --out, config warmStart.dir)`,
    );
  return makeWarmStart(c, io, hooks);
}

/** Make the warm start, or finish an interrupted one from its newest checkpoint. */
async function makeWarmStart(c: TrainConfig, io: TrainIO, hooks?: TrainHooks): Promise<WarmStart> {
  const started = Date.now();
  const dir = warmStartDir(c);
  const { envId, params } = envOf(c);
  const w = c.warmStart;
  const model = modelOf(c);
  const key = warmStartKey(c);
  const protocol = warmStartProtocol(c);
  line(
    io,
    `warm start: ${envId}, noisy expert (epsilon ${w.epsilon}) on ${w.tasks} tasks × ${w.trialsPerTask} trials × ${protocol.attempts} attempt(s), memory ${protocol.memoryMode}`,
  );
  const { demos, stats } = await gatherDemonstrations({
    envId,
    params,
    tasks: w.tasks,
    trialsPerTask: w.trialsPerTask,
    epsilon: w.epsilon,
    ...protocol,
    style: c.style,
    seed: c.seed,
    ...(c.maxTurns !== undefined ? { maxTurns: c.maxTurns } : {}),
  });
  line(
    io,
    `  ${stats.playExamples} play + ${stats.reflectExamples} reflection examples (${stats.duplicates} duplicates dropped, ${stats.noisyTurns} noisy moves); expert wins by attempt: ${stats.wonAt.join('/')}`,
  );
  const tok = loadBuiltinTokenizer();
  const endId = tok.tokenizer.tokenToId('<|im_end|>');
  if (endId === undefined || !tok.chatTemplate)
    throw new ConfigError('the built-in tokenizer has no <|im_end|> token or chat template; rebuild it');
  const examples = demoTokens(demos, { tokenizer: tok.tokenizer, chatTemplate: tok.chatTemplate }, endId);
  if (examples.length === 0)
    throw new ConfigError(`no demonstrations for ${envId}: the env has no expertAction`);
  const config = trainerConfig({
    model,
    seed: c.seed,
    lr: {
      kind: 'cosine',
      lr: w.lr,
      warmupSteps: Math.ceil(w.steps / 10),
      totalSteps: w.steps,
      minLr: w.lr / 10,
    },
    miniBatchSize: w.batchSize,
    microBatchSize: Math.min(16, w.batchSize),
    overlong: 'truncate-prompt',
    lossAgg: w.lossAgg,
    checkpoint: checkpointsOf(dir),
    session: sessionSettingsOf(c),
  });
  const { trainer, progress } = await openWarmTrainer(config, key, dir, io);
  if (progress) line(io, `warm start: continuing ${dir} from step ${trainer.step}/${w.steps}`);
  try {
    const phases = demos.map((d) => d.phase);
    const steps = { examples, phases, steps: w.steps, batchSize: w.batchSize, reflectShare: w.reflectShare };
    const losses = await trainWarmSteps(c, key, trainer, progress, steps, io, hooks);
    const policy = await OnnxPolicy.fromParams(model, trainer.params, trainer.policyVersion, {
      seed: c.seed,
      ...sessionSettingsOf(c),
    });
    let validation: RolloutSummary;
    try {
      // Always the LaMer protocol (reflections between attempts), whatever algo trains next.
      const o = { ...validationOptions(c, envId, params), tasks: w.evalTasks, memoryMode: c.memoryMode };
      const running = validate(policy, o);
      hooks?.at?.('warmstart-validation', w.steps);
      ({ summary: validation } = await running);
    } finally {
      await policy.dispose();
    }
    const report: WarmStartReport = {
      envId,
      params,
      model,
      tokenizer: tokenizerFingerprint(),
      key,
      seed: c.seed,
      demos: stats,
      examples: examples.length,
      steps: w.steps,
      losses,
      validation,
      seconds: (Date.now() - started) / 1000,
    };
    await mkdir(dir, { recursive: true });
    await removeTemporaries(join(dir, WARMSTART_REPORT)); // left by a writer killed mid-write
    await writeFileAtomic(join(dir, WARMSTART_REPORT), `${JSON.stringify(report, null, 2)}\n`);
    line(
      io,
      `warm start done in ${seconds(Date.now() - started)}: loss ${losses[0]?.toFixed(3)} → ${losses.at(-1)?.toFixed(3)}; ` +
        `validation ${formatPass(validation, true)} invalid ${validation.invalidRate.toFixed(3)} (${dir})`,
    );
    return { dir, params: cloneParams(trainer.params), report };
  } finally {
    await trainer.dispose();
  }
}

/**
 * The warm start of a config: its saved folder (runs/warmstart/… or warmStart.dir), else the one
 * shipped with the package when its key is the config's (only without warmStart.dir: a named folder
 * is where the user wants it made), else a new one (an interrupted one is continued).
 */
export async function ensureWarmStart(c: TrainConfig, io: TrainIO, hooks?: TrainHooks): Promise<WarmStart> {
  const found = await loadWarmStart(c, io);
  if (found) {
    line(io, `warm start: ${found.dir} (validation ${formatPass(found.report.validation, true)})`);
    return found;
  }
  const shipped = c.warmStart.dir === undefined ? await findShippedWarmStart(c) : null;
  if (shipped) {
    line(
      io,
      `warm start: shipped with the package (${shipped.dir}; validation ${formatPass(shipped.report.validation, true)}), made by: ${shipped.report.command}`,
    );
    return shipped;
  }
  return makeWarmStart(c, io, hooks);
}

/**
 * pass@1..N; with `noise`, also the trials and the largest standard error of a rate
 * over them (0.5/√n): differences below about twice that are sampling noise.
 */
export function formatPass(s: RolloutSummary, noise = false): string {
  const text = s.pass.map((p, k) => `pass@${k + 1} ${p.toFixed(3)}`).join(' ');
  if (!noise || s.trials === 0) return text;
  return `${text} (${s.trials} trials, s.e. ≤ ${(0.5 / Math.sqrt(s.trials)).toFixed(3)})`;
}

function cloneParams(p: Readonly<Record<string, Float32Array>>): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(p).map(([n, a]) => [n, Float32Array.from(a)]));
}
