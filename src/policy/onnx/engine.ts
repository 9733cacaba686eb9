/**
 * The generation engine: one worker thread (worker.ts) that holds the ONNX
 * sessions, the weights, the KV cache and the decode loop. The main thread
 * sends a batch of prompts and gets the finished rows back, so the event loop
 * stays free during inference and nothing crosses threads per token. (We do
 * not reuse learner/WorkerSession: it copies every feed, weights and cache
 * included, on every run.)
 */
import type { Worker } from 'node:worker_threads';
import { SessionError, type SessionSettings } from '../../learner/session-core.js';
import { spawnWorker } from '../../learner/spawn-worker.js';
import type {
  FinishedRow,
  FromWorker,
  JoiningRows,
  KvLayout,
  ReadyMessage,
  RowOutcome,
  RowSpec,
  TokenizerSource,
  ToWorker,
  WeightTensor,
  WorkerInit,
  WorkerProfile,
} from './protocol.js';

const spawn = (init: WorkerInit): Worker => spawnWorker(import.meta.url, 'worker', init);

interface Pending {
  resolve(m: FromWorker): void;
  reject(e: Error): void;
}

/** A batch's finished rows and the worker's time on it. */
export interface GeneratedBatch {
  rows: RowOutcome[];
  profile: WorkerProfile;
}

type Request = ToWorker extends infer T ? (T extends { id: number } ? Omit<T, 'id'> : never) : never;

export class LmEngine {
  private readonly pending = new Map<number, Pending>();
  /** The exchange of each continuous batch running, by message id. */
  private readonly exchanges = new Map<
    number,
    (seq: number, finished: FinishedRow[], profile: WorkerProfile) => void
  >();
  private nextId = 0;
  private dead: SessionError | null = null;
  private disposing: Promise<void> | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly ready: ReadyMessage,
  ) {
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (e) => this.fail(`threw (${e.message})`, e));
    worker.on('exit', (code) => {
      if (this.disposing === null || this.pending.size > 0) this.fail(`exited with code ${code}`);
    });
    worker.unref();
  }

  /** Load a model (bytes or a file path) in a new worker thread. */
  static async create(
    model: Uint8Array | string,
    settings: SessionSettings,
    layout: KvLayout,
    tokenizer: TokenizerSource,
    decodeModel?: Uint8Array,
  ): Promise<LmEngine> {
    const worker = spawn({ model, settings, layout, tokenizer, ...(decodeModel ? { decodeModel } : {}) });
    const ready = await new Promise<ReadyMessage>((resolve, reject) => {
      const onMessage = (m: FromWorker) => {
        cleanup();
        if (m.type === 'ready') resolve(m);
        else if (m.type === 'init-error') reject(new SessionError(m.message, m.kind));
        else reject(new SessionError(`generation worker sent "${m.type}" before "ready"`, 'worker-died'));
      };
      const onError = (e: Error) => {
        cleanup();
        reject(
          new SessionError(`generation worker failed to start: ${e.message}`, 'worker-died', { cause: e }),
        );
      };
      const onExit = (code: number) => {
        cleanup();
        reject(
          new SessionError(
            `generation worker exited with code ${code} before the model loaded`,
            'worker-died',
          ),
        );
      };
      const cleanup = () => worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    }).catch(async (error: unknown) => {
      await worker.terminate();
      throw error;
    });
    return new LmEngine(worker, ready);
  }

  get inputNames(): readonly string[] {
    return this.ready.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.ready.outputNames;
  }
  /** Whether the worker runs continuous batches ({@link generateContinuous}): the in-place cache. */
  get continuous(): boolean {
    return this.ready.continuous;
  }

  private call(message: Request): Promise<FromWorker> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.disposing) return Promise.reject(new SessionError('the ONNX policy was disposed', 'disposed'));
    const id = this.nextId++;
    return new Promise<FromWorker>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ ...message, id } as ToWorker);
    });
  }

  /** Store the weights fed as graph inputs (copied into the worker once). */
  async setWeights(weights: Record<string, WeightTensor>): Promise<void> {
    await this.call({ type: 'weights', weights });
  }

  /** Drop the prefixes the worker keeps for later prompts (prefix-store.ts). */
  async forgetPrefixes(): Promise<void> {
    await this.call({ type: 'forget' });
  }

  /**
   * Generate every row to its end in the worker (decode-loop.ts); one message each way. `aborted`
   * (over a SharedArrayBuffer) withdraws row i when set to 1, at the worker's next step.
   */
  async generate(
    rows: RowSpec[],
    endIds: number[],
    padId: number,
    maxPositions: number | null,
    aborted: Int32Array,
  ): Promise<GeneratedBatch> {
    const reply = await this.call({ type: 'generate', rows, endIds, padId, maxPositions, aborted });
    if (reply.type !== 'generated') throw new SessionError(`expected rows, got "${reply.type}"`, 'run');
    return { rows: reply.rows, profile: reply.profile };
  }

  /**
   * A continuous batch (decode-loop.ts `join`): like {@link generate}, but at each step where rows end
   * the worker hands them to `exchange` (with the batch's profile so far) and waits for the rows it resolves to, which join the batch
   * at its next step (their flags in their own `aborted`). Resolves when no row is left; every row's
   * outcome went to `exchange`. When `exchange` rejects, no row joins and the batch runs out, then
   * rejects with that error.
   */
  async generateContinuous(
    rows: RowSpec[],
    endIds: number[],
    padId: number,
    maxPositions: number | null,
    aborted: Int32Array,
    exchange: (finished: FinishedRow[], profile: WorkerProfile) => Promise<JoiningRows>,
  ): Promise<GeneratedBatch> {
    let failure: { error: unknown } | null = null;
    const id = this.nextId;
    this.exchanges.set(id, (seq, finished, profile) => {
      const none: JoiningRows = { rows: [], aborted: new Int32Array(0) };
      const answer = failure
        ? Promise.resolve(none)
        : exchange(finished, profile).catch((error: unknown) => {
            failure = { error };
            return none;
          });
      void answer.then((joining) => {
        this.worker.postMessage({ type: 'join', id, seq, ...joining } satisfies ToWorker);
      });
    });
    try {
      const reply = await this.call({
        type: 'generate',
        rows,
        endIds,
        padId,
        maxPositions,
        aborted,
        continuous: true,
      });
      if (reply.type !== 'generated') throw new SessionError(`expected rows, got "${reply.type}"`, 'run');
      if (failure !== null) throw (failure as { error: unknown }).error;
      return { rows: reply.rows, profile: reply.profile };
    } finally {
      this.exchanges.delete(id);
    }
  }

  private onMessage(m: FromWorker): void {
    if (!('id' in m)) return;
    if (m.type === 'finished') {
      this.exchanges.get(m.id)?.(m.seq, m.rows, m.profile);
      return;
    }
    const p = this.pending.get(m.id);
    this.pending.delete(m.id);
    // (dispose keeps it referenced until the worker is gone: a continuous batch can end after dispose began)
    if (this.pending.size === 0 && this.disposing === null) this.worker.unref();
    if (m.type === 'error') p?.reject(new SessionError(`onnxruntime run failed: ${m.message}`, 'run'));
    else p?.resolve(m);
  }

  private fail(reason: string, cause?: unknown): void {
    if (this.dead) return;
    this.dead = new SessionError(
      `the ONNX policy's worker thread ${reason}; create the policy again (if it keeps failing, check free memory).`,
      'worker-died',
      { cause },
    );
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(this.dead);
    }
  }

  /** Stop the worker; messages already sent finish first. Idempotent. */
  dispose(): Promise<void> {
    if (this.disposing) return this.disposing;
    const worker = this.worker;
    this.disposing = (async () => {
      if (!this.dead) {
        worker.ref();
        await new Promise<void>((resolve) => {
          worker.on('message', (m: FromWorker) => m.type === 'disposed' && resolve());
          worker.once('exit', () => resolve());
          worker.postMessage({ type: 'dispose' } satisfies ToWorker);
        });
      }
      await worker.terminate();
    })();
    return this.disposing;
  }
}
