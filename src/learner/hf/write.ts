/**
 * Writes a Hugging Face model folder: config.json, the weights as
 * model.safetensors (or shards plus model.safetensors.index.json) in F32,
 * BF16 or F16, generation_config.json and the tokenizer files given. What
 * `lamer export --merge` writes, and how tests and `npm run make:tiny-model`
 * make small random checkpoints in the layout transformers and vLLM load.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { writeSafetensorsFile } from '../checkpoint.js';
import { hfConfig, type ModelConfig, paramShapes } from '../model-config.js';
import { dtypeBytes, type StoredTensor, type TensorMap } from '../safetensors.js';
import { SAFETENSORS_FILE, SAFETENSORS_INDEX } from './weights.js';

const writeJson = (path: string, value: unknown) =>
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);

export type HfDtype = 'F32' | 'BF16' | 'F16';
const TORCH_DTYPE: Record<HfDtype, string> = { F32: 'float32', BF16: 'bfloat16', F16: 'float16' };

/** float32 → bfloat16 bits, round to nearest even (torch's `.to(torch.bfloat16)`). */
export function toBf16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const b = bits[i]!;
    out[i] = (b & 0x7fffffff) > 0x7f800000 ? 0x7fc0 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return out;
}

/** float32 → float16 bits, round to nearest even (IEEE half; overflow to infinity). */
export function toF16(values: Float32Array): Uint16Array {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    f[0] = values[i]!;
    const x = u[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    let e = exp - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
      continue;
    }
    if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mant |= 0x800000;
      const shift = 14 - e;
      const half = 1 << (shift - 1);
      const rounded = mant + half - 1 + ((mant >>> shift) & 1);
      out[i] = sign | (rounded >>> shift);
      continue;
    }
    const rounded = mant + 0xfff + ((mant >>> 13) & 1);
    if (rounded & 0x800000) {
      mant = 0;
      e++;
      if (e >= 0x1f) {
        out[i] = sign | 0x7c00;
        continue;
      }
    } else mant = rounded;
    out[i] = sign | (e << 10) | (mant >>> 13);
  }
  return out;
}

export function storedAs(values: Float32Array, shape: readonly number[], dtype: HfDtype): StoredTensor {
  if (dtype === 'F32') return { dtype, shape, data: values };
  return { dtype, shape, data: dtype === 'BF16' ? toBf16(values) : toF16(values) };
}

export interface HfFolder {
  config: ModelConfig;
  /** Every parameter of `config`, float32. */
  params: Readonly<Record<string, Float32Array>>;
  dtype: HfDtype;
  /** Split the weights over this many shard files with an index (default 1: one model.safetensors). */
  shards?: number;
  /** Fields merged over hfConfig(config) (e.g. token ids). */
  configExtra?: Record<string, unknown>;
  generationConfig?: Record<string, unknown>;
  /** Files copied into the folder as they are (tokenizer.json, tokenizer_config.json, ...). */
  copyFiles?: readonly string[];
}

/** Write `f` as a Hugging Face model folder under `dir` (created; files written atomically). */
export async function writeHfFolder(dir: string, f: HfFolder): Promise<void> {
  await mkdir(dir, { recursive: true });
  const shapes = paramShapes(f.config);
  const names = Object.keys(shapes);
  const shards = Math.max(1, Math.min(f.shards ?? 1, names.length));
  const per = Math.ceil(names.length / shards);
  const weightMap: Record<string, string> = {};
  let total = 0;
  for (let s = 0; s < shards; s++) {
    const file =
      shards === 1
        ? SAFETENSORS_FILE
        : `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const tensors: TensorMap = {};
    for (const name of names.slice(s * per, (s + 1) * per)) {
      const v = f.params[name];
      if (!(v instanceof Float32Array)) throw new Error(`writeHfFolder: no values for "${name}"`);
      tensors[name] = storedAs(v, shapes[name]!, f.dtype);
      weightMap[name] = file;
      total += v.length * dtypeBytes(f.dtype);
    }
    await writeSafetensorsFile(join(dir, file), tensors, { format: 'pt' });
  }
  if (shards > 1)
    await writeJson(join(dir, SAFETENSORS_INDEX), { metadata: { total_size: total }, weight_map: weightMap });
  const config = { ...hfConfig(f.config), torch_dtype: TORCH_DTYPE[f.dtype], ...f.configExtra };
  await writeJson(join(dir, 'config.json'), config);
  if (f.generationConfig) await writeJson(join(dir, 'generation_config.json'), f.generationConfig);
  for (const src of f.copyFiles ?? []) await copyFile(src, join(dir, basename(src)));
}
