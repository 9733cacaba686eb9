import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  type SafetensorsDtype,
  type StoredTensor,
  type TensorMap,
  toFloat32,
} from '../../src/learner/index.js';

const bytesOf = (t: StoredTensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

function f32FromBits(bits: number[]): Float32Array {
  return new Float32Array(new Uint32Array(bits).buffer);
}

/** Parse the raw layout by hand (independently of the decoder). */
function rawHeader(file: Uint8Array): { n: number; text: string } {
  const n = Number(Buffer.from(file).readBigUInt64LE(0));
  return { n, text: Buffer.from(file.subarray(8, 8 + n)).toString('utf8') };
}

function expectError(fn: () => unknown, ...fragments: string[]): CheckpointError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CheckpointError);
  for (const f of fragments) expect((caught as Error).message).toContain(f);
  return caught as CheckpointError;
}

const sample = (): TensorMap => ({
  'model.embed_tokens.weight': { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
  'model.norm.weight': { dtype: 'F32', shape: [3], data: new Float32Array([0.5, -0.25, 8]) },
  'lm_head.weight': { dtype: 'F32', shape: [2, 3], data: new Float32Array([-1, -2, -3, -4, -5, -6]) },
});

describe('safetensors encoding', () => {
  it('matches the format byte for byte on a known case', () => {
    const file = encodeSafetensors(
      { a: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } },
      { format: 'pt' },
    );
    const json = '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const padded = json.padEnd(Math.ceil(json.length / 8) * 8, ' ');
    const expected = Buffer.alloc(8 + padded.length + 8);
    expected.writeBigUInt64LE(BigInt(padded.length), 0);
    expected.write(padded, 8, 'utf8');
    expected.writeFloatLE(1, 8 + padded.length);
    expected.writeFloatLE(2, 12 + padded.length);
    expect(Buffer.from(file).equals(expected)).toBe(true);
  });

  it('pads the header with spaces to 8 bytes and aligns every tensor to its element size', () => {
    const file = encodeSafetensors({
      b: { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) },
      a: { dtype: 'F64', shape: [1], data: new Float64Array([Math.PI]) },
      c: { dtype: 'I32', shape: [2], data: new Int32Array([7, -7]) },
    });
    const { n, text } = rawHeader(file);
    expect(n % 8).toBe(0);
    expect(text).toMatch(/^\{.*\} *$/);
    const header = JSON.parse(text) as Record<
      string,
      { dtype: SafetensorsDtype; data_offsets: [number, number] }
    >;
    expect(Object.keys(header)).toEqual(['a', 'c', 'b']); // largest element size first, then by name
    expect(header.a!.data_offsets).toEqual([0, 8]);
    expect(header.c!.data_offsets).toEqual([8, 16]);
    expect(header.b!.data_offsets).toEqual([16, 19]);
    expect(file.byteLength).toBe(8 + n + 19);
  });

  it('round-trips bit-exactly, including NaN payloads, -0, infinities and subnormals', () => {
    const f32 = f32FromBits([
      0x7fc00001, 0xffa00123, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x3f800000,
    ]);
    const f64 = new Float64Array(new BigUint64Array([0x7ff8000000000abcn, 0x8000000000000000n, 1n]).buffer);
    const tensors: TensorMap = {
      f32: { dtype: 'F32', shape: [7], data: f32 },
      f64: { dtype: 'F64', shape: [3, 1], data: f64 },
      i64: { dtype: 'I64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) },
      i32: { dtype: 'I32', shape: [], data: new Int32Array([-123]) },
      bf16: { dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0xffc1]) },
      empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
      mask: { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
    };
    const back = decodeSafetensors(encodeSafetensors(tensors));
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const got = back.tensors[name]!;
      expect(got.dtype).toBe(t.dtype);
      expect(got.shape).toEqual(t.shape);
      expect(got.data.constructor).toBe(t.data.constructor);
      expect(Buffer.from(bytesOf(got)).equals(Buffer.from(bytesOf(t)))).toBe(true);
    }
  });

  const dtypeArb = fc.constantFrom<SafetensorsDtype>(
    'F64',
    'F32',
    'F16',
    'BF16',
    'I64',
    'I32',
    'I16',
    'I8',
    'U8',
  );
  const sizes: Record<string, number> = {
    F64: 8,
    I64: 8,
    F32: 4,
    I32: 4,
    F16: 2,
    BF16: 2,
    I16: 2,
    I8: 1,
    U8: 1,
  };
  const ctors = {
    F64: Float64Array,
    F32: Float32Array,
    F16: Uint16Array,
    BF16: Uint16Array,
    I64: BigInt64Array,
    I32: Int32Array,
    I16: Int16Array,
    I8: Int8Array,
    U8: Uint8Array,
  };
  const tensorArb = fc
    .tuple(dtypeArb, fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }))
    .chain(([dtype, shape]) => {
      const count = shape.reduce((a, b) => a * b, 1);
      return fc.uint8Array({ minLength: count * sizes[dtype]!, maxLength: count * sizes[dtype]! }).map(
        (raw): StoredTensor => ({
          dtype,
          shape,
          data: new ctors[dtype as keyof typeof ctors](raw.slice().buffer),
        }),
      );
    });

  it('keeps a tensor named "__proto__" (found by the property below: it used to be dropped from the header)', () => {
    const tensors: TensorMap = Object.fromEntries([
      ['__proto__', { dtype: 'F64', shape: [], data: Float64Array.from([0]) }],
    ]);
    const back = decodeSafetensors(encodeSafetensors(tensors));
    expect(Object.keys(back.tensors)).toEqual(['__proto__']);
    const own = Object.getOwnPropertyDescriptor(back.tensors, '__proto__')?.value as StoredTensor;
    expect(Array.from(own.data as Float64Array)).toEqual([0]);
  });

  test.prop([fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), tensorArb, { maxKeys: 6 })], {
    numRuns: 200,
  })('any tensor map round-trips bit-exactly', (dict) => {
    const tensors: TensorMap = Object.fromEntries(Object.entries(dict).filter(([k]) => k !== '__metadata__'));
    const back = decodeSafetensors(encodeSafetensors(tensors, { note: 'x' }));
    expect(back.metadata).toEqual({ note: 'x' });
    expect(Object.keys(back.tensors).length).toBe(Object.keys(tensors).length);
    for (const [name, t] of Object.entries(tensors)) {
      const got = back.tensors[name]!;
      expect([got.dtype, got.shape]).toEqual([t.dtype, t.shape]);
      expect(Buffer.from(bytesOf(got)).equals(Buffer.from(bytesOf(t)))).toBe(true);
    }
  });

  it('rejects data that does not fit the declared dtype or shape when writing', () => {
    expectError(
      () => encodeSafetensors({ w: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }),
      'tensor "w"',
      'needs 3 elements',
    );
    expectError(
      () => encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float64Array(2) } }),
      'tensor "w"',
      'Float32Array',
    );
  });
});

describe('safetensors validation', () => {
  const file = encodeSafetensors(sample());
  const expected = Object.fromEntries(
    Object.entries(sample()).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape }]),
  );

  it('accepts a file matching the expected spec', () => {
    const back = decodeSafetensors(file, { expected });
    expect(Array.from(back.tensors['model.norm.weight']!.data as Float32Array)).toEqual([0.5, -0.25, 8]);
  });

  it('rejects a truncated file and names the tensor that was cut', () => {
    const header = rawHeader(file);
    const parsed = JSON.parse(header.text) as Record<string, { data_offsets: [number, number] }>;
    const last = Object.entries(parsed).sort((a, b) => b[1].data_offsets[1] - a[1].data_offsets[1])[0]![0];
    const err = expectError(
      () => decodeSafetensors(file.subarray(0, file.byteLength - 4), { source: 'm.st' }),
      'truncated',
    );
    expect(err.details.tensor).toBe(last);
    expect(err.message).toContain(`tensor "${last}"`);
    expectError(() => decodeSafetensors(file.subarray(0, 5)), 'shorter than the 8-byte header length');
    expectError(() => decodeSafetensors(file.subarray(0, 40)), 'header length');
  });

  it('rejects a corrupted header', () => {
    const broken = file.slice();
    broken[8] = 0x5b; // '{' -> '['
    expectError(() => decodeSafetensors(broken), 'not valid UTF-8 JSON');
    const garbage = file.slice();
    garbage[20] = 0xff; // invalid UTF-8
    expectError(() => decodeSafetensors(garbage), 'not valid UTF-8 JSON');
    const huge = file.slice();
    Buffer.from(huge.buffer).writeBigUInt64LE(2n ** 40n, 0);
    expectError(() => decodeSafetensors(huge), 'header length');
  });

  it('rejects offsets that overlap, leave gaps or do not match the shape, naming the tensor', () => {
    const rewrite = (edit: (h: Record<string, { data_offsets: number[]; dtype: string }>) => void) => {
      const { n, text } = rawHeader(file);
      const h = JSON.parse(text);
      edit(h);
      const json = JSON.stringify(h).padEnd(n, ' ');
      expect(json.length).toBe(n);
      return Buffer.concat([file.subarray(0, 8), Buffer.from(json), file.subarray(8 + n)]);
    };
    const shifted = rewrite((h) => {
      h['model.norm.weight']!.data_offsets = [
        h['model.norm.weight']!.data_offsets[0]! + 4,
        h['model.norm.weight']!.data_offsets[1]! + 4,
      ];
    });
    expectError(() => decodeSafetensors(shifted), 'tensor "');
    const badSize = rewrite((h) => {
      h['model.norm.weight']!.data_offsets[1]! -= 4;
    });
    expectError(() => decodeSafetensors(badSize), 'tensor "model.norm.weight"', 'do not hold F32[3]');
    const badDtype = rewrite((h) => {
      h['lm_head.weight']!.dtype = 'F9';
    });
    expectError(() => decodeSafetensors(badDtype), 'tensor "lm_head.weight"', 'unknown dtype "F9"');
    const trailing = Buffer.concat([file, Buffer.alloc(4)]);
    expectError(() => decodeSafetensors(trailing), 'belong to none');
  });

  it('rejects a wrong dtype, a wrong shape, a missing and an unexpected tensor, naming it', () => {
    const wrongDtype = { ...expected, 'model.norm.weight': { dtype: 'F64' as const, shape: [3] } };
    expectError(
      () => decodeSafetensors(file, { expected: wrongDtype }),
      'tensor "model.norm.weight"',
      'dtype is F32, expected F64',
    );
    const wrongShape = { ...expected, 'lm_head.weight': { dtype: 'F32' as const, shape: [3, 2] } };
    expectError(
      () => decodeSafetensors(file, { expected: wrongShape }),
      'tensor "lm_head.weight"',
      'shape is [2, 3], expected [3, 2]',
    );
    const missing = {
      ...expected,
      'model.layers.0.mlp.up_proj.weight': { dtype: 'F32' as const, shape: [1] },
    };
    expectError(
      () => decodeSafetensors(file, { expected: missing }),
      'tensor "model.layers.0.mlp.up_proj.weight"',
      'missing',
    );
    const { 'lm_head.weight': _dropped, ...fewer } = expected;
    expectError(
      () => decodeSafetensors(file, { expected: fewer }),
      'tensor "lm_head.weight"',
      'not expected',
    );
    expect(Object.keys(decodeSafetensors(file, { expected: fewer, allowExtra: true }).tensors)).toHaveLength(
      3,
    );
  });
});

describe('toFloat32', () => {
  it('widens BF16 and F16 exactly', () => {
    const bf16 = toFloat32({ dtype: 'BF16', shape: [3], data: new Uint16Array([0x3f80, 0xc040, 0x0000]) });
    expect(Array.from(bf16)).toEqual([1, -3, 0]);
    const f16 = toFloat32({
      dtype: 'F16',
      shape: [5],
      data: new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00, 0x3555]),
    });
    expect(Array.from(f16)).toEqual([1, -2, 2 ** -24, Number.POSITIVE_INFINITY, Math.fround(0.333251953125)]);
    expect(Number.isNaN(toFloat32({ dtype: 'F16', shape: [1], data: new Uint16Array([0x7e00]) })[0])).toBe(
      true,
    );
  });
});
