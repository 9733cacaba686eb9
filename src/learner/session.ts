/**
 * onnxruntime sessions for the learner and the local policy.
 *
 * - `OnnxSession`: runs in the calling thread. onnxruntime's `run()` blocks this thread's event
 *   loop for the whole inference (timers, actors and streams stall meanwhile).
 * - `WorkerSession`: the same `run(feeds) → outputs` API, with the session living in a
 *   `worker_threads` Worker; the main thread stays responsive. Outputs come back as transferred
 *   buffers (zero-copy); feeds are copied unless `transferFeeds` is set (then the caller's arrays
 *   are detached).
 * Both try the chosen execution provider and fall back to CPU with a warning when it is missing.
 */
import type { Worker } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';
import {
  createOrtSession,
  type ExecutionProvider,
  type Feeds,
  type FromWorker,
  type Outputs,
  type ReadyMessage,
  runOrt,
  SessionError,
  type SessionSettings,
  type ToWorker,
  transferable,
  type WorkerInit,
} from './session-core.js';
import { spawnWorker } from './spawn-worker.js';

export interface SessionOptions extends SessionSettings {
  /** Receives warnings such as the fallback to CPU (default: console.warn). */
  logger?: (message: string) => void;
}

/** What both session kinds offer. */
export interface InferenceRunner {
  readonly provider: ExecutionProvider;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly warnings: readonly string[];
  /** Run the model; `outputNames` limits which outputs are computed (default: all). */
  run(feeds: Feeds, outputNames?: readonly string[]): Promise<Outputs>;
  /** Releases the session (and its worker); `run` afterwards throws {@link SessionError}. Idempotent. */
  dispose(): Promise<void>;
}

function report(warnings: readonly string[], logger: SessionOptions['logger']): void {
  for (const w of warnings) (logger ?? console.warn)(w);
}

function settingsOf(options: SessionOptions): SessionSettings {
  const { logger: _logger, ...settings } = options;
  return settings;
}

/** A session that runs in the calling thread (blocks its event loop during `run`). */
export class OnnxSession implements InferenceRunner {
  private disposed = false;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly provider: ExecutionProvider,
    readonly warnings: readonly string[],
  ) {}

  /** Load a model (ONNX bytes or a file path). */
  static async create(model: Uint8Array | string, options: SessionOptions = {}): Promise<OnnxSession> {
    const created = await createOrtSession(model, settingsOf(options));
    report(created.warnings, options.logger);
    return new OnnxSession(created.session, created.provider, created.warnings);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: Feeds, outputNames?: readonly string[]): Promise<Outputs> {
    if (this.disposed) throw new SessionError('run() after dispose(): create a new session.', 'disposed');
    try {
      return await runOrt(this.session, feeds, outputNames);
    } catch (cause) {
      throw new SessionError(`onnxruntime run failed: ${(cause as Error).message}`, 'run', { cause });
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.session.release();
  }
}

const spawnSessionWorker = (init: WorkerInit): Worker => spawnWorker(import.meta.url, 'session-worker', init);

interface Pending {
  resolve(outputs: Outputs): void;
  reject(error: Error): void;
}

export interface WorkerSessionOptions extends SessionOptions {
  /** Transfer feed buffers to the worker instead of copying them (the caller's arrays become unusable). */
  transferFeeds?: boolean;
}

/** A session that runs in a worker thread; `run` keeps the calling thread's event loop free. */
export class WorkerSession implements InferenceRunner {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private dead: SessionError | null = null;
  private disposing: Promise<void> | null = null;

  private readonly workerThreadId: number;

  private constructor(
    private readonly worker: Worker,
    private readonly ready: ReadyMessage,
    private readonly transferFeeds: boolean,
  ) {
    this.workerThreadId = worker.threadId;
    worker.on('message', (message: FromWorker) => this.onMessage(message));
    worker.on('error', (error) => this.fail(`threw an uncaught error (${error.message})`, error));
    worker.on('exit', (code) => {
      if (this.disposing === null || this.pending.size > 0)
        this.fail(`exited unexpectedly with code ${code}`);
    });
    worker.unref();
  }

  /** Load a model (ONNX bytes or a file path) in a new worker thread. */
  static async create(
    model: Uint8Array | string,
    options: WorkerSessionOptions = {},
  ): Promise<WorkerSession> {
    const { transferFeeds, ...rest } = options;
    const worker = spawnSessionWorker({ model, settings: settingsOf(rest) });
    let onMessage: (m: FromWorker) => void = () => {};
    let onError: (error: Error) => void = () => {};
    let onExit: (code: number) => void = () => {};
    let ready: ReadyMessage;
    try {
      ready = await new Promise<ReadyMessage>((resolve, reject) => {
        onMessage = (m) => {
          if (m.type === 'ready') resolve(m);
          else if (m.type === 'init-error') reject(new SessionError(m.message, m.kind));
          else reject(new SessionError(`session worker sent "${m.type}" before "ready"`, 'worker-died'));
        };
        onError = (error) =>
          reject(
            new SessionError(`session worker thread failed to start: ${error.message}`, 'worker-died', {
              cause: error,
            }),
          );
        onExit = (code) =>
          reject(
            new SessionError(
              `session worker thread exited with code ${code} before the model loaded`,
              'worker-died',
            ),
          );
        worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      });
    } catch (error) {
      await worker.terminate();
      throw error;
    } finally {
      // Remove only our listeners: removeAllListeners() would also drop the Worker's internal port hooks.
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    }
    report(ready.warnings, options.logger);
    return new WorkerSession(worker, ready, transferFeeds ?? false);
  }

  get provider(): ExecutionProvider {
    return this.ready.provider;
  }
  get inputNames(): readonly string[] {
    return this.ready.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.ready.outputNames;
  }
  get warnings(): readonly string[] {
    return this.ready.warnings;
  }
  /** The worker's thread id (for logs). */
  get threadId(): number {
    return this.workerThreadId;
  }

  run(feeds: Feeds, outputNames?: readonly string[]): Promise<Outputs> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.disposing)
      return Promise.reject(new SessionError('run() after dispose(): create a new session.', 'disposed'));
    const id = this.nextId++;
    const { tensors, transferList } = transferable(feeds, this.transferFeeds);
    const message: ToWorker = {
      type: 'run',
      id,
      feeds: tensors,
      outputNames: outputNames && [...outputNames],
    };
    return new Promise<Outputs>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref(); // keep the process alive while runs are in flight
      try {
        this.worker.postMessage(message, transferList);
      } catch (cause) {
        this.settle(id);
        reject(
          new SessionError(`feeds cannot be sent to the worker: ${(cause as Error).message}`, 'run', {
            cause,
          }),
        );
      }
    });
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
    return p;
  }

  private onMessage(message: FromWorker): void {
    if (message.type === 'result') this.settle(message.id)?.resolve(message.outputs);
    else if (message.type === 'run-error') {
      this.settle(message.id)?.reject(new SessionError(`onnxruntime run failed: ${message.message}`, 'run'));
    }
  }

  private fail(reason: string, cause?: unknown): void {
    if (this.dead) return;
    const lost = this.pending.size > 0 ? `; ${this.pending.size} run(s) in flight were lost` : '';
    this.dead = new SessionError(
      `onnxruntime worker thread ${this.workerThreadId} ${reason}${lost}. This WorkerSession cannot run any more: ` +
        'dispose() it and create a new one with WorkerSession.create(). If it keeps dying, run the same model and ' +
        'feeds with OnnxSession to see the native error, and check free memory.',
      'worker-died',
      { cause },
    );
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(this.dead);
  }

  /** Release the session and stop the worker; runs already sent finish first. Idempotent. */
  dispose(): Promise<void> {
    if (this.disposing) return this.disposing;
    const worker = this.worker;
    this.disposing = (async () => {
      if (!this.dead) {
        worker.ref();
        const done = new Promise<void>((resolve) => {
          worker.on('message', (m: FromWorker) => m.type === 'disposed' && resolve());
          worker.once('exit', () => resolve());
        });
        worker.postMessage({ type: 'dispose' } satisfies ToWorker);
        await done;
      }
      await worker.terminate();
    })();
    return this.disposing;
  }
}
