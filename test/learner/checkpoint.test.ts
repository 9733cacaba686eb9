import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AtomicWriteIo,
  CHECKPOINT_FILES,
  type Checkpoint,
  CheckpointError,
  checkpointDirName,
  f32Arrays,
  f32Spec,
  f32Tensors,
  latestCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  loadLatestCheckpoint,
  readSafetensorsFile,
  saveCheckpoint,
  specOf,
  type TensorMap,
  writeFileAtomic,
  writeSafetensorsFile,
} from '../../src/learner/index.js';
import { Rng } from '../../src/util/rng.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'lamer-ckpt-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function randomParams(seed: number, hidden = 4): TensorMap {
  const rng = Rng.seeded(seed);
  const fill = (n: number) => Float32Array.from({ length: n }, () => rng.float() * 2 - 1);
  return {
    'model.embed_tokens.weight': { dtype: 'F32', shape: [5, hidden], data: fill(5 * hidden) },
    'model.layers.0.self_attn.q_proj.weight': {
      dtype: 'F32',
      shape: [hidden, hidden],
      data: fill(hidden * hidden),
    },
    'model.norm.weight': { dtype: 'F32', shape: [hidden], data: fill(hidden) },
    'lm_head.weight': { dtype: 'F32', shape: [5, hidden], data: fill(5 * hidden) },
  };
}

function checkpoint(step: number, seed = step): Checkpoint {
  const params = randomParams(seed);
  // NaN payloads and -0 must survive in the optimizer state too.
  const special = new Float32Array(new Uint32Array([0x7fc00abc, 0x80000000, 0xff800000, 0x00000003]).buffer);
  const m = randomParams(seed + 1000);
  (m['model.norm.weight']!.data as Float32Array).set(special);
  return {
    step,
    config: { hidden_size: 4, vocab_size: 5, num_hidden_layers: 1, tie_word_embeddings: false },
    params,
    optimizer: { step: step * 2, m, v: randomParams(seed + 2000) },
    trainerState: { step, rng: Rng.seeded(seed).state(), note: 'opaque' },
  };
}

const raw = (t: { data: ArrayBufferView }) =>
  Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

function expectSameTensors(a: TensorMap, b: TensorMap): void {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const name of Object.keys(a)) {
    expect([a[name]!.dtype, a[name]!.shape]).toEqual([b[name]!.dtype, b[name]!.shape]);
    expect(raw(a[name]!).equals(raw(b[name]!))).toBe(true);
  }
}

/** A write function that writes `budget` bytes in total, then fails like a full disk or a crash. */
function failingAfter(budget: number): Partial<AtomicWriteIo> {
  let left = budget;
  return {
    async write(handle, chunk) {
      const n = Math.min(left, chunk.byteLength);
      if (n > 0) await handle.write(chunk, 0, n);
      left -= n;
      if (n < chunk.byteLength) throw new Error('simulated crash mid-write');
    },
  };
}

describe('checkpoint folders', () => {
  it('round-trips bit-exactly with the documented layout', async () => {
    const ckpt = checkpoint(123);
    const dir = await saveCheckpoint(root, ckpt);
    expect(dir).toBe(join(root, 'step-000123'));
    expect(readdirSync(dir).sort()).toEqual(Object.values(CHECKPOINT_FILES).sort());
    const back = await loadCheckpoint(dir, { expected: specOf(ckpt.params) });
    expect(back.step).toBe(123);
    expect(back.config).toEqual(ckpt.config);
    expect(back.trainerState).toEqual(ckpt.trainerState);
    expectSameTensors(back.params, ckpt.params);
    expect(back.optimizer!.step).toBe(246);
    expectSameTensors(back.optimizer!.m, ckpt.optimizer!.m);
    expectSameTensors(back.optimizer!.v, ckpt.optimizer!.v);
    const model = await readSafetensorsFile(join(dir, CHECKPOINT_FILES.model));
    expect(model.metadata.format).toBe('pt');
  });

  it('converts plain Float32Array state (params, m, v) to tensors and back', async () => {
    const shapes = { 'model.norm.weight': [2], 'lm_head.weight': [3, 2] };
    const arrays = {
      'model.norm.weight': Float32Array.of(1, -0),
      'lm_head.weight': new Float32Array(6).fill(0.5),
    };
    const dir = await saveCheckpoint(root, { step: 9, config: {}, params: f32Tensors(arrays, shapes) });
    const back = await loadCheckpoint(dir, { expected: f32Spec(shapes) });
    expect(f32Arrays(back.params)).toEqual(arrays);
    expect(Object.is(f32Arrays(back.params)['model.norm.weight']![1], -0)).toBe(true);
    expect(() => f32Tensors({ ...arrays, extra: new Float32Array(1) }, shapes)).toThrow(
      /tensor "extra": no shape/,
    );
    expect(() => f32Arrays({ i: { dtype: 'I32', shape: [1], data: new Int32Array(1) } })).toThrow(
      /tensor "i".*F32/,
    );
  });

  it('rejects a checkpoint that does not match the model, naming the tensor', async () => {
    const dir = await saveCheckpoint(root, checkpoint(1));
    const bigger = specOf(randomParams(1, 8));
    const err = await loadCheckpoint(dir, { expected: bigger }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(/tensor "[^"]+": shape is \[.*\], expected \[.*\]/);
  });

  it('detects a flipped data byte through the manifest hash', async () => {
    const dir = await saveCheckpoint(root, checkpoint(2));
    const path = join(dir, CHECKPOINT_FILES.optimizer);
    const bytes = readFileSync(path);
    bytes[bytes.length - 1]! ^= 1;
    writeFileSync(path, bytes);
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      /optimizer\.safetensors: contents differ from the manifest/,
    );
    const noHash = await loadCheckpoint(dir, { verifyHashes: false });
    expect(noHash.step).toBe(2);
  });

  it('rejects a truncated model file with an error naming the tensor', async () => {
    const dir = await saveCheckpoint(root, checkpoint(3));
    const path = join(dir, CHECKPOINT_FILES.model);
    writeFileSync(path, readFileSync(path).subarray(0, -3));
    await expect(loadCheckpoint(dir, { verifyHashes: false })).rejects.toThrow(
      /tensor "[^"]+": needs data bytes .* truncated/,
    );
  });

  it('a crash mid-save leaves the previous checkpoint usable and is never picked for resume', async () => {
    await saveCheckpoint(root, checkpoint(10));
    const failed = saveCheckpoint(root, checkpoint(20), { io: failingAfter(700) });
    await expect(failed).rejects.toThrow('simulated crash mid-write');
    expect(await latestCheckpoint(root)).toEqual({ step: 10, dir: join(root, 'step-000010') });
    expect((await listCheckpoints(root)).map((c) => [c.step, c.complete])).toEqual([
      [10, true],
      [20, false],
    ]);
    expectSameTensors((await loadCheckpoint(join(root, 'step-000010'))).params, checkpoint(10).params);
    await expect(loadCheckpoint(join(root, 'step-000020'))).rejects.toBeInstanceOf(CheckpointError);
    expect(readdirSync(join(root, 'step-000020')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // Saving again completes it.
    await saveCheckpoint(root, checkpoint(20));
    expect((await latestCheckpoint(root))?.step).toBe(20);
  });

  it('survives a real hard crash (SIGKILL) in the middle of writing a checkpoint', async () => {
    await saveCheckpoint(root, checkpoint(1));
    const src = resolve(import.meta.dirname, '../../src/learner/index.ts');
    // The child writes 200 bytes of step 2's model file, then kills itself: no cleanup code can run.
    const child = `
      import { saveCheckpoint } from ${JSON.stringify(pathToFileURL(src).href)};
      const params = { w: { dtype: 'F32', shape: [1000], data: new Float32Array(1000).fill(2) } };
      await saveCheckpoint(${JSON.stringify(root)}, { step: 2, config: {}, params }, { io: { async write(handle, chunk) {
        await handle.write(chunk, 0, Math.min(200, chunk.byteLength));
        await handle.sync();
        process.kill(process.pid, 'SIGKILL');
      } } });`;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], {
      encoding: 'utf8',
    });
    expect(result.signal).toBe('SIGKILL');
    const leftovers = readdirSync(join(root, 'step-000002'));
    expect(leftovers).toHaveLength(1);
    expect(leftovers[0]).toMatch(/^\.model\.safetensors\..*\.tmp$/);
    expect(await latestCheckpoint(root)).toEqual({ step: 1, dir: join(root, 'step-000001') });
    expectSameTensors((await loadLatestCheckpoint(root))!.checkpoint.params, checkpoint(1).params);
    await saveCheckpoint(root, checkpoint(2)); // saving that step again clears the debris
    expect(readdirSync(join(root, 'step-000002')).sort()).toEqual(Object.values(CHECKPOINT_FILES).sort());
  });

  it('resumes from the newest checkpoint that loads, skipping a damaged one with a message', async () => {
    expect(await loadLatestCheckpoint(root)).toBeNull();
    await saveCheckpoint(root, checkpoint(1));
    const newest = await saveCheckpoint(root, checkpoint(2));
    writeFileSync(join(newest, CHECKPOINT_FILES.config), '{"hidden_size": 5}\n');
    const messages: string[] = [];
    const resumed = await loadLatestCheckpoint(root, { logger: (m) => messages.push(m) });
    expect(resumed?.checkpoint.step).toBe(1);
    expectSameTensors(resumed!.checkpoint.params, checkpoint(1).params);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/skipping damaged checkpoint .*step-000002: .*config\.json: contents differ/);
  });

  it('keeps the last K checkpoints and removes crash debris older than the newest', async () => {
    await saveCheckpoint(root, checkpoint(1));
    await saveCheckpoint(root, checkpoint(2)).then(() =>
      rmSync(join(root, 'step-000002', CHECKPOINT_FILES.manifest)),
    );
    for (const step of [3, 4]) await saveCheckpoint(root, checkpoint(step));
    await saveCheckpoint(root, checkpoint(5), { keepLast: 2 });
    expect(readdirSync(root).sort()).toEqual(['step-000004', 'step-000005']);
    expect(await latestCheckpoint(join(root, 'nowhere'))).toBeNull();
    expect(checkpointDirName(1234567)).toBe('step-1234567');
  });
});

describe('writeFileAtomic', () => {
  it('never leaves a partial file at the final path', async () => {
    const path = join(root, 'model.safetensors');
    const tensors = randomParams(7);
    await writeSafetensorsFile(path, tensors);
    const before = readFileSync(path);
    const next = randomParams(8);
    await expect(writeSafetensorsFile(path, next, {}, { io: failingAfter(100) })).rejects.toThrow(
      'simulated crash',
    );
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(root)).toEqual(['model.safetensors']);
    expectSameTensors((await readSafetensorsFile(path)).tensors, tensors);
    await writeFileAtomic(path, [Buffer.from('ab'), Buffer.from('cd')]);
    expect(readFileSync(path, 'utf8')).toBe('abcd');
  });
});

function findPython(modules: string): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', `import ${modules}`], { stdio: 'ignore' });
    if (probe.status === 0) return python;
  }
  return null;
}

const torchPython = findPython('torch, safetensors.torch');
const numpyPython = findPython('numpy');
if (!torchPython)
  console.info('[checkpoint.test] skipping the PyTorch test: no python3 with torch and safetensors.');
if (!numpyPython) console.info('[checkpoint.test] skipping the numpy reader test: no python3 with numpy.');

/** Run a Python script that prints {name: [dtype, shape, hex of the raw little-endian data]} as JSON. */
function readWithPython(
  python: string,
  script: string,
  file: string,
): Record<string, [string, number[], string]> {
  return JSON.parse(execFileSync(python, ['-c', script, file], { encoding: 'utf8' }));
}

describe('interop with Python', () => {
  it.skipIf(!torchPython)('PyTorch (safetensors.torch) reads our model file bit-exactly', async () => {
    const ckpt = checkpoint(5);
    const dir = await saveCheckpoint(root, ckpt);
    const script = [
      'import sys, json',
      'from safetensors.torch import load_file',
      't = load_file(sys.argv[1])',
      'print(json.dumps({k: [str(v.dtype), list(v.shape), v.contiguous().view(-1).numpy().tobytes().hex()] for k, v in t.items()}))',
    ].join('\n');
    const out = readWithPython(torchPython!, script, join(dir, CHECKPOINT_FILES.model));
    for (const [name, t] of Object.entries(ckpt.params)) {
      expect(out[name]).toEqual(['torch.float32', t.shape, raw(t).toString('hex')]);
    }
  });

  it.skipIf(!numpyPython)(
    'an independent Python reader of the published format (json + numpy) reads it',
    async () => {
      const ckpt = checkpoint(6);
      const dir = await saveCheckpoint(root, ckpt);
      const script = [
        'import sys, json, struct, numpy as np',
        'b = open(sys.argv[1], "rb").read()',
        'n = struct.unpack("<Q", b[:8])[0]',
        'assert n % 8 == 0',
        'h = json.loads(b[8:8 + n])',
        'meta = h.pop("__metadata__", {})',
        'assert meta == {"format": "pt"}, meta',
        'data = b[8 + n:]',
        'out = {}',
        'for k, v in h.items():',
        '    s, e = v["data_offsets"]',
        '    a = np.frombuffer(data[s:e], dtype="<f4").reshape(v["shape"])',
        '    out[k] = ["float32", list(a.shape), a.tobytes().hex()]',
        'print(json.dumps(out))',
      ].join('\n');
      const out = readWithPython(numpyPython!, script, join(dir, CHECKPOINT_FILES.model));
      for (const [name, t] of Object.entries(ckpt.params)) {
        expect(out[name]).toEqual(['float32', t.shape, raw(t).toString('hex')]);
      }
    },
  );
});
