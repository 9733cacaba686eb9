/**
 * onnxruntime session creation shared by the in-thread session and the worker thread:
 * execution-provider choice with an explicit CPU fallback (onnxruntime throws instead of
 * falling back when a GPU provider is missing), thread counts, graph optimisation level.
 * Shared with the worker entry (session-worker.ts), so it imports nothing heavy.
 */
import { isMainThread } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { LamerError } from '../util/errors.js';
import { EXECUTION_PROVIDERS, type ExecutionProvider, providerInstallHint } from './providers.js';

/**
 * Turn off onnxruntime's usage telemetry for this process unless `ORT_DISABLE_TELEMETRY` is already set.
 * Since 1.29 its Linux and macOS builds upload usage events to Microsoft and keep a device id
 * (`$TMPDIR/.ses`, and an empty `$TMPDIR/mat-debug-<pid>.log` per process) unless that variable is set;
 * a training tool should not phone home or leave files behind. Set it yourself (any value) to decide
 * otherwise. It must be set on the main thread (a worker thread's `process.env` is its own copy, which
 * native code does not see) and before the process's first session, so this module does it when it loads:
 * the policy's and the learner's main-thread modules import it before they start a worker.
 */
export function disableOrtTelemetry(): void {
  if (isMainThread && process.env.ORT_DISABLE_TELEMETRY === undefined)
    process.env.ORT_DISABLE_TELEMETRY = '1';
}
disableOrtTelemetry();

export { EXECUTION_PROVIDERS, type ExecutionProvider };

/** Which step of a session failed (see {@link SessionError}). */
export type SessionErrorKind = 'config' | 'provider' | 'create' | 'run' | 'worker-died' | 'disposed';

/** An onnxruntime session could not be created or run; `kind` says which step failed. */
export class SessionError extends LamerError {
  constructor(
    message: string,
    readonly kind: SessionErrorKind,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The execution provider asked for cannot start on this machine (not installed, or no GPU) and falling
 * back to CPU was not allowed; the message says how to install it.
 */
export class ProviderUnavailableError extends SessionError {
  constructor(
    readonly provider: Exclude<ExecutionProvider, 'cpu'>,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `execution provider "${provider}" is not available (${reason}). To use it, ${providerInstallHint(provider)}; or choose provider "cpu".`,
      'provider',
      options,
    );
  }
}

/** onnxruntime's graph optimisation level. */
export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** Plain, structured-clone-safe session settings (what crosses into the worker thread). */
export interface SessionSettings {
  /** Execution provider to try first (default 'cpu'). */
  provider?: ExecutionProvider;
  /** Fall back to 'cpu' with a warning when the provider cannot start (default true); false: throw. */
  fallbackToCpu?: boolean;
  /** Threads inside one op (0 or unset: onnxruntime's default, one per core). */
  intraOpNumThreads?: number;
  /** Threads across independent ops (only used with parallel execution; unset: onnxruntime's default). */
  interOpNumThreads?: number;
  /**
   * Let the intra-op threads spin between parallel sections (onnxruntime's default, true). false puts
   * them to sleep at once: on a machine whose cores other threads or jobs also use, spinning threads
   * take the cores from them (the ONNX policy turns it off, see policy/onnx/policy.ts).
   */
  allowSpinning?: boolean;
  /** Graph optimisation level (default 'all'). */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** onnxruntime's own log level, 0 verbose … 4 fatal (default 2 warning). */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /**
   * Folder holding the files of a graph's external constants (a Hugging Face checkpoint's frozen
   * weights): onnxruntime maps them from there, so sessions on the same files share one copy.
   */
  externalDataDir?: string;
  /**
   * Pre-pack constant weights for the matrix kernels (onnxruntime's default, true): faster matmuls, but
   * each session keeps a packed copy of every constant weight (two in a train graph: forward and
   * backward layouts). false keeps only the one shared, memory-mapped copy of external weights.
   */
  prepack?: boolean;
  /**
   * onnxruntime's memory pattern (its default, true): after a run, the run's intermediate tensors are
   * planned into one block that the next run with the same input shapes allocates whole. The CPU arena
   * never returns the first run's chunks, so the block comes on top of them: a session whose run is
   * mostly activations (a train step) holds about twice its activations. false allocates tensor by
   * tensor from the arena, which reuses its chunks.
   */
  memPattern?: boolean;
}

/** Element types a tensor may carry between threads; `data` must match `type` as in onnxruntime. */
export interface TensorValue {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: ort.Tensor['data'];
}

/** Session inputs by name. */
export type Feeds = Record<string, TensorValue>;
/** Session outputs by name. */
export type Outputs = Record<string, TensorValue>;

export interface CreatedSession {
  session: ort.InferenceSession;
  /** The provider the session actually runs on. */
  provider: ExecutionProvider;
  /** Human-readable warnings (e.g. the fallback to CPU); also passed to the caller's logger. */
  warnings: string[];
}

/** The problem with `settings`, or null when they are valid. */
export function checkSettings(settings: SessionSettings): string | null {
  const {
    provider,
    intraOpNumThreads: intra,
    interOpNumThreads: inter,
    graphOptimizationLevel: level,
  } = settings;
  if (provider !== undefined && !EXECUTION_PROVIDERS.includes(provider)) {
    return `unknown execution provider "${String(provider)}"; use one of ${EXECUTION_PROVIDERS.join(', ')}.`;
  }
  for (const [name, n] of [
    ['intraOpNumThreads', intra],
    ['interOpNumThreads', inter],
  ] as const) {
    if (n !== undefined && (!Number.isInteger(n) || n < 0))
      return `${name} must be an integer ≥ 0, got ${n}.`;
  }
  for (const name of ['allowSpinning', 'prepack', 'memPattern'] as const) {
    const v = settings[name];
    if (v !== undefined && typeof v !== 'boolean') return `${name} must be true or false, got ${String(v)}.`;
  }
  if (level !== undefined && !['disabled', 'basic', 'extended', 'all'].includes(level)) {
    return `graphOptimizationLevel must be disabled, basic, extended or all, got "${String(level)}".`;
  }
  return null;
}

function ortOptions(
  settings: SessionSettings,
  provider: ExecutionProvider,
): ort.InferenceSession.SessionOptions {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: settings.graphOptimizationLevel ?? 'all',
    logSeverityLevel: settings.logSeverityLevel ?? 2,
  };
  if (settings.intraOpNumThreads !== undefined) options.intraOpNumThreads = settings.intraOpNumThreads;
  if (settings.interOpNumThreads !== undefined) options.interOpNumThreads = settings.interOpNumThreads;
  if (settings.memPattern !== undefined) options.enableMemPattern = settings.memPattern;
  const session: Record<string, string | Record<string, string>> = {};
  if (settings.externalDataDir !== undefined)
    session.model_external_initializers_file_folder_path = settings.externalDataDir;
  if (settings.prepack === false) session.disable_prepacking = '1';
  if (settings.allowSpinning !== undefined) {
    const spin = settings.allowSpinning ? '1' : '0';
    session.intra_op = { allow_spinning: spin };
    session.inter_op = { allow_spinning: spin };
  }
  if (Object.keys(session).length > 0) options.extra = { session };
  return options;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n').find((l) => l.trim() !== '') ?? text).trim();
}

/**
 * Create a session on the chosen provider; when a GPU provider cannot start, fall back to CPU
 * (unless `fallbackToCpu` is false) and say so in `warnings`. Rejects with a SessionError.
 */
export async function createOrtSession(
  model: Uint8Array | string,
  settings: SessionSettings = {},
): Promise<CreatedSession> {
  const bad = checkSettings(settings);
  if (bad !== null) throw new SessionError(bad, 'config');
  const provider = settings.provider ?? 'cpu';
  const warnings: string[] = [];
  if (provider !== 'cpu') {
    try {
      const session = await ort.InferenceSession.create(model as Uint8Array, ortOptions(settings, provider));
      return { session, provider, warnings };
    } catch (error) {
      if (settings.fallbackToCpu === false)
        throw new ProviderUnavailableError(provider, firstLine(error), { cause: error });
      warnings.push(
        `execution provider "${provider}" is not available (${firstLine(error)}); falling back to "cpu". To use ${provider}, ${providerInstallHint(provider)}.`,
      );
    }
  }
  try {
    const session = await ort.InferenceSession.create(model as Uint8Array, ortOptions(settings, 'cpu'));
    return { session, provider: 'cpu', warnings };
  } catch (error) {
    const message = `onnxruntime could not load the model: ${firstLine(error)}. Check that the bytes are an ONNX model (IR ≤ 13, opset ≤ 26).`;
    throw new SessionError(message, 'create', { cause: error });
  }
}

/** Turn plain tensor values into onnxruntime tensors (ort.Tensor instances pass through). */
export function toOrtFeeds(feeds: Feeds): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    out[name] =
      t instanceof ort.Tensor
        ? t
        : new ort.Tensor(t.type as ort.Tensor.Type, t.data as ort.Tensor.DataType, t.dims as number[]);
  }
  return out;
}

/** Plain `{ type, dims, data }` copies of onnxruntime outputs (the data arrays are not copied). */
export function fromOrtOutputs(outputs: ort.InferenceSession.OnnxValueMapType): Outputs {
  const out: Outputs = {};
  for (const [name, t] of Object.entries(outputs)) {
    out[name] = { type: t.type, dims: [...t.dims], data: t.data };
  }
  return out;
}

/** Messages between WorkerSession (main thread) and session-worker.ts. */
export interface WorkerInit {
  model: Uint8Array | string;
  settings: SessionSettings;
}
export type ToWorker =
  | { type: 'run'; id: number; feeds: Feeds; outputNames?: string[] }
  | { type: 'dispose' };
export type ReadyMessage = {
  type: 'ready';
  inputNames: string[];
  outputNames: string[];
  provider: ExecutionProvider;
  warnings: string[];
};
export type FromWorker =
  | ReadyMessage
  | { type: 'init-error'; message: string; kind: SessionErrorKind }
  | { type: 'result'; id: number; outputs: Outputs }
  | { type: 'run-error'; id: number; message: string }
  | { type: 'disposed' };

/**
 * Prepare tensors for postMessage: arrays that own their whole buffer are transferred (zero-copy);
 * views into a larger buffer are copied first, so a clone never drags the whole buffer along.
 */
export function transferable(
  tensors: Record<string, TensorValue>,
  transfer: boolean,
): {
  tensors: Record<string, TensorValue>;
  transferList: ArrayBuffer[];
} {
  const out: Record<string, TensorValue> = {};
  const transferList: ArrayBuffer[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    let data = t.data;
    if (ArrayBuffer.isView(data) && !(data.buffer instanceof SharedArrayBuffer)) {
      const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      if (!whole) data = data.slice();
      if (transfer || !whole) transferList.push(data.buffer as ArrayBuffer);
    }
    out[name] = { type: t.type, dims: [...t.dims], data };
  }
  return { tensors: out, transferList };
}

/** Run a session on plain feeds; `outputNames` limits the outputs computed (default: all). */
export async function runOrt(
  session: ort.InferenceSession,
  feeds: Feeds,
  outputNames?: readonly string[],
): Promise<Outputs> {
  const ortFeeds = toOrtFeeds(feeds);
  const outputs = outputNames ? await session.run(ortFeeds, [...outputNames]) : await session.run(ortFeeds);
  return fromOrtOutputs(outputs);
}
