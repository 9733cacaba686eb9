/**
 * Trainer checkpoints: parameters and AdamW moments through the checkpoint
 * module (safetensors, atomic, with a manifest), plus the trainer's own state
 * (training step, policy version, seed and shuffle RNG state) in
 * trainer_state.json, so a resumed run continues exactly where it stopped.
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RngState } from '../../util/rng.js';
import type { AtomicWriteOptions } from '../atomic-write.js';
import { loadLatestCheckpoint, saveCheckpoint } from '../checkpoint.js';
import { CHECKPOINT_FILES, latestCheckpoint } from '../checkpoint-dirs.js';
import type { LoraConfig } from '../lora.js';
import { hfConfig, type ModelConfig, savedModelConfig } from '../model.js';
import { f32Arrays, f32Spec, f32Tensors } from '../safetensors.js';
import type { TrainState } from '../train-state.js';
import { trainableShapes } from '../weights.js';
import { TrainerError } from './batch.js';
import type { CheckpointConfig } from './config.js';

/** Field of config.json holding our model config (the rest is Hugging Face's config). */
export const MODEL_CONFIG_FIELD = 'lamer_model';
/** Field of config.json holding the LoRA config of a checkpoint of adapters (absent: the weights themselves). */
export const LORA_CONFIG_FIELD = 'lamer_lora';

/**
 * What a checkpoint holds: the model's weights (a model config), or LoRA adapters over frozen ones.
 * @inline
 */
type Saved = ModelConfig | { readonly model: ModelConfig; readonly lora?: LoraConfig };
const specOf = (s: Saved) => ('model' in s ? s : { model: s });
const shapesOf = (s: Saved) => {
  const { model, lora } = specOf(s);
  return trainableShapes(lora ? { model, lora, frozen: { values: {} } } : { model });
};
const STATE_FORMAT = 'lamer-trainer';

/** Everything that determines the rest of a run, besides the config and the data. */
export interface TrainerSnapshot {
  state: TrainState;
  /** Training steps (batches) done. */
  step: number;
  /** Version of the weights (changes each step that updated them). */
  policyVersion: number;
  seed: number;
  rng: RngState;
  /** The caller's own state saved with the checkpoint (plain JSON; e.g. the warm start's data order). */
  extra?: unknown;
}

interface TrainerStateFile {
  format: typeof STATE_FORMAT;
  version: 1;
  step: number;
  policyVersion: number;
  seed: number;
  rng: number[];
  extra?: unknown;
}

/** Saves the trainer's state (weights, moments, step, version, RNG) as a checkpoint under `ck.dir`, pruning to `ck.keepLast`; resolves with the folder. */
export async function saveTrainerCheckpoint(
  saved: Saved,
  ck: CheckpointConfig,
  snap: TrainerSnapshot,
  options: AtomicWriteOptions = {},
): Promise<string> {
  const { model, lora } = specOf(saved);
  const shapes = shapesOf(saved);
  const trainerState: TrainerStateFile = {
    format: STATE_FORMAT,
    version: 1,
    step: snap.step,
    policyVersion: snap.policyVersion,
    seed: snap.seed,
    rng: [...snap.rng],
    ...(snap.extra !== undefined ? { extra: snap.extra } : {}),
  };
  return saveCheckpoint(
    ck.dir,
    {
      step: snap.step,
      config: {
        ...hfConfig(model),
        [MODEL_CONFIG_FIELD]: model,
        ...(lora ? { [LORA_CONFIG_FIELD]: lora } : {}),
      },
      params: f32Tensors(snap.state.params, shapes),
      optimizer: {
        step: snap.state.step,
        m: f32Tensors(snap.state.m, shapes),
        v: f32Tensors(snap.state.v, shapes),
      },
      trainerState,
    },
    { ...options, ...(ck.keepLast === undefined ? {} : { keepLast: ck.keepLast }) },
  );
}

function checkModel(dir: string, config: Record<string, unknown>, saved: Saved): void {
  const want = specOf(saved);
  const s = (savedModelConfig(config[MODEL_CONFIG_FIELD]) ?? {}) as Record<string, unknown>;
  const lora = (config[LORA_CONFIG_FIELD] ?? {}) as Record<string, unknown>;
  const pairs: [string, unknown, unknown][] = [
    ...Object.entries(want.model).map(([k, v]): [string, unknown, unknown] => [`model.${k}`, s[k], v]),
    ...Object.entries(want.lora ?? {}).map(([k, v]): [string, unknown, unknown] => [`lora.${k}`, lora[k], v]),
  ];
  if ((config[LORA_CONFIG_FIELD] === undefined) !== (want.lora === undefined))
    pairs.push(['lora', config[LORA_CONFIG_FIELD] ?? 'none', want.lora ?? 'none']);
  for (const [key, found, value] of pairs)
    if (JSON.stringify(found) !== JSON.stringify(value))
      throw new TrainerError(
        `checkpoint ${dir} was trained with ${key} = ${JSON.stringify(found)}, but the config says ` +
          `${JSON.stringify(value)}: resume with the same model config, or use another checkpoint folder`,
      );
}

async function readJsonOrNull(path: string): Promise<Record<string, unknown> | null> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
  } catch (error) {
    // missing or not JSON: the checkpoint loader reports (and skips) it as damaged
    if (error instanceof SyntaxError || (error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function checkState(dir: string, raw: unknown): TrainerStateFile {
  const s = raw as Partial<TrainerStateFile> | undefined;
  const ok =
    s?.format === STATE_FORMAT &&
    Number.isSafeInteger(s.step) &&
    Number.isSafeInteger(s.policyVersion) &&
    Number.isSafeInteger(s.seed) &&
    Array.isArray(s.rng) &&
    s.rng.every((x) => Number.isInteger(x));
  if (!ok)
    throw new TrainerError(
      `checkpoint ${dir} has no valid trainer_state.json (step, policy version, RNG state): it was not written ` +
        'by the trainer; start a new run or point the trainer at its own checkpoint folder',
    );
  return s as TrainerStateFile;
}

/** A checkpoint the trainer can resume from: its folder and what it holds. */
export interface TrainerCheckpoint {
  dir: string;
  snapshot: TrainerSnapshot;
}

/** The newest usable checkpoint under `ck.dir` (damaged ones are skipped with a message), or null. */
export async function loadTrainerCheckpoint(
  saved: Saved,
  ck: CheckpointConfig,
  logger: (message: string) => void,
): Promise<TrainerCheckpoint | null> {
  const expected = f32Spec(shapesOf(saved));
  // A checkpoint of another model or adapter shape is a config mistake, not damage: say so before
  // the tensor checks would skip it as damaged (and the run would silently start over).
  const latest = await latestCheckpoint(ck.dir);
  const latestConfig = latest ? await readJsonOrNull(join(latest.dir, CHECKPOINT_FILES.config)) : null;
  if (latest && latestConfig) checkModel(latest.dir, latestConfig, saved);
  const found = await loadLatestCheckpoint(ck.dir, { expected, logger });
  if (!found) return null;
  const { dir, checkpoint } = found;
  checkModel(dir, checkpoint.config, saved);
  if (!checkpoint.optimizer)
    throw new TrainerError(`checkpoint ${dir} has no optimizer state: it cannot resume training`);
  const st = checkState(dir, checkpoint.trainerState);
  const state: TrainState = {
    params: f32Arrays(checkpoint.params),
    m: f32Arrays(checkpoint.optimizer.m),
    v: f32Arrays(checkpoint.optimizer.v),
    step: checkpoint.optimizer.step,
  };
  return {
    dir,
    snapshot: {
      state,
      step: st.step,
      policyVersion: st.policyVersion,
      seed: st.seed,
      rng: st.rng,
      ...(st.extra !== undefined ? { extra: st.extra } : {}),
    },
  };
}
