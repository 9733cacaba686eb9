/**
 * The work behind `lamer eval`: run the LaMer evaluation protocol (reference
 * §10) on a fixed, seeded validation task set (`validationSeeds`: the same
 * `seed` gives the same tasks every time, our fix of reference bug §12.11),
 * stream the metrics while it runs, write every trial to a JSONL log in plan
 * order (task by task, trial by trial) and return the final metrics.
 *
 * The same options give a byte-identical log: trials are reordered into plan
 * order before they are written, records hold no times, and keys are sorted.
 */
import { lastValueFrom, reduce, tap, toArray } from 'rxjs';
import { replyCharBound } from '../actors/client.js';
import { runRollout } from '../actors/provide.js';
import { planRollout, type RolloutInput } from '../actors/rollout.js';
import { initialState } from '../actors/shared.js';
import { registerBuiltinEnvs } from '../envs/builtin.js';
import { getEnv, resolveParams } from '../envs/core/registry.js';
import { validationSeeds } from '../envs/core/seeds.js';
import type { Json, MemoryMode, PromptStyle } from '../envs/core/types.js';
import type { ExecutionProvider } from '../learner/providers.js';
import type { LiveLog } from '../live/log.js';
import { watchRollout } from '../live/rollout.js';
import { consoleTable, type TextOut } from '../metrics/sinks/console-table.js';
import { jsonlSink } from '../metrics/sinks/jsonl.js';
import { tableStyle } from '../metrics/sinks/text-table.js';
import type { SamplingSettings } from '../policy/types.js';
import { rolloutStreams } from '../streams/bridge.js';
import { latestByKey, type MetricEvent } from '../streams/metric.js';
import { inPlanOrder } from '../streams/order.js';
import type { TrialRecord } from '../streams/types.js';
import { ConfigError } from '../util/errors.js';
import { checkOutputFile } from '../util/output-path.js';
import { checkCounts } from './eval-limits.js';
import { type EvalMode, modeSettings, withPromptSuffix } from './eval-modes.js';
import { evalMetrics, formatReport, reportOrder } from './eval-report.js';
import { evalSummary } from './eval-summary.js';
import { EvalWatch, PolicyNotWorkingError } from './eval-watch.js';
import { createPolicy, onnxruntimeKinds, parsePolicySpec } from './policy-spec.js';

/** What `lamer eval` runs: env and params, policy spec, tasks, attempts, memory mode, seed of the task set, protocol mode, budgets, retries, output path. */
export interface EvalOptions {
  env: string;
  /** Policy spec (`random`, `expert`, `expert:0.1`, later `onnx:DIR`, ...). */
  policy: string;
  tasks: number;
  attempts: number;
  memory: MemoryMode;
  /** Seed of the validation task set. */
  seed: number;
  preset?: string;
  /** Param overrides on top of the preset. */
  set?: Record<string, unknown>;
  trialsPerTask?: number;
  /** Prompt style; `auto` (default): the one the policy was trained on when it says (the built-in model: compact), else faithful. */
  style?: PromptStyle | 'auto';
  /** Turn budget per attempt (default the env's). */
  maxTurns?: number;
  /** Trials in flight at once (default 64). */
  concurrency?: number;
  /** JSONL trial log path (default `runs/eval-<env>-<policy>-seed<S>.jsonl`). */
  out?: string;
  /** Show a live metrics table while running (default: when `live` output is a TTY). */
  live?: boolean;
  /** Evaluation protocol (see eval-modes.ts); default `lamer`. Sets attempts and memory for the other modes. */
  mode?: EvalMode;
  /** Token budget per reply (default EVAL_SAMPLING's 1024). */
  maxTokens?: number;
  /** Policy server requests in flight at once (default: `concurrency`, itself 64 by default). */
  maxInFlight?: number;
  /** onnxruntime execution provider of an `hf:` or `onnx:` policy (default cpu); a GPU one is checked before any work. */
  provider?: ExecutionProvider;
  /** Per-try timeout of a policy server request, in seconds (default 120). */
  timeoutS?: number;
  /** Retries of a failed policy server request (429, 5xx, timeouts, dropped connections; default 5). */
  retries?: number;
  /** Share of failed trials (0..1) above which the eval fails with exit 3 after its report (default 0). */
  maxFailed?: number;
  /** The final report: the metric table (`text`, default) or the summary as JSON (`json`, `--json`). */
  report?: 'text' | 'json';
}

/** Where an evaluation prints: the final report, the live table, errors as they happen, and the live log. */
export interface EvalIO {
  /** The final report. */
  out: TextOut;
  /** The live table. */
  live: TextOut;
  /** Publish the run's live metric stream here (`--live [PORT]`, `startEval`). */
  liveLog?: LiveLog;
  /** Failed trials, retries and cut replies as they happen (stderr; default: the live output). */
  err?: TextOut;
  /** Clock of the retry-line throttle (tests). */
  now?: () => number;
}

/** What {@link runEval} returns: every trial record, the final metrics, the log path, the printed report, failed trials. */
export interface EvalResult {
  envId: string;
  records: TrialRecord[];
  /** Final value of every metric series, in report order. */
  metrics: MetricEvent[];
  outPath: string;
  /** The printed report. */
  report: string;
  /** Trials that failed (counted as losses in pass@k). */
  failed: number;
  /** The prompt style played (`auto` resolved). */
  style: PromptStyle;
}

/** Reference §10 validation sampling: temperature 0.7, top-p 0.8, top-k 20, 1024 tokens. */
export const EVAL_SAMPLING: SamplingSettings = { temperature: 0.7, topP: 0.8, topK: 20, maxTokens: 1024 };

/** A file-name-safe form of a policy spec. */
function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]+/g, '_').replace(/^_+|_+$/g, '') || 'policy';
}

/**
 * `lamer eval` as a function: the LaMer evaluation protocol on a fixed,
 * seeded validation task set; streams the metrics while it runs and writes
 * every trial to a JSONL log in plan order (same options, byte-identical log).
 */
export async function runEval(requested: EvalOptions, io: EvalIO): Promise<EvalResult> {
  const started = Date.now();
  try {
    const result = await evaluate(requested, io);
    io.liveLog?.publish({ kind: 'end', seconds: (Date.now() - started) / 1000 });
    return result;
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    io.liveLog?.publish({ kind: 'end', seconds: (Date.now() - started) / 1000, error: message });
    throw error;
  }
}

async function evaluate(requested: EvalOptions, io: EvalIO): Promise<EvalResult> {
  const mode = modeSettings(requested.mode ?? 'lamer', requested.attempts, requested.memory);
  const options: EvalOptions = { ...requested, attempts: mode.attempts, memory: mode.memory };
  checkCounts(options);
  registerBuiltinEnvs();
  const env = getEnv(options.env);
  const params = resolveParams(env, options.preset, options.set ?? {}) as Json;
  const tasks = validationSeeds(options.tasks, options.seed).map((seed) => ({ seed }));
  // The first task's start, before anything else: data the params name (a WebShop catalog or
  // products file) loads here, so a bad one is reported once instead of failing every trial.
  initialState(env, tasks[0]!.seed, params);
  if (options.out !== undefined) checkOutputFile(options.out, '--out');
  const err = io.err ?? io.live;
  const abort = new AbortController();
  const watch = new EvalWatch({
    err,
    total: options.tasks * (options.trialsPerTask ?? 1),
    ...(options.maxFailed !== undefined ? { maxFailed: options.maxFailed } : {}),
    onBroken: (error) => abort.abort(error),
    ...(io.now ? { now: io.now } : {}),
  });
  if (options.provider !== undefined && options.provider !== 'cpu') {
    const local = onnxruntimeKinds();
    if (!local.includes(parsePolicySpec(options.policy.trim()).kind))
      throw new ConfigError(
        `--provider ${options.provider}: only ${local.map((k) => `${k}:DIR`).join(' and ')} policies run on onnxruntime; "${options.policy}" does not. Drop --provider.`,
      );
    // a missing GPU provider fails here in one line, before the model is read
    const { checkProvider } = await import('../learner/provider-check.js');
    await checkProvider(options.provider);
  }
  const created = await createPolicy(options.policy, {
    envId: env.id,
    seed: options.seed,
    // requests in flight follow the trials in flight (one request per trial at a time)
    maxInFlight: options.maxInFlight ?? options.concurrency ?? 64,
    ...(options.timeoutS !== undefined ? { timeoutMs: options.timeoutS * 1000 } : {}),
    ...(options.retries !== undefined ? { retries: options.retries } : {}),
    onRetry: (notice) => watch.retry(notice),
    ...(options.provider !== undefined ? { provider: options.provider } : {}),
  });
  // a server that is down, or does not serve the model, fails here in one line instead of in every trial
  await created.preflight?.();
  const style: PromptStyle =
    options.style === undefined || options.style === 'auto'
      ? (created.promptStyle ?? 'faithful')
      : options.style;
  const policy = mode.promptSuffix === null ? created : withPromptSuffix(created, mode.promptSuffix);
  const outPath = options.out ?? `runs/eval-${env.id}-${slug(policy.name)}-seed${options.seed}.jsonl`;
  if (options.out === undefined) checkOutputFile(outPath, 'the trial log');
  const trialsPerTask = options.trialsPerTask ?? 1;
  const sampling =
    options.maxTokens === undefined ? EVAL_SAMPLING : { ...EVAL_SAMPLING, maxTokens: options.maxTokens };
  // The env's evaluation budget when it has one (ALFWorld: 30 turns, against 10 in training).
  const maxTurns = options.maxTurns ?? env.evalMaxTurns;
  const input: RolloutInput = {
    envId: env.id,
    params,
    tasks,
    trialsPerTask,
    trial: {
      attempts: options.attempts,
      memoryMode: options.memory,
      style,
      sampling,
      ...(maxTurns !== undefined ? { maxTurns } : {}),
    },
    runId: `eval-s${options.seed}`,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
  };
  const planIndex = new Map(planRollout(input).map((t, i) => [t.trialId!, i]));
  const live = options.live ?? io.live.isTTY === true;
  io.liveLog?.publish({
    kind: 'run',
    run: {
      command: 'eval',
      title: `lamer eval: ${env.id} ${policy.name} seed ${options.seed}`,
      envId: env.id,
      attempts: options.attempts,
      trials: planIndex.size,
    },
  });

  let metricsDone: Promise<Map<string, MetricEvent>> = Promise.resolve(new Map());
  let logDone: Promise<TrialRecord[]> = Promise.resolve([]);
  const rollout = runRollout({
    ...input,
    policy,
    signal: abort.signal,
    attach: (actor) => {
      if (io.liveLog)
        watchRollout(io.liveLog, actor, {
          phase: 'eval',
          attempts: options.attempts,
          trialsPerTask,
          ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
        });
      const streams = rolloutStreams(actor);
      let metrics$ = evalMetrics(streams, options.attempts, env.taskType !== undefined);
      if (live)
        metrics$ = metrics$.pipe(
          consoleTable({
            out: io.live,
            tty: true,
            final: false,
            clear: true,
            // Overall series only, so the live table fits a terminal.
            show: (e) => Object.keys(e.tags).length === 0,
          }),
        );
      metricsDone = lastValueFrom(metrics$.pipe(reduce((latest, e) => latestByKey([e], latest), new Map())));
      streams.turns$.subscribe((sample) => {
        if (sample.responseCut !== undefined) watch.cut(sample, replyCharBound(sampling.maxTokens));
      });
      logDone = lastValueFrom(
        streams.trials$.pipe(
          tap((record) => watch.trial(record)),
          inPlanOrder((r) => planIndex.get(r.trialId)),
          jsonlSink({ path: outPath }),
          toArray(),
        ),
      );
    },
  });
  // Wait for all three, so a failed rollout still closes the log with every trial it finished.
  const [done, latest, logged] = await Promise.allSettled([rollout, metricsDone, logDone]);
  watch.flush();
  const stopped = done.status === 'rejected' && done.reason instanceof PolicyNotWorkingError;
  for (const outcome of [done, latest, logged])
    if (outcome.status === 'rejected' && !(stopped && outcome === done)) throw outcome.reason;
  const records = stopped
    ? (logged as PromiseFulfilledResult<TrialRecord[]>).value
    : (done as PromiseFulfilledResult<TrialRecord[]>).value;
  const metrics = reportOrder((latest as PromiseFulfilledResult<Map<string, MetricEvent>>).value.values());
  const head = {
    envId: env.id,
    trialsPerTask,
    policyName: policy.name,
    style,
    outPath,
    table: tableStyle(io.out),
  };
  const report =
    options.report === 'json'
      ? `${JSON.stringify(evalSummary({ ...options, ...head, mode: options.mode ?? 'lamer' }, metrics, records.length, watch.failedCount), null, 2)}\n`
      : formatReport(head, options, metrics, records.length, watch.summary(records.length));
  io.out.write(report);
  if (stopped) throw done.reason;
  watch.judge(records.length);
  return { envId: env.id, records, metrics, outPath, report, failed: watch.failedCount, style };
}
