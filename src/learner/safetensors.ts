/**
 * Safetensors reader and writer (the Hugging Face format PyTorch and transformers read).
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

export interface TensorSpec {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
}

export interface StoredTensor extends TensorSpec {
  readonly data: TensorArray;
}

export type TensorMap = Record<string, StoredTensor>;

export interface SafetensorsFile {
  tensors: TensorMap;
  metadata: Record<string, string>;
}

interface DtypeInfo {
  bytes: number;
  ctor: { new (buffer: ArrayBuffer): TensorArray; name: string };
}

const DTYPES: Record<SafetensorsDtype, DtypeInfo> = {
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
const METADATA_KEY = '__metadata__';

export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.hasOwn(DTYPES, value);
}

export function dtypeBytes(dtype: SafetensorsDtype): number {
  return DTYPES[dtype].bytes;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function assertLittleEndianHost(): void {
  if (endianness() !== 'LE') {
    throw new CheckpointError('safetensors I/O needs a little-endian host; this machine is big-endian.');
  }
}

function where(source: string | undefined, tensor?: string): string {
  const file = source ?? 'safetensors data';
  return tensor === undefined ? file : `${file}: tensor "${tensor}"`;
}

function validShape(shape: unknown): shape is number[] {
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
  const header: Record<string, unknown> = {};
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

export interface DecodeOptions {
  /** The tensors the caller needs, with dtype and shape; any mismatch or missing tensor is an error. */
  expected?: Record<string, TensorSpec>;
  /** With `expected`: accept tensors the spec does not list (default false: they are an error). */
  allowExtra?: boolean;
  /** Named in error messages (usually the file path). */
  source?: string;
}

interface HeaderEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Parse and validate the header; returns the entries sorted by offset and where the data starts. */
export function readSafetensorsHeader(
  bytes: Uint8Array,
  source?: string,
): { entries: HeaderEntry[]; metadata: Record<string, string>; dataStart: number } {
  assertLittleEndianHost();
  const file = where(source);
  const fix =
    'The file is corrupt or truncated: restore it from a backup or an older checkpoint, or write it again.';
  if (bytes.byteLength < 8) {
    throw new CheckpointError(
      `${file}: ${bytes.byteLength} bytes is shorter than the 8-byte header length. ${fix}`,
      {
        file: source,
      },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES) || n > BigInt(bytes.byteLength - 8)) {
    const why =
      n > BigInt(MAX_HEADER_BYTES)
        ? `above the ${MAX_HEADER_BYTES}-byte limit`
        : `but only ${bytes.byteLength - 8} bytes follow`;
    throw new CheckpointError(`${file}: header length ${n} is ${why}. ${fix}`, { file: source });
  }
  const dataStart = 8 + Number(n);
  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
    if (!text.startsWith('{')) throw new SyntaxError('header does not start with "{"');
    header = JSON.parse(text);
  } catch (cause) {
    throw new CheckpointError(
      `${file}: header is not valid UTF-8 JSON (${String(cause)}). ${fix}`,
      { file: source },
      { cause },
    );
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new CheckpointError(`${file}: header is not a JSON object. ${fix}`, { file: source });
  }
  const metadata: Record<string, string> = Object.create(null);
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    const at = where(source, name);
    const info = { file: source, tensor: name };
    if (name === METADATA_KEY) {
      for (const [k, v] of Object.entries((value ?? {}) as object)) {
        if (typeof v !== 'string')
          throw new CheckpointError(`${file}: metadata "${k}" is not a string. ${fix}`, info);
        metadata[k] = v;
      }
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (value ?? {}) as Record<string, unknown>;
    if (!isSafetensorsDtype(dtype)) {
      throw new CheckpointError(
        `${at}: unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPES).join(', ')}).`,
        info,
      );
    }
    if (!validShape(shape))
      throw new CheckpointError(`${at}: shape ${JSON.stringify(shape)} is not a list of sizes. ${fix}`, info);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    ) {
      throw new CheckpointError(
        `${at}: data_offsets ${JSON.stringify(offsets)} is not [begin, end]. ${fix}`,
        info,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin || end - begin !== numel(shape) * DTYPES[dtype].bytes) {
      throw new CheckpointError(
        `${at}: data_offsets [${begin}, ${end}] do not hold ${dtype}[${shape.join(', ')}] (${numel(shape) * DTYPES[dtype].bytes} bytes). ${fix}`,
        info,
      );
    }
    entries.push({ name, dtype, shape, begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataBytes = bytes.byteLength - dataStart;
  let expectedBegin = 0;
  for (const e of entries) {
    const info = { file: source, tensor: e.name };
    if (e.end > dataBytes) {
      throw new CheckpointError(
        `${where(source, e.name)}: needs data bytes [${e.begin}, ${e.end}) but the file has only ${dataBytes}: the file is truncated. ${fix}`,
        info,
      );
    }
    if (e.begin !== expectedBegin) {
      throw new CheckpointError(
        `${where(source, e.name)}: data starts at ${e.begin}, expected ${expectedBegin} (offsets overlap or leave a gap). ${fix}`,
        info,
      );
    }
    expectedBegin = e.end;
  }
  if (expectedBegin !== dataBytes) {
    throw new CheckpointError(
      `${file}: ${dataBytes - expectedBegin} bytes after the last tensor belong to none. ${fix}`,
      {
        file: source,
      },
    );
  }
  return { entries, metadata, dataStart };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Check a header's tensors against an expected spec (names, dtypes, shapes). */
export function checkTensorSpec(
  found: Record<string, TensorSpec>,
  expected: Record<string, TensorSpec>,
  options: { allowExtra?: boolean; source?: string } = {},
): void {
  const { source } = options;
  const fix =
    'Load a checkpoint written for this model config, or change the config to match the checkpoint.';
  for (const [name, spec] of Object.entries(expected)) {
    const got = Object.hasOwn(found, name) ? found[name] : undefined;
    const info = { file: source, tensor: name };
    if (got === undefined) throw new CheckpointError(`${where(source, name)}: missing. ${fix}`, info);
    if (got.dtype !== spec.dtype) {
      throw new CheckpointError(
        `${where(source, name)}: dtype is ${got.dtype}, expected ${spec.dtype}. ${fix}`,
        info,
      );
    }
    if (!sameShape(got.shape, spec.shape)) {
      throw new CheckpointError(
        `${where(source, name)}: shape is [${got.shape.join(', ')}], expected [${spec.shape.join(', ')}]. ${fix}`,
        info,
      );
    }
  }
  if (!options.allowExtra) {
    const extra = Object.keys(found).filter((name) => !Object.hasOwn(expected, name));
    if (extra.length > 0) {
      throw new CheckpointError(
        `${where(source, extra[0])}: not expected by the model (${extra.length} unexpected). ${fix}`,
        {
          file: source,
          tensor: extra[0],
        },
      );
    }
  }
}

/** Decode and validate a safetensors file held in memory; tensors are copied into fresh, aligned arrays. */
export function decodeSafetensors(bytes: Uint8Array, options: DecodeOptions = {}): SafetensorsFile {
  const { entries, metadata, dataStart } = readSafetensorsHeader(bytes, options.source);
  const tensors: TensorMap = Object.create(null);
  for (const e of entries) tensors[e.name] = { dtype: e.dtype, shape: e.shape, data: new Uint8Array(0) };
  if (options.expected) checkTensorSpec(tensors, options.expected, options);
  for (const e of entries) {
    // A fresh buffer per tensor: aligned for the typed array, and no view into a (possibly pooled) Buffer.
    const copy = new Uint8Array(e.end - e.begin);
    copy.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    tensors[e.name] = { dtype: e.dtype, shape: e.shape, data: new DTYPES[e.dtype].ctor(copy.buffer) };
  }
  return { tensors, metadata };
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
