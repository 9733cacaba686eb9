/**
 * Worker-thread entry of WorkerSession: owns one onnxruntime session and runs it off the main
 * thread (onnxruntime's `run()` blocks the event loop of the thread that calls it).
 * Started by session.ts; imports only session-core.ts, so it loads from dist/ as plain JS.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  createOrtSession,
  type FromWorker,
  runOrt,
  SessionError,
  type ToWorker,
  transferable,
  type WorkerInit,
} from './session-core.js';

const port = parentPort;
if (port === null)
  throw new Error('session-worker.ts must run in a worker thread (use WorkerSession.create).');

function post(message: FromWorker, transferList: ArrayBuffer[] = []): void {
  try {
    port!.postMessage(message, transferList);
  } catch (error) {
    // Buffers owned by native code may refuse to transfer: fall back to a copy.
    if (!(error instanceof Error && error.name === 'DataCloneError') || transferList.length === 0)
      throw error;
    port!.postMessage(message);
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
  const handle = async (message: ToWorker): Promise<void> => {
    if (message.type === 'dispose') {
      await session.release();
      post({ type: 'disposed' });
      port.close();
      return;
    }
    try {
      const outputs = await runOrt(session, message.feeds, message.outputNames);
      const { tensors, transferList } = transferable(outputs, true);
      post({ type: 'result', id: message.id, outputs: tensors }, transferList);
    } catch (error) {
      post({
        type: 'run-error',
        id: message.id,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  };
  // One message at a time, in order: a dispose waits for the runs sent before it.
  let queue = Promise.resolve();
  port.on('message', (message: ToWorker) => {
    queue = queue.then(() => handle(message));
  });
} catch (error) {
  const kind = error instanceof SessionError ? error.kind : 'create';
  post({ type: 'init-error', message: error instanceof Error ? error.message : String(error), kind });
}
