/**
 * Worker-thread entry of the generation engine (engine.ts): owns the onnxruntime sessions, the
 * weights fed as graph inputs (sent once per `setWeights`, not per step), the KV cache and the
 * decode loop (decode-loop.ts), so a batch crosses threads once each way. Messages are handled one
 * at a time, in order. Loads the tokenizer only when a row has stop strings.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createOrtSession, SessionError } from '../../learner/session-core.js';
import { type BatchSpec, decodeBatch, type Join, type Stepper, type StopFinder } from './decode-loop.js';
import { HfLayoutCache } from './hf-cache.js';
import { InPlaceCache } from './kv-cache.js';
import { WeightedSession } from './ort-run.js';
import { PrefixStore } from './prefix-store.js';
import { emptyPhases } from './profile.js';
import type { FromWorker, JoiningRows, ToWorker, WorkerInit, WorkerProfile } from './protocol.js';
import { tailHasStop } from './stops.js';

const port = parentPort;
if (port === null)
  throw new Error('policy/onnx/worker.ts must run in a worker thread (use LmEngine.create).');

function post(message: FromWorker): void {
  port!.postMessage(message);
}

const init = workerData as WorkerInit;

let finder: StopFinder | null = null;
/** The tokenizer's stop check, loaded on first use (most batches have no stop strings). */
async function stopFinder(): Promise<StopFinder> {
  if (finder !== null) return finder;
  const { loadBuiltinTokenizer, loadTokenizerDir } = await import('../tokenizer.js');
  const src = init.tokenizer;
  const { tokenizer } = src.kind === 'builtin' ? loadBuiltinTokenizer() : await loadTokenizerDir(src.dir);
  finder = (tokens, stops, window) => tailHasStop(tokenizer, tokens, stops, window);
  return finder;
}

const emptyProfile = (): WorkerProfile => ({ ...emptyPhases(), workMs: 0 });

try {
  const created = await createOrtSession(init.model, init.settings);
  const { session, provider, warnings } = created;
  post({
    type: 'ready',
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
    provider,
    warnings,
    continuous: init.decodeModel !== undefined,
  });
  const prefill = new WeightedSession(session);
  const decode = init.decodeModel
    ? new WeightedSession((await createOrtSession(init.decodeModel, init.settings)).session)
    : null;
  // The batch's profile, reset per batch and shared with the cache (it adds its runs, feeds and fetches).
  const prof = emptyProfile();
  const { nLayers, kvHeads, headDim, prefixCacheBytes } = init.layout;
  const store =
    prefixCacheBytes > 0
      ? new PrefixStore(prefixCacheBytes, { tensors: 2 * nLayers, kvHeads, headDim })
      : null;
  const cache: Stepper = decode
    ? new InPlaceCache(prefill, decode, init.layout, prof)
    : new HfLayoutCache(prefill, init.layout, prof);
  const handle = async (m: ToWorker): Promise<void> => {
    if (m.type === 'dispose') {
      await prefill.release();
      await decode?.release();
      post({ type: 'disposed' });
      port.close();
      return;
    }
    try {
      if (m.type === 'weights') {
        prefill.setWeights(m.weights);
        decode?.setWeights(m.weights);
        store?.clear(); // stored keys/values came from the old weights
        post({ type: 'ok', id: m.id });
        return;
      }
      if (m.type === 'forget') {
        store?.clear();
        post({ type: 'ok', id: m.id });
        return;
      }
      if (m.type === 'join') return; // routed to its batch on arrival (a late one is dropped)
      const t0 = performance.now();
      Object.assign(prof, emptyProfile());
      const spec: BatchSpec = { ...m, vocabSize: init.layout.vocabSize };
      if (m.rows.some((r) => r.stop.length > 0)) await stopFinder();
      let seq = 0;
      const join: Join | null = m.continuous
        ? async (rows) => {
            const joining = await new Promise<JoiningRows>((resolve) => {
              joiners.set(seq, resolve);
              const workMs = performance.now() - t0 - prof.joinMs;
              post({ type: 'finished', id: m.id, seq: seq++, rows, profile: { ...prof, workMs } });
            });
            if (joining.rows.some((r) => r.stop.length > 0)) await stopFinder();
            return joining;
          }
        : null;
      batch = m.id;
      const rows = await decodeBatch(cache, spec, () => finder, prof, store, join).finally(() => {
        batch = null;
        joiners.clear();
      });
      prof.workMs = performance.now() - t0 - prof.joinMs;
      post({ type: 'generated', id: m.id, rows, profile: { ...prof } });
    } catch (error) {
      post({ type: 'error', id: m.id, message: error instanceof Error ? error.message : String(error) });
    }
  };
  let queue = Promise.resolve();
  // a continuous batch's joining rows go straight to it (the batch holds the queue while it runs)
  let batch: number | null = null;
  const joiners = new Map<number, (rows: JoiningRows) => void>();
  port.on('message', (m: ToWorker) => {
    if (m.type !== 'join') queue = queue.then(() => handle(m));
    else if (m.id === batch) {
      joiners.get(m.seq)?.(m);
      joiners.delete(m.seq);
    }
  });
} catch (error) {
  const kind = error instanceof SessionError ? error.kind : 'create';
  post({ type: 'init-error', message: error instanceof Error ? error.message : String(error), kind });
}
