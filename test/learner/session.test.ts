import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXECUTION_PROVIDERS,
  type InferenceRunner,
  OnnxSession,
  SessionError,
  type TensorValue,
  WorkerSession,
} from '../../src/learner/index.js';
import { EMBED, LINEAR_B, LINEAR_W, matmulChainModel, tinyModel } from './onnx-fixture.js';

const x = new Float32Array([1, 2, 3, -1, 0, 0.5]); // [2, 3]
const ids = new BigInt64Array([3n, 1n]);
const feeds = () => ({
  x: { type: 'float32', dims: [2, 3], data: x.slice() },
  ids: { type: 'int64', dims: [2], data: ids.slice() },
});

function expectedY(): number[] {
  const out: number[] = [];
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 2; c++) {
      let acc = 0;
      for (let k = 0; k < 3; k++) acc = Math.fround(acc + Math.fround(x[r * 3 + k]! * LINEAR_W[k * 2 + c]!));
      out.push(Math.fround(acc + LINEAR_B[c]!));
    }
  }
  return out;
}

describe('OnnxSession (in-thread)', () => {
  it('runs a tiny model on cpu', async () => {
    const warnings: string[] = [];
    const s = await OnnxSession.create(tinyModel(), {
      intraOpNumThreads: 1,
      logger: (m) => warnings.push(m),
    });
    expect(s.provider).toBe('cpu');
    expect(warnings).toEqual([]);
    expect([...s.inputNames].sort()).toEqual(['ids', 'x']);
    const out = await s.run(feeds());
    expect(out.y!.dims).toEqual([2, 2]);
    const y = Array.from(out.y!.data as Float32Array);
    for (const [i, v] of expectedY().entries()) expect(y[i]).toBeCloseTo(v, 5);
    expect(Array.from(out.e!.data as Float32Array)).toEqual([
      ...EMBED.subarray(6, 8),
      ...EMBED.subarray(2, 4),
    ]);
    expect(Object.keys(await s.run(feeds(), ['e']))).toEqual(['e']);
    await s.dispose();
    await expect(s.run(feeds())).rejects.toThrow(/after dispose/);
  });

  it('falls back from a missing cuda provider to cpu and says why and how to install it', async () => {
    const messages: string[] = [];
    const s = await OnnxSession.create(tinyModel(), { provider: 'cuda', logger: (m) => messages.push(m) });
    expect(s.provider).toBe('cpu');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(
      /execution provider "cuda" is not available .*falling back to "cpu".*ONNXRUNTIME_NODE_INSTALL=cuda12/,
    );
    expect(s.warnings).toEqual(messages);
    expect(Array.from((await s.run(feeds())).e!.data as Float32Array)).toEqual([30, 31, 10, 11]);
    await s.dispose();
  });

  it('throws a SessionError when fallback is off, or the settings or the model are bad', async () => {
    const noFallback = OnnxSession.create(tinyModel(), { provider: 'cuda', fallbackToCpu: false });
    await expect(noFallback).rejects.toThrow(/"cuda" is not available.*choose provider "cpu"/);
    await expect(noFallback).rejects.toMatchObject({ kind: 'provider' });
    await expect(OnnxSession.create(tinyModel(), { intraOpNumThreads: -1 })).rejects.toMatchObject({
      kind: 'config',
    });
    const badPattern = OnnxSession.create(tinyModel(), { memPattern: 'no' as unknown as boolean });
    await expect(badPattern).rejects.toThrow(/memPattern must be true or false, got no/);
    await expect(badPattern).rejects.toMatchObject({ kind: 'config' });
    await expect(OnnxSession.create(new Uint8Array([1, 2, 3]))).rejects.toBeInstanceOf(SessionError);
    expect(EXECUTION_PROVIDERS).toEqual(['cpu', 'cuda', 'webgpu']);
  });
});

describe('WorkerSession', () => {
  let worker: WorkerSession;
  let tinyWorker: WorkerSession;
  let inThread: OnnxSession;
  // Heavy enough that a run spans many 1 ms timer periods.
  const n = 512;
  const heavy = matmulChainModel(16);
  const a = Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 101) / 1000 - 0.05);
  const heavyFeeds = () => ({ a: { type: 'float32', dims: [n, n], data: a.slice() } });
  const bytesOf = (t: TensorValue) => Buffer.from((t.data as Float32Array).buffer);

  beforeAll(async () => {
    [worker, tinyWorker, inThread] = await Promise.all([
      WorkerSession.create(heavy, { intraOpNumThreads: 1 }),
      WorkerSession.create(tinyModel(), { intraOpNumThreads: 1 }),
      OnnxSession.create(heavy, { intraOpNumThreads: 1 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([worker?.dispose(), tinyWorker?.dispose(), inThread?.dispose()]);
  });

  it('returns the same outputs as the in-thread session, bit for bit', async () => {
    const local = await OnnxSession.create(tinyModel(), { intraOpNumThreads: 1 });
    const [w, l] = [await tinyWorker.run(feeds()), await local.run(feeds())];
    expect(w).toEqual(l);
    expect(bytesOf(w.y!).equals(bytesOf(l.y!))).toBe(true);
    const [hw, hl] = [await worker.run(heavyFeeds()), await inThread.run(heavyFeeds())];
    expect(bytesOf(hw.y!).equals(bytesOf(hl.y!))).toBe(true);
    await local.dispose();
  });

  it('keeps the event loop responsive during a run (timer ticks fire), unlike an in-thread run', async () => {
    const ticksDuring = async (session: InferenceRunner) => {
      let ticks = 0;
      const timer = setInterval(() => {
        ticks++;
      }, 1);
      await session.run(heavyFeeds());
      clearInterval(timer);
      return ticks;
    };
    const inThreadTicks = await ticksDuring(inThread);
    const workerTicks = await ticksDuring(worker);
    // In-thread: the run blocks the loop; at most one tick can slip in before the native call starts.
    expect(inThreadTicks).toBeLessThanOrEqual(1);
    expect(workerTicks).toBeGreaterThan(1);
  });

  it('reports run errors and keeps working; copies feeds by default', async () => {
    await expect(tinyWorker.run({ x: feeds().x })).rejects.toMatchObject({ kind: 'run' });
    const unclonable = { type: 'float32', dims: [1], data: (() => 0) as unknown as Float32Array };
    await expect(tinyWorker.run({ x: unclonable })).rejects.toThrow(/feeds cannot be sent to the worker/);
    const f = feeds();
    const out = await tinyWorker.run(f, ['e']);
    expect(Object.keys(out)).toEqual(['e']);
    expect(f.x.data.length).toBe(6); // still usable: it was copied
  });

  it('falls back to cpu in the worker, transfers feeds on request, and rejects clearly once the worker died', async () => {
    const messages: string[] = [];
    const s = await WorkerSession.create(tinyModel(), {
      provider: 'webgpu',
      transferFeeds: true,
      logger: (m) => messages.push(m),
    });
    expect(s.provider).toBe('cpu');
    expect(messages[0]).toMatch(/"webgpu" is not available.*falling back to "cpu"/);
    const g = feeds();
    expect(Array.from((await s.run(g)).e!.data as Float32Array)).toEqual([30, 31, 10, 11]);
    expect(g.x.data.length).toBe(0); // detached: the buffer moved to the worker
    // Simulate the thread dying (as after an uncaught error or an out-of-memory kill) with a run just sent.
    // (It must not die inside a native run: onnxruntime-node then aborts the whole process.)
    const dying = (Reflect.get(s, 'worker') as { terminate(): Promise<number> }).terminate();
    const inFlight = s.run(feeds());
    await dying;
    await expect(inFlight).rejects.toThrow(
      /worker thread \d+ exited unexpectedly.*1 run\(s\) in flight were lost.*create a new one/,
    );
    await expect(s.run(feeds())).rejects.toMatchObject({ kind: 'worker-died' });
    await s.dispose();
    await expect(s.run(feeds())).rejects.toMatchObject({ kind: 'worker-died' });
  });

  it('rejects runs after dispose', async () => {
    const s = await WorkerSession.create(tinyModel());
    await s.dispose();
    await expect(s.run(feeds())).rejects.toMatchObject({ kind: 'disposed' });
  });
});
