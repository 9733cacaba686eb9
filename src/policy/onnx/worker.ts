/**
 * Worker-thread entry of the generation engine (engine.ts): owns one
 * onnxruntime session, the weights fed as graph inputs (sent once per
 * `setWeights`, not per step) and the KV cache of the generation in progress.
 * Messages are handled one at a time, in order. Imports only session-core.ts,
 * prefill-groups.ts and the message types, so it loads from dist/ as plain JS.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';
import { createOrtSession, type Feeds, runOrt, SessionError } from '../../learner/session-core.js';
import { prefillGroups } from './prefill-groups.js';
import type { FromWorker, KvLayout, ToWorker, WeightTensor, WorkerInit, WorkerTiming } from './protocol.js';

const port = parentPort;
if (port === null)
  throw new Error('policy/onnx/worker.ts must run in a worker thread (use LmEngine.create).');

interface Kv {
  dims: number[];
  data: Float32Array;
}

function post(message: FromWorker, transferList: ArrayBuffer[] = []): void {
  port!.postMessage(message, transferList);
}

const pastName = (i: number, kind: 'key' | 'value') => `past_key_values.${i}.${kind}`;
const presentName = (i: number, kind: 'key' | 'value') => `present.${i}.${kind}`;

/** Rows `keep` of a [batch, ...] tensor. */
function selectRows(t: Kv, keep: readonly number[]): Kv {
  const rowSize = t.data.length / t.dims[0]!;
  const out = new Float32Array(keep.length * rowSize);
  keep.forEach((r, i) => {
    out.set(t.data.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
  });
  return { dims: [keep.length, ...t.dims.slice(1)], data: out };
}

/** Slots added to a fixed-capacity cache when it is full. */
const GROW = 64;

/** [B, H, from, hd] → [B, H, to, hd] (to ≥ from), the extra slots zero. */
function widen(t: Kv, to: number): Kv {
  const [b, h, from, hd] = t.dims as [number, number, number, number];
  const out = new Float32Array(b * h * to * hd);
  for (let r = 0; r < b * h; r++) out.set(t.data.subarray(r * from * hd, (r + 1) * from * hd), r * to * hd);
  return { dims: [b, h, to, hd], data: out };
}

class Generator {
  private weights: Record<string, WeightTensor> = {};
  private cache: Kv[] | null = null;
  /** Filled slots of a fixed-capacity cache (decode graph only). */
  private filled = 0;
  /** The current call's time by phase (reset per message). */
  timing: WorkerTiming = { feedMs: 0, runMs: 0, fetchMs: 0, workMs: 0 };

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly layout: KvLayout,
    private readonly decode: ort.InferenceSession | null,
  ) {}

  private weightFeeds(session: ort.InferenceSession, feeds: Feeds): void {
    for (const name of session.inputNames) {
      const w = this.weights[name];
      if (w !== undefined) feeds[name] = { type: 'float32', dims: w.dims, data: w.data };
    }
  }

  setWeights(weights: Record<string, WeightTensor>): void {
    this.weights = weights;
  }

  private async run(
    ids: BigInt64Array,
    mask: BigInt64Array,
    positions: BigInt64Array,
    rows: number,
    seq: number,
    past: Kv[],
  ): Promise<{ logits: Float32Array; present: Kv[] }> {
    const L = this.layout;
    const feeds: Feeds = {
      input_ids: { type: 'int64', dims: [rows, seq], data: ids },
      attention_mask: { type: 'int64', dims: [rows, mask.length / rows], data: mask },
    };
    if (L.positionIds) feeds.position_ids = { type: 'int64', dims: [rows, seq], data: positions };
    for (let i = 0; i < L.nLayers; i++) {
      for (const [j, kind] of (['key', 'value'] as const).entries()) {
        const t = past[2 * i + j]!;
        feeds[pastName(i, kind)] = { type: 'float32', dims: t.dims, data: t.data };
      }
    }
    this.weightFeeds(this.session, feeds);
    const t0 = performance.now();
    const out = await runOrt(this.session, feeds);
    const t1 = performance.now();
    this.timing.runMs += t1 - t0;
    const logits = out.logits!;
    const [b, t, v] = logits.dims as [number, number, number];
    const data = logits.data as Float32Array;
    const last = new Float32Array(b * v);
    for (let r = 0; r < b; r++) last.set(data.subarray((r * t + t - 1) * v, (r * t + t) * v), r * v);
    const present: Kv[] = [];
    for (let i = 0; i < L.nLayers; i++) {
      for (const kind of ['key', 'value'] as const) {
        const p = out[presentName(i, kind)]!;
        present.push({ dims: [...p.dims], data: p.data as Float32Array });
      }
    }
    this.timing.fetchMs += performance.now() - t1;
    return { logits: last, present };
  }

  private emptyPast(rows: number): Kv[] {
    const L = this.layout;
    return Array.from({ length: 2 * L.nLayers }, () => ({
      dims: [rows, L.kvHeads, 0, L.headDim],
      data: new Float32Array(0),
    }));
  }

  /**
   * Prefill in groups of rows of similar prompt length (`prefillGroups`; exact because position ids
   * are explicit: OnnxPolicy refuses exports without them), each on its own last columns and small
   * enough for the memory budget; the cache is [batch, heads, seq (+ room to grow for the decode
   * graph), head_dim] in the batch's row order, zero where a group did not run (padding, masked).
   */
  async prefill(m: Extract<ToWorker, { type: 'prefill' }>): Promise<Float32Array> {
    const L = this.layout;
    const { batch, seq } = m;
    // Per row: logits of every position (the HF layout's; the built-in graph returns the last only) and attention scores.
    const maxRows = (width: number) =>
      Math.floor(L.prefillBudgetBytes / Math.max(1, 4 * width * (L.vocabSize + 3 * L.heads * width)));
    const lengths = Array.from({ length: batch }, (_, r) => {
      let n = 0;
      for (let t = 0; t < seq; t++) n += Number(m.attentionMask[r * seq + t]);
      return n;
    });
    const groups = prefillGroups(lengths, maxRows, L.prefillGroupRows);
    const cap = this.decode !== null ? seq + GROW : seq;
    const cache: Kv[] = Array.from({ length: 2 * L.nLayers }, () => ({
      dims: [batch, L.kvHeads, cap, L.headDim],
      data: new Float32Array(batch * L.kvHeads * cap * L.headDim),
    }));
    const logits = new Float32Array(batch * L.vocabSize);
    for (const { rows, width } of groups) {
      const cols = (a: BigInt64Array) => {
        const out = new BigInt64Array(rows.length * width);
        rows.forEach((r, i) => {
          out.set(a.subarray(r * seq + seq - width, (r + 1) * seq), i * width);
        });
        return out;
      };
      const g = rows.length;
      const out = await this.run(
        cols(m.inputIds),
        cols(m.attentionMask),
        cols(m.positionIds),
        g,
        width,
        this.emptyPast(g),
      );
      const hd = L.headDim;
      rows.forEach((r, i) => {
        logits.set(out.logits.subarray(i * L.vocabSize, (i + 1) * L.vocabSize), r * L.vocabSize);
        out.present.forEach((p, k) => {
          for (let h = 0; h < L.kvHeads; h++) {
            const from = (i * L.kvHeads + h) * width * hd;
            cache[k]!.data.set(
              p.data.subarray(from, from + width * hd),
              ((r * L.kvHeads + h) * cap + seq - width) * hd,
            );
          }
        });
      });
    }
    this.cache = cache;
    if (this.decode !== null) this.filled = seq;
    return logits;
  }

  /** A decode step on the fixed-capacity cache: the graph returns the new keys/values; they are written in place. */
  private async stepInPlace(m: Extract<ToWorker, { type: 'step' }>, past: Kv[]): Promise<Float32Array> {
    const L = this.layout;
    const t0 = performance.now();
    const rows = m.keep.length;
    let cap = past[0]!.dims[2]!;
    if (this.filled === cap) {
      cap += GROW;
      past = past.map((t) => widen(t, cap));
    }
    const total = m.attentionMask.length / rows; // filled + 1
    const pastMask = new BigInt64Array(rows * cap);
    for (let r = 0; r < rows; r++)
      pastMask.set(m.attentionMask.subarray(r * total, r * total + this.filled), r * cap);
    const feeds: Feeds = {
      input_ids: { type: 'int64', dims: [rows, 1], data: m.tokens },
      position_ids: { type: 'int64', dims: [rows, 1], data: m.positionIds },
      past_mask: { type: 'int64', dims: [rows, cap], data: pastMask },
    };
    past.forEach((t, j) => {
      feeds[pastName(j >> 1, j % 2 === 0 ? 'key' : 'value')] = {
        type: 'float32',
        dims: t.dims,
        data: t.data,
      };
    });
    this.weightFeeds(this.decode!, feeds);
    const t1 = performance.now();
    const out = await runOrt(this.decode!, feeds);
    const t2 = performance.now();
    this.timing.feedMs += t1 - t0;
    this.timing.runMs += t2 - t1;
    const hd = L.headDim;
    past.forEach((t, j) => {
      const fresh = out[`new.${j >> 1}.${j % 2 === 0 ? 'key' : 'value'}`]!.data as Float32Array;
      for (let r = 0; r < rows * L.kvHeads; r++)
        t.data.set(fresh.subarray(r * hd, (r + 1) * hd), (r * cap + this.filled) * hd);
    });
    this.filled++;
    this.cache = past;
    this.timing.fetchMs += performance.now() - t2;
    return out.logits!.data as Float32Array;
  }

  async step(m: Extract<ToWorker, { type: 'step' }>): Promise<Float32Array> {
    if (this.cache === null) throw new Error('step without a prefill: the KV cache is empty');
    const rows = m.keep.length;
    const before = this.cache[0]!.dims[0]!;
    const unchanged = rows === before && m.keep.every((r, i) => r === i);
    const t0 = performance.now();
    const past = unchanged ? this.cache : this.cache.map((t) => selectRows(t, m.keep));
    this.timing.feedMs += performance.now() - t0;
    if (this.decode !== null) return this.stepInPlace(m, past);
    const r = await this.run(m.tokens, m.attentionMask, m.positionIds, rows, 1, past);
    this.cache = r.present;
    return r.logits;
  }

  release(): void {
    this.cache = null;
  }
}

const init = workerData as WorkerInit;
try {
  const { session, provider, warnings } = await createOrtSession(init.model, init.settings);
  post({
    type: 'ready',
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
    provider,
    warnings,
  });
  const decode = init.decodeModel ? (await createOrtSession(init.decodeModel, init.settings)).session : null;
  const gen = new Generator(session, init.layout, decode);
  const handle = async (m: ToWorker): Promise<void> => {
    if (m.type === 'dispose') {
      await session.release();
      await decode?.release();
      post({ type: 'disposed' });
      port.close();
      return;
    }
    try {
      if (m.type === 'weights') {
        gen.setWeights(m.weights);
        post({ type: 'ok', id: m.id });
      } else if (m.type === 'release') {
        gen.release();
        post({ type: 'ok', id: m.id });
      } else {
        const t0 = performance.now();
        gen.timing = { feedMs: 0, runMs: 0, fetchMs: 0, workMs: 0 };
        const logits = m.type === 'prefill' ? await gen.prefill(m) : await gen.step(m);
        const timing = { ...gen.timing, workMs: performance.now() - t0 };
        post({ type: 'logits', id: m.id, rows: logits.length / init.layout.vocabSize, logits, timing }, [
          logits.buffer as ArrayBuffer,
        ]);
      }
    } catch (error) {
      post({ type: 'error', id: m.id, message: error instanceof Error ? error.message : String(error) });
    }
  };
  let queue = Promise.resolve();
  port.on('message', (m: ToWorker) => {
    queue = queue.then(() => handle(m));
  });
} catch (error) {
  const kind = error instanceof SessionError ? error.kind : 'create';
  post({ type: 'init-error', message: error instanceof Error ? error.message : String(error), kind });
}
