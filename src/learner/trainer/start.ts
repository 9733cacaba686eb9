/**
 * Where a Trainer starts: the checkpoint folder checked for space and writability before anything
 * else, then the checkpoint to resume from (the newest usable one, or the one given; none usable is
 * a NothingToResumeError), or none — and a fresh run refused when the folder already holds one.
 */
import { ConfigError } from '../../util/errors.js';
import { latestCheckpoint } from '../checkpoint-dirs.js';
import { TrainerError } from './batch.js';
import type { TrainerConfig } from './config.js';
import type { TrainerOptions } from './options.js';
import { loadTrainerCheckpoint, type TrainerCheckpoint } from './persist.js';
import { checkOutputDir, checkpointBytes } from './preflight.js';

/** `resume` found no checkpoint it can continue from. */
export class NothingToResumeError extends TrainerError {}

/** The checkpoint a trainer of `config` resumes from, or null for a fresh start (after the folder checks). */
export async function startingCheckpoint(
  config: TrainerConfig,
  options: TrainerOptions,
  logger: (message: string) => void,
): Promise<TrainerCheckpoint | null> {
  const ck = config.checkpoint;
  if (options.resume && !ck)
    throw new ConfigError('resume needs a checkpoint folder (config.checkpoint.dir)');
  if (!ck) return null;
  const keep = ck.keepLast ?? 1;
  await checkOutputDir(ck.dir, checkpointBytes(config) * (keep + 1), options.preflightIo);
  if (!options.resume) {
    const last = await latestCheckpoint(ck.dir);
    if (last)
      throw new ConfigError(
        `checkpoint folder ${ck.dir} already holds a checkpoint (step ${last.step}): resume from it, or choose an empty folder`,
      );
    return null;
  }
  let damaged = 0;
  const found =
    options.resume === true
      ? await loadTrainerCheckpoint(config, ck, (m) => {
          damaged++;
          logger(m);
        })
      : options.resume;
  if (!found)
    throw new NothingToResumeError(
      damaged > 0
        ? `nothing to resume: all ${damaged} checkpoint(s) under ${ck.dir} are damaged`
        : `nothing to resume: no checkpoint under ${ck.dir}`,
    );
  const s = found.snapshot;
  if (s.seed !== config.seed)
    logger(
      `resuming ${found.dir}: it was trained with seed ${s.seed}; config seed ${config.seed} is ignored`,
    );
  logger(`resuming from ${found.dir} (step ${s.step}, policy version ${s.policyVersion})`);
  return found;
}
