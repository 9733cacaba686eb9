/**
 * The request preparer: a worker thread (prepare-worker.ts) that parses,
 * validates and tokenizes request bodies (parse.ts), so a big or slow body
 * costs that thread and never stalls the server's event loop (`GET
 * /v1/models`, replies of finished generations, other uploads). One worker:
 * bodies are prepared in arrival order. If it dies, the requests it held fail
 * and the next request starts a fresh one.
 */
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../learner/spawn-worker.js';
import { LamerError } from '../util/errors.js';
import type { ParseResult } from './parse.js';
import type { FromPrepareWorker, PrepareInit, ToPrepareWorker } from './prepare-protocol.js';

/** The prepare worker could not load the served model's tokenizer, or died. */
export class PrepareError extends LamerError {}

interface Pending {
  resolve(result: ParseResult): void;
  reject(error: Error): void;
}

export class Preparer {
  private readonly pending = new Map<number, Pending>();
  private worker: Worker | null = null;
  private nextId = 0;
  private closed = false;

  private constructor(private readonly init: PrepareInit) {}

  /** Start the worker and wait until it has loaded the tokenizer (a bad tokenizer fails here, not per request). */
  static async start(init: PrepareInit): Promise<Preparer> {
    const preparer = new Preparer(init);
    const worker = preparer.spawn();
    worker.ref(); // held while it loads: nothing else may keep the process alive yet
    let onMessage = (_m: FromPrepareWorker) => {};
    let onExit = (_code: number) => {};
    try {
      await new Promise<void>((resolve, reject) => {
        onMessage = (m) => {
          if (m.type === 'ready') resolve();
          else if (m.type === 'init-error')
            reject(new PrepareError(`lamer serve could not load the prompt tokenizer: ${m.message}`));
        };
        onExit = (code) =>
          reject(new PrepareError(`the request preparer thread exited with code ${code} while starting`));
        worker.on('message', onMessage).on('exit', onExit);
      });
    } catch (error) {
      await preparer.close();
      throw error;
    } finally {
      worker.off('message', onMessage).off('exit', onExit);
    }
    worker.unref();
    return preparer;
  }

  private spawn(): Worker {
    const worker = spawnWorker(import.meta.url, 'prepare-worker', this.init);
    worker.unref();
    worker.on('message', (m: FromPrepareWorker) => {
      if (m.type !== 'parsed' && m.type !== 'failed') return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.type === 'parsed') p?.resolve(m.result);
      else p?.reject(new PrepareError(`preparing the request failed: ${m.message}`));
    });
    const died = (reason: string) => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(
          new PrepareError(`the request preparer thread ${reason}; the next request starts a new one`),
        );
      }
    };
    worker.on('error', (e) => died(`threw (${e.message})`));
    worker.on('exit', (code) => died(`exited with code ${code}`));
    this.worker = worker;
    return worker;
  }

  /** Parse, validate and tokenize one request body (copied to the worker). */
  prepare(body: Uint8Array): Promise<ParseResult> {
    if (this.closed) return Promise.reject(new PrepareError('the server is closing'));
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise<ParseResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, body } satisfies ToPrepareWorker);
    });
  }

  /** Stop the worker; requests it still held fail. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new PrepareError('the server is closing'));
    }
    await worker?.terminate();
  }
}
