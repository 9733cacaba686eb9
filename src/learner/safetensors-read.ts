/**
 * Validating safetensors reader: header bounds, JSON, dtypes, offsets (contiguous, inside the
 * file), then names, dtypes and shapes against what the caller expects. Every error is a
 * CheckpointError that names the file and, where one is at fault, the tensor.
 */
import { sameShape } from './graph/shape.js';
import {
  assertLittleEndianHost,
  CheckpointError,
  DTYPES,
  isSafetensorsDtype,
  MAX_HEADER_BYTES,
  METADATA_KEY,
  numel,
  type SafetensorsDtype,
  type SafetensorsFile,
  type TensorMap,
  type TensorSpec,
  validShape,
  where,
} from './safetensors.js';

/** Options of {@link decodeSafetensors}: the tensors expected (dtype and shape), whether others are allowed, the source named in errors. */
export interface DecodeOptions {
  /** The tensors the caller needs, with dtype and shape; any mismatch or missing tensor is an error. */
  expected?: Record<string, TensorSpec>;
  /** With `expected`: accept tensors the spec does not list (default false: they are an error). */
  allowExtra?: boolean;
  /** Named in error messages (usually the file path). */
  source?: string;
}

/** One tensor of a safetensors header: name, dtype, shape and byte range in the data section. */
export interface HeaderEntry {
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
  /** Size of the whole file when `bytes` holds only its start (the header); default `bytes.byteLength`. */
  fileBytes = bytes.byteLength,
): { entries: HeaderEntry[]; metadata: Record<string, string>; dataStart: number } {
  assertLittleEndianHost();
  const file = where(source);
  const fix =
    'The file is corrupt or truncated: restore it from a backup or an older checkpoint, or write it again.';
  if (fileBytes < 8 || bytes.byteLength < 8) {
    throw new CheckpointError(
      `${file}: ${fileBytes} bytes is shorter than the 8-byte header length. ${fix}`,
      {
        file: source,
      },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES) || n > BigInt(Math.min(fileBytes, bytes.byteLength) - 8)) {
    const why =
      n > BigInt(MAX_HEADER_BYTES)
        ? `above the ${MAX_HEADER_BYTES}-byte limit`
        : `but only ${Math.min(fileBytes, bytes.byteLength) - 8} bytes follow`;
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
  const dataBytes = fileBytes - dataStart;
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
