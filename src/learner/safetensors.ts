/**
 * Safetensors writer and shared definitions (the Hugging Face format PyTorch and transformers read);
 * the validating reader is in safetensors-read.ts.
 *
 * Layout: 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { str: str } }`
 * padded with spaces to a multiple of 8, then the raw little-endian tensor bytes.
 * Hand-written: the format is ~40 lines and npm has no maintained writer (`safetensors` on npm is a 0.0.1 stub).
 * We write like the reference (Rust) implementation: tensors ordered by element size (largest first)
 * then by name, so every tensor is aligned to its element size; header keys in that same order.
 */
import { endianness } from 'node:os';
import { LamerError } from '../util/errors.js';

/** A checkpoint or safetensors file is corrupt, truncated, or does not match what the model expects. */
export class CheckpointError extends LamerError {
  constructor(
    message: string,
    readonly details: { file?: string; tensor?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The safetensors dtypes this library reads and writes. */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** F16 and BF16 are stored as raw bit patterns in a Uint16Array (see `toFloat32`); BOOL as 0/1 bytes. */
export type TensorArray =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint16Array;

/** A tensor's dtype and shape. */
export interface TensorSpec {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
}

/** A tensor with its data, as stored in a safetensors file. */
export interface StoredTensor extends TensorSpec {
  readonly data: TensorArray;
}

/** Tensors by name. */
export type TensorMap = Record<string, StoredTensor>;

/** A decoded safetensors file: its tensors and its `__metadata__` strings. */
export interface SafetensorsFile {
  tensors: TensorMap;
  metadata: Record<string, string>;
}

export interface DtypeInfo {
  bytes: number;
  ctor: { new (buffer: ArrayBuffer): TensorArray; name: string };
}

export const DTYPES: Record<SafetensorsDtype, DtypeInfo> = {
  F64: { bytes: 8, ctor: Float64Array },
  F32: { bytes: 4, ctor: Float32Array },
  F16: { bytes: 2, ctor: Uint16Array },
  BF16: { bytes: 2, ctor: Uint16Array },
  I64: { bytes: 8, ctor: BigInt64Array },
  I32: { bytes: 4, ctor: Int32Array },
  I16: { bytes: 2, ctor: Int16Array },
  I8: { bytes: 1, ctor: Int8Array },
  U8: { bytes: 1, ctor: Uint8Array },
  BOOL: { bytes: 1, ctor: Uint8Array },
};

/** Same bound as the reference implementation: a larger header is treated as corrupt. */
export const MAX_HEADER_BYTES = 100_000_000;
export const METADATA_KEY = '__metadata__';

/** Whether `value` names a supported safetensors dtype. */
export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.hasOwn(DTYPES, value);
}

/** Bytes per element of `dtype`. */
export function dtypeBytes(dtype: SafetensorsDtype): number {
  return DTYPES[dtype].bytes;
}

/** Elements of a tensor of `shape` (1 for a scalar). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function assertLittleEndianHost(): void {
  if (endianness() !== 'LE') {
    throw new CheckpointError('safetensors I/O needs a little-endian host; this machine is big-endian.');
  }
}

/** `file: tensor "name"` prefix of error messages. */
export function where(source: string | undefined, tensor?: string): string {
  const file = source ?? 'safetensors data';
  return tensor === undefined ? file : `${file}: tensor "${tensor}"`;
}

export function validShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** Encode tensors into the chunks of one safetensors file: [length+header, data...] (data chunks are views, not copies). */
export function encodeSafetensorsChunks(
  tensors: TensorMap,
  metadata: Record<string, string> = {},
): Uint8Array[] {
  assertLittleEndianHost();
  const names = Object.keys(tensors);
  for (const name of names) {
    const t = tensors[name]!;
    const at = where(undefined, name);
    if (name === METADATA_KEY) throw new CheckpointError(`"${METADATA_KEY}" is reserved; rename the tensor.`);
    if (!isSafetensorsDtype(t.dtype))
      throw new CheckpointError(`${at}: unknown dtype ${String(t.dtype)}.`, { tensor: name });
    if (!validShape(t.shape))
      throw new CheckpointError(`${at}: shape must be non-negative integers.`, { tensor: name });
    const info = DTYPES[t.dtype];
    if (!(t.data instanceof info.ctor)) {
      throw new CheckpointError(
        `${at}: dtype ${t.dtype} needs a ${info.ctor.name}, got ${t.data.constructor.name}.`,
        {
          tensor: name,
        },
      );
    }
    if (t.data.length !== numel(t.shape)) {
      throw new CheckpointError(
        `${at}: shape [${t.shape.join(', ')}] needs ${numel(t.shape)} elements, data has ${t.data.length}.`,
        { tensor: name },
      );
    }
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string')
      throw new CheckpointError(`metadata "${k}" must be a string (safetensors stores str → str).`);
  }
  const order = names.sort((a, b) => {
    const size = DTYPES[tensors[b]!.dtype].bytes - DTYPES[tensors[a]!.dtype].bytes;
    return size !== 0 ? size : a < b ? -1 : a > b ? 1 : 0;
  });
  // A prototype-less object: a tensor named "__proto__" must be a key, not the prototype.
  const header: Record<string, unknown> = Object.create(null);
  if (Object.keys(metadata).length > 0) {
    header[METADATA_KEY] = Object.fromEntries(Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : 1)));
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of order) {
    const t = tensors[name]!;
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
    chunks.push(bytes);
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  const head = Buffer.alloc(8 + padded, 0x20);
  head.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(head, 8);
  return [new Uint8Array(head.buffer, head.byteOffset, head.byteLength), ...chunks];
}

/** Encode tensors into one safetensors file in memory. */
export function encodeSafetensors(tensors: TensorMap, metadata: Record<string, string> = {}): Uint8Array {
  const chunks = encodeSafetensorsChunks(tensors, metadata);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** Values of a floating-point tensor as float32 (F16 and BF16 are widened exactly; F64 is rounded). */
export function toFloat32(tensor: StoredTensor): Float32Array {
  const { dtype, data } = tensor;
  if (dtype === 'F32') return data as Float32Array;
  if (dtype === 'F64') return Float32Array.from(data as Float64Array);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(data.length);
    for (let i = 0; i < data.length; i++) bits[i] = (data as Uint16Array)[i]! << 16;
    return new Float32Array(bits.buffer);
  }
  if (dtype === 'F16') {
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const h = (data as Uint16Array)[i]!;
      const sign = h & 0x8000 ? -1 : 1;
      const exp = (h >> 10) & 0x1f;
      const frac = h & 0x3ff;
      if (exp === 0) out[i] = sign * frac * 2 ** -24;
      else if (exp === 31) out[i] = frac === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
      else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
    }
    return out;
  }
  throw new CheckpointError(`toFloat32: dtype ${dtype} is not a floating-point type.`);
}

/** F32 tensors from plain arrays and their shapes (e.g. a train state's parameters and the model's shapes). */
export function f32Tensors(
  arrays: Record<string, Float32Array>,
  shapes: Record<string, readonly number[]>,
): TensorMap {
  const out: TensorMap = Object.create(null);
  for (const [name, shape] of Object.entries(shapes)) {
    const data = arrays[name];
    if (data === undefined)
      throw new CheckpointError(`tensor "${name}": no array given for this shape.`, { tensor: name });
    out[name] = { dtype: 'F32', shape: [...shape], data };
  }
  const extra = Object.keys(arrays).find((name) => !Object.hasOwn(shapes, name));
  if (extra !== undefined)
    throw new CheckpointError(`tensor "${extra}": no shape given for this array.`, { tensor: extra });
  return out;
}

/** The F32 spec of a map of shapes: what `loadCheckpoint({ expected })` checks a model's parameters against. */
export function f32Spec(shapes: Record<string, readonly number[]>): Record<string, TensorSpec> {
  return Object.fromEntries(
    Object.entries(shapes).map(([name, shape]) => [name, { dtype: 'F32', shape: [...shape] }]),
  );
}

/** The Float32Array of each tensor (throws, naming the tensor, when one is not F32). */
export function f32Arrays(tensors: TensorMap): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = Object.create(null);
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== 'F32') {
      throw new CheckpointError(
        `tensor "${name}": dtype is ${t.dtype}, expected F32; convert it with toFloat32.`,
        {
          tensor: name,
        },
      );
    }
    out[name] = t.data as Float32Array;
  }
  return out;
}
