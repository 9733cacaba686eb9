/**
 * Trainer checkpoints: parameters and AdamW moments through the checkpoint
 * module (safetensors, atomic, with a manifest), plus the trainer's own state
 * (training step, policy version, seed and shuffle RNG state) in
 * trainer_state.json, so a resumed run continues exactly where it stopped.
 */
import type { RngState } from '../../util/rng.js';
import { loadLatestCheckpoint, saveCheckpoint } from '../checkpoint.js';
import { hfConfig, type ModelConfig, paramShapes, savedModelConfig } from '../model.js';
import { f32Arrays, f32Spec, f32Tensors } from '../safetensors.js';
import type { TrainState } from '../train-state.js';
import { TrainerError } from './batch.js';
import type { CheckpointConfig } from './config.js';

/** Field of config.json holding our model config (the rest is Hugging Face's LlamaConfig). */
export const MODEL_CONFIG_FIELD = 'lamer_model';
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
}

interface TrainerStateFile {
  format: typeof STATE_FORMAT;
  version: 1;
  step: number;
  policyVersion: number;
  seed: number;
  rng: number[];
}

export async function saveTrainerCheckpoint(
  model: ModelConfig,
  ck: CheckpointConfig,
  snap: TrainerSnapshot,
): Promise<string> {
  const shapes = paramShapes(model);
  const trainerState: TrainerStateFile = {
    format: STATE_FORMAT,
    version: 1,
    step: snap.step,
    policyVersion: snap.policyVersion,
    seed: snap.seed,
    rng: [...snap.rng],
  };
  return saveCheckpoint(
    ck.dir,
    {
      step: snap.step,
      config: { ...hfConfig(model), [MODEL_CONFIG_FIELD]: model },
      params: f32Tensors(snap.state.params, shapes),
      optimizer: {
        step: snap.state.step,
        m: f32Tensors(snap.state.m, shapes),
        v: f32Tensors(snap.state.v, shapes),
      },
      trainerState,
    },
    ck.keepLast === undefined ? {} : { keepLast: ck.keepLast },
  );
}

function checkModel(dir: string, saved: unknown, model: ModelConfig): void {
  const s = (savedModelConfig(saved) ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(model))
    if (JSON.stringify(s[key]) !== JSON.stringify(value))
      throw new TrainerError(
        `checkpoint ${dir} was trained with model.${key} = ${JSON.stringify(s[key])}, but the config says ` +
          `${JSON.stringify(value)}: resume with the same model config, or use another checkpoint folder`,
      );
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

/** The newest usable checkpoint under `ck.dir` (damaged ones are skipped with a message), or null. */
export async function loadTrainerCheckpoint(
  model: ModelConfig,
  ck: CheckpointConfig,
  logger: (message: string) => void,
): Promise<{ dir: string; snapshot: TrainerSnapshot } | null> {
  const expected = f32Spec(paramShapes(model));
  const found = await loadLatestCheckpoint(ck.dir, { expected, logger });
  if (!found) return null;
  const { dir, checkpoint } = found;
  checkModel(dir, checkpoint.config[MODEL_CONFIG_FIELD], model);
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
    snapshot: { state, step: st.step, policyVersion: st.policyVersion, seed: st.seed, rng: st.rng },
  };
}
