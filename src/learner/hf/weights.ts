/**
 * The weights of a Hugging Face model folder: `model.safetensors`, or shards
 * listed by `model.safetensors.index.json`. Only headers are read to check the
 * tensors against the config (a missing or mismatched tensor is an error that
 * names it, its expected and its found shape); the values stay on disk. The
 * graphs read them as ONNX external data, mapped by onnxruntime (so every
 * session on the same file shares one copy in the page cache): straight from
 * the checkpoint when it is float32, from a float32 copy written once into a
 * cache folder when it is bfloat16 or float16 (compute is float32 on CPU).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { LamerError } from '../../util/errors.js';
import type { ExternalData } from '../graph/index.js';
import { type ModelConfig, paramShapes } from '../model-config.js';
import { DTYPES, type SafetensorsDtype, toFloat32 } from '../safetensors.js';
import { readSafetensorsHeader } from '../safetensors-read.js';

/** A model folder's weights are missing, damaged, or do not fit its config; the message names the tensor. */
export class HfWeightsError extends LamerError {}

export const SAFETENSORS_FILE = 'model.safetensors';
export const SAFETENSORS_INDEX = 'model.safetensors.index.json';

/** Where one tensor's values are: file, dtype, shape, absolute byte range. */
export interface HfTensorRef {
  readonly file: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly bytes: number;
}

/** A Hugging Face checkpoint's weights as found on disk: the folder, its safetensors files, where each parameter is, and the main dtype. */
export interface HfCheckpoint {
  /** The model folder. */
  readonly dir: string;
  /** The safetensors files, in order. */
  readonly files: readonly string[];
  /** Every parameter of the config (tied heads have no `lm_head.weight`). */
  readonly tensors: Readonly<Record<string, HfTensorRef>>;
  /** The dtype most weights are stored in (what `export --merge` writes back). */
  readonly dtype: SafetensorsDtype;
}

/** Float32 weights for ONNX external data: the folder the graphs' `location`s are relative to. */
export interface ExternalWeights {
  readonly dir: string;
  readonly refs: Readonly<Record<string, ExternalData>>;
}

/** Tensors a checkpoint may hold that the model does not use (buffers older transformers saved). */
const UNUSED = /(^|\.)rotary_emb\.inv_freq$/;
const FLOAT_DTYPES: readonly SafetensorsDtype[] = ['F32', 'F16', 'BF16'];

async function readHeader(path: string) {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(Math.min(size, 8));
    await fh.read(head, 0, head.length, 0);
    const n = head.length === 8 ? Number(head.readBigUInt64LE(0)) : 0;
    const bytes = new Uint8Array(Math.min(size, 8 + Math.min(n, 100_000_000)));
    await fh.read(bytes, 0, bytes.length, 0);
    return { ...readSafetensorsHeader(bytes, path, size), size };
  } finally {
    await fh.close();
  }
}

/** The shard file of each tensor: the index's weight_map, or the one model.safetensors. */
async function weightFiles(dir: string): Promise<Map<string, string[]>> {
  const index = join(dir, SAFETENSORS_INDEX);
  if (existsSync(index)) {
    let map: unknown;
    try {
      map = (JSON.parse(await readFile(index, 'utf8')) as { weight_map?: unknown }).weight_map;
    } catch (error) {
      throw new HfWeightsError(`${index} is not valid JSON (${(error as Error).message})`, { cause: error });
    }
    if (typeof map !== 'object' || map === null)
      throw new HfWeightsError(`${index}: "weight_map" must map tensor names to shard files`);
    const byFile = new Map<string, string[]>();
    for (const [name, file] of Object.entries(map)) {
      if (typeof file !== 'string' || file.includes('/') || file.includes('\\'))
        throw new HfWeightsError(
          `${index}: tensor "${name}" maps to ${JSON.stringify(file)}, not a file name`,
        );
      byFile.set(file, [...(byFile.get(file) ?? []), name]);
    }
    for (const file of byFile.keys())
      if (!existsSync(join(dir, file)))
        throw new HfWeightsError(
          `${index} lists shard ${file}, which is not in ${dir}: copy every shard there`,
        );
    return byFile;
  }
  if (!existsSync(join(dir, SAFETENSORS_FILE)))
    throw new HfWeightsError(
      `${dir} has neither ${SAFETENSORS_FILE} nor ${SAFETENSORS_INDEX}: save the model with safetensors ` +
        '(transformers: model.save_pretrained(dir, safe_serialization=True))',
    );
  return new Map([[SAFETENSORS_FILE, []]]);
}

/** Read the headers of a folder's safetensors and check them against `config`'s parameters. */
export async function readHfCheckpoint(dir: string, config: ModelConfig): Promise<HfCheckpoint> {
  const expected = paramShapes(config);
  const found: Record<string, HfTensorRef> = Object.create(null);
  const files: string[] = [];
  for (const [file, listed] of await weightFiles(dir)) {
    const path = join(dir, file);
    files.push(path);
    const h = await readHeader(path);
    for (const e of h.entries) {
      if (UNUSED.test(e.name) || (e.name === 'lm_head.weight' && config.tieEmbeddings)) continue;
      if (!Object.hasOwn(expected, e.name))
        throw new HfWeightsError(
          `${path}: tensor "${e.name}" is not a parameter of this ${config.nLayers}-layer model ` +
            '(a different architecture or config.json?)',
        );
      found[e.name] = {
        file: path,
        dtype: e.dtype,
        shape: e.shape,
        offset: h.dataStart + e.begin,
        bytes: e.end - e.begin,
      };
    }
    for (const name of listed)
      if (!(name in found) && Object.hasOwn(expected, name))
        throw new HfWeightsError(
          `${path}: the index lists tensor "${name}" here, but the file does not hold it`,
        );
  }
  const counts = new Map<SafetensorsDtype, number>();
  for (const [name, shape] of Object.entries(expected)) {
    const t = found[name];
    if (t === undefined)
      throw new HfWeightsError(
        `${dir}: tensor "${name}" (shape [${shape.join(', ')}]) is missing from the checkpoint`,
      );
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      throw new HfWeightsError(
        `${t.file}: tensor "${name}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] from config.json`,
      );
    if (!FLOAT_DTYPES.includes(t.dtype))
      throw new HfWeightsError(`${t.file}: tensor "${name}" is ${t.dtype}; supported: F32, F16, BF16`);
    counts.set(t.dtype, (counts.get(t.dtype) ?? 0) + 1);
  }
  const dtype = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'F32';
  return { dir, files, tensors: found, dtype };
}

/** One tensor's values, widened to float32. */
export async function readHfTensor(ref: HfTensorRef): Promise<Float32Array> {
  const bytes = new Uint8Array(ref.bytes);
  const fh = await open(ref.file, 'r');
  try {
    await fh.read(bytes, 0, ref.bytes, ref.offset);
  } finally {
    await fh.close();
  }
  return toFloat32({ dtype: ref.dtype, shape: ref.shape, data: new DTYPES[ref.dtype].ctor(bytes.buffer) });
}

/** Every parameter of a checkpoint as float32 arrays (export, full fine-tuning, tests). */
export async function readHfParams(ck: HfCheckpoint): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [name, ref] of Object.entries(ck.tensors)) out[name] = await readHfTensor(ref);
  return out;
}

/** Default folder for float32 copies of bf16/f16 checkpoints: $LAMER_CACHE, else ~/.cache/lamer. */
export function defaultCacheDir(): string {
  return join(process.env.LAMER_CACHE ?? join(homedir(), '.cache', 'lamer'), 'hf-f32');
}

const MANIFEST = 'manifest.json';
const DATA = 'weights.f32';

/**
 * Float32 external data for a checkpoint's parameters: the checkpoint's own files when every tensor
 * is aligned float32, else a float32 copy written once under `cacheDir` (keyed by the files' names,
 * sizes and modification times, so an edited checkpoint gets a new copy).
 */
export async function externalWeights(
  ck: HfCheckpoint,
  cacheDir = defaultCacheDir(),
): Promise<ExternalWeights> {
  const refs = Object.values(ck.tensors);
  if (refs.every((r) => r.dtype === 'F32' && r.offset % 4 === 0)) {
    const external: Record<string, ExternalData> = {};
    for (const [name, r] of Object.entries(ck.tensors))
      external[name] = { location: basename(r.file), offset: r.offset, length: r.bytes };
    return { dir: ck.dir, refs: external };
  }
  const key = createHash('sha256');
  for (const f of ck.files) {
    const s = await stat(f);
    key.update(`${basename(f)}:${s.size}:${s.mtimeMs}\n`);
  }
  key.update(Object.keys(ck.tensors).join('\n'));
  const dir = join(cacheDir, key.digest('hex').slice(0, 24));
  const manifestPath = join(dir, MANIFEST);
  if (existsSync(manifestPath)) {
    const m = JSON.parse(await readFile(manifestPath, 'utf8')) as { refs: Record<string, ExternalData> };
    if (Object.keys(ck.tensors).every((n) => m.refs[n]?.location === DATA)) return { dir, refs: m.refs };
  }
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${DATA}.tmp-${process.pid}`);
  const external: Record<string, ExternalData> = {};
  const out = await open(tmp, 'w');
  try {
    let offset = 0;
    for (const [name, ref] of Object.entries(ck.tensors)) {
      const values = await readHfTensor(ref);
      const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      await out.write(bytes, 0, bytes.length, offset);
      external[name] = { location: DATA, offset, length: bytes.length };
      offset += bytes.length;
    }
    await out.sync();
  } catch (error) {
    await out.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await out.close();
  await rename(tmp, join(dir, DATA));
  const manifestTmp = `${manifestPath}.tmp-${process.pid}`;
  await writeFile(manifestTmp, JSON.stringify({ source: ck.dir, refs: external }));
  await rename(manifestTmp, manifestPath);
  return { dir, refs: external };
}
