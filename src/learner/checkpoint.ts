/**
 * Training checkpoints on disk.
 *
 * Layout of one checkpoint (a folder `step-000123/` under a checkpoints root):
 *   model.safetensors      parameters, Hugging Face Llama names (model.embed_tokens.weight, ...), F32;
 *                          metadata {"format": "pt"} so transformers' `from_pretrained` accepts it
 *   config.json            the model config (plain JSON object)
 *   optimizer.safetensors  AdamW state: `m.<param>` and `v.<param>` per parameter, same dtype and shape;
 *                          metadata {"format": "lamer-adamw", "step": "<AdamW step count>"}
 *   trainer_state.json     opaque training state (step, RNG state, ...), stored as given
 *   checkpoint.json        manifest, written LAST: step and the size and sha256 of every file above
 * Every file is written atomically (temp file + fsync + rename); a folder without a valid manifest
 * is incomplete (a crash mid-save) and is never picked by `latestCheckpoint`, so the previous one
 * stays usable. Loading checks the manifest hashes, then each safetensors header, dtype and shape.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type AtomicWriteOptions, writeFileAtomic } from './atomic-write.js';
import {
  CHECKPOINT_FILES,
  type CheckpointManifest,
  checkpointDirName,
  listCheckpoints,
  MANIFEST_FORMAT,
  pruneCheckpoints,
  readManifest,
  readOrFail,
} from './checkpoint-dirs.js';
import {
  CheckpointError,
  encodeSafetensorsChunks,
  type SafetensorsFile,
  type TensorMap,
  type TensorSpec,
} from './safetensors.js';
import { type DecodeOptions, decodeSafetensors } from './safetensors-read.js';

/** AdamW moments per parameter (same names as the parameters) and the optimizer's step count. */
export interface AdamWState {
  step: number;
  m: TensorMap;
  v: TensorMap;
}

/** What a checkpoint holds: the step, the model config, the weights, optionally the AdamW state, and the trainer's own JSON state. */
export interface Checkpoint {
  /** Training step the checkpoint was taken at (names the folder). */
  step: number;
  /** The model config, a plain JSON object. */
  config: Record<string, unknown>;
  params: TensorMap;
  optimizer?: AdamWState;
  /** Opaque JSON (step, RNG state, data cursor, ...). */
  trainerState?: unknown;
}

/** Tensor specs (dtype and shape) of a tensor map: what `loadCheckpoint` checks against. */
export function specOf(tensors: TensorMap): Record<string, TensorSpec> {
  return Object.fromEntries(
    Object.entries(tensors).map(([k, t]) => [k, { dtype: t.dtype, shape: [...t.shape] }]),
  );
}

function prefixed<T>(prefix: string, tensors: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(tensors).map(([k, t]) => [prefix + k, t]));
}

function sha256(chunks: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const c of chunks) hash.update(c);
  return hash.digest('hex');
}

/** Write one safetensors file atomically. */
export async function writeSafetensorsFile(
  path: string,
  tensors: TensorMap,
  metadata: Record<string, string> = {},
  options: AtomicWriteOptions = {},
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensorsChunks(tensors, metadata), options);
}

/** Read and validate one safetensors file (header, offsets, and optionally names, dtypes and shapes). */
export async function readSafetensorsFile(
  path: string,
  options: Omit<DecodeOptions, 'source'> = {},
): Promise<SafetensorsFile> {
  const bytes = await readOrFail(path);
  return decodeSafetensors(bytes, { ...options, source: path });
}

/** Options of {@link saveCheckpoint}. */
export interface SaveCheckpointOptions extends AtomicWriteOptions {
  /** After saving, delete all but the newest `keepLast` complete checkpoints (and older incomplete ones). */
  keepLast?: number;
}

/** Save a checkpoint to `root/step-NNNNNN/`; returns that folder. */
export async function saveCheckpoint(
  root: string,
  ckpt: Checkpoint,
  options: SaveCheckpointOptions = {},
): Promise<string> {
  const dir = join(root, checkpointDirName(ckpt.step));
  await mkdir(dir, { recursive: true });
  // Re-saving a step: drop the old manifest first, so a crash mid-save leaves the folder incomplete, not mixed.
  await rm(join(dir, CHECKPOINT_FILES.manifest), { force: true });
  // Temporary files left by an earlier save that crashed (one writer per checkpoints root).
  for (const name of await readdir(dir)) {
    if (name.startsWith('.') && name.endsWith('.tmp')) await rm(join(dir, name), { force: true });
  }
  const files: Array<[string, readonly Uint8Array[]]> = [
    [CHECKPOINT_FILES.model, encodeSafetensorsChunks(ckpt.params, { format: 'pt' })],
    [CHECKPOINT_FILES.config, [Buffer.from(JSON.stringify(ckpt.config, null, 2) + '\n')]],
  ];
  if (ckpt.optimizer) {
    checkOptimizerNames(ckpt.optimizer, ckpt.params, dir);
    const tensors = { ...prefixed('m.', ckpt.optimizer.m), ...prefixed('v.', ckpt.optimizer.v) };
    const metadata = { format: 'lamer-adamw', step: String(ckpt.optimizer.step) };
    files.push([CHECKPOINT_FILES.optimizer, encodeSafetensorsChunks(tensors, metadata)]);
  }
  if (ckpt.trainerState !== undefined) {
    files.push([
      CHECKPOINT_FILES.trainerState,
      [Buffer.from(JSON.stringify(ckpt.trainerState, null, 2) + '\n')],
    ]);
  }
  const manifest: CheckpointManifest = { format: MANIFEST_FORMAT, version: 1, step: ckpt.step, files: {} };
  for (const [name, chunks] of files) {
    await writeFileAtomic(join(dir, name), chunks, options);
    manifest.files[name] = { bytes: chunks.reduce((n, c) => n + c.byteLength, 0), sha256: sha256(chunks) };
  }
  await writeFileAtomic(
    join(dir, CHECKPOINT_FILES.manifest),
    JSON.stringify(manifest, null, 2) + '\n',
    options,
  );
  if (options.keepLast !== undefined) await pruneCheckpoints(root, options.keepLast);
  return dir;
}

function checkOptimizerNames(opt: AdamWState, params: TensorMap, dir: string): void {
  const expected = specOf(params);
  for (const [label, moments] of [
    ['m', opt.m],
    ['v', opt.v],
  ] as const) {
    const names = Object.keys(moments);
    const missing = Object.keys(expected).find((k) => !Object.hasOwn(moments, k));
    const extra = names.find((k) => !Object.hasOwn(expected, k));
    if (missing !== undefined || extra !== undefined) {
      const name = missing ?? extra!;
      throw new CheckpointError(
        `${dir}: optimizer ${label} ${missing !== undefined ? 'lacks' : 'has an unknown'} tensor "${name}"; AdamW moments must match the parameters one to one.`,
        { tensor: name },
      );
    }
  }
}

/** Options of {@link loadCheckpoint}: the tensors expected and whether to verify the manifest's hashes. */
export interface LoadCheckpointOptions {
  /** Parameter names, dtypes and shapes the model needs; AdamW moments are checked against the same spec. */
  expected?: Record<string, TensorSpec>;
  /** Check each file's size and sha256 against the manifest (default true). */
  verifyHashes?: boolean;
}

/** Load and validate the checkpoint in `dir` (a `step-NNNNNN` folder). */
export async function loadCheckpoint(dir: string, options: LoadCheckpointOptions = {}): Promise<Checkpoint> {
  const manifest = await readManifest(dir);
  const read = async (name: string): Promise<Buffer> => {
    const path = join(dir, name);
    const bytes = await readOrFail(path);
    const entry = manifest.files[name]!;
    if (
      options.verifyHashes !== false &&
      (bytes.byteLength !== entry.bytes || sha256([bytes]) !== entry.sha256)
    ) {
      throw new CheckpointError(
        `${path}: contents differ from the manifest (${bytes.byteLength} bytes, expected ${entry.bytes}; sha256 mismatch): the file is corrupt or was replaced. Use an older checkpoint.`,
        { file: path },
      );
    }
    return bytes;
  };
  const has = (name: string) => Object.hasOwn(manifest.files, name);
  for (const name of [CHECKPOINT_FILES.model, CHECKPOINT_FILES.config]) {
    if (!has(name))
      throw new CheckpointError(`${dir}: the manifest lists no ${name}; this checkpoint is incomplete.`, {
        file: dir,
      });
  }
  const modelPath = join(dir, CHECKPOINT_FILES.model);
  const model = decodeSafetensors(await read(CHECKPOINT_FILES.model), {
    expected: options.expected,
    source: modelPath,
  });
  const expected = options.expected ?? specOf(model.tensors);
  const ckpt: Checkpoint = {
    step: manifest.step,
    config: parseJsonObject(await read(CHECKPOINT_FILES.config), join(dir, CHECKPOINT_FILES.config)),
    params: { ...model.tensors },
  };
  if (has(CHECKPOINT_FILES.optimizer)) {
    const path = join(dir, CHECKPOINT_FILES.optimizer);
    const optExpected = { ...prefixed('m.', expected), ...prefixed('v.', expected) };
    const opt = decodeSafetensors(await read(CHECKPOINT_FILES.optimizer), {
      expected: optExpected,
      source: path,
    });
    const step = Number(opt.metadata.step);
    if (!Number.isSafeInteger(step) || step < 0) {
      throw new CheckpointError(
        `${path}: metadata "step" is ${JSON.stringify(opt.metadata.step)}, not a step count.`,
        { file: path },
      );
    }
    const strip = (prefix: string): TensorMap =>
      Object.fromEntries(Object.keys(expected).map((k) => [k, opt.tensors[prefix + k]!]));
    ckpt.optimizer = { step, m: strip('m.'), v: strip('v.') };
  }
  if (has(CHECKPOINT_FILES.trainerState)) {
    const path = join(dir, CHECKPOINT_FILES.trainerState);
    ckpt.trainerState = parseJson(await read(CHECKPOINT_FILES.trainerState), path);
  }
  return ckpt;
}

function parseJson(bytes: Buffer, path: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new CheckpointError(
      `${path}: not valid JSON; the checkpoint is damaged, use an older one.`,
      { file: path },
      { cause },
    );
  }
}

function parseJsonObject(bytes: Buffer, path: string): Record<string, unknown> {
  const value = parseJson(bytes, path);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new CheckpointError(`${path}: must hold a JSON object (the model config).`, { file: path });
  }
  return value as Record<string, unknown>;
}

/** Options of {@link loadLatestCheckpoint}. */
export interface ResumeOptions extends LoadCheckpointOptions {
  /** Told about each damaged checkpoint that is skipped (default: console.warn). */
  logger?: (message: string) => void;
}

/**
 * Load the newest checkpoint under `root` that loads and validates; damaged ones are skipped with a
 * message (newest first). Returns null when there is no usable checkpoint: start from scratch.
 */
export async function loadLatestCheckpoint(
  root: string,
  options: ResumeOptions = {},
): Promise<{ dir: string; checkpoint: Checkpoint } | null> {
  const complete = (await listCheckpoints(root)).filter((c) => c.complete).reverse();
  for (const { dir } of complete) {
    try {
      return { dir, checkpoint: await loadCheckpoint(dir, options) };
    } catch (error) {
      if (!(error instanceof CheckpointError)) throw error;
      (options.logger ?? console.warn)(`skipping damaged checkpoint ${dir}: ${error.message}`);
    }
  }
  return null;
}
