/**
 * The ONNX policy's options and counters, and how the options become the worker's session settings
 * and batching layout (defaults filled in, bad values named). Kept apart from policy.ts, which holds
 * the class itself.
 */
import type { SessionSettings } from '../../learner/session-core.js';
import { PolicyError } from '../errors.js';
import { PASS_TOKENS } from './prefill-groups.js';
import { kvBytes } from './prefix-store.js';
import type { DecodeProfile } from './profile.js';
import type { KvLayout } from './protocol.js';

export interface OnnxPolicyOptions extends SessionSettings {
  /** Name shown in logs and reports (default `onnx:<dir>` or `builtin`). */
  name?: string;
  /** Seed of requests that carry none (their seed is derived from it and the request key). Default 0. */
  seed?: number;
  /** Default token budget when a request sets none (default 1024, the reference's). */
  maxTokens?: number;
  /** Built-in exports: feed model.safetensors to a graph with weights as inputs (default true); false loads model.onnx. */
  fastPath?: boolean;
  /** Scratch memory for one prefill run (default 512 MiB); bigger batches are prefilled in row chunks. */
  prefillBudgetBytes?: number;
  /**
   * Most rows per prefill run, grouped by prompt length, each run on its longest prompt's columns only
   * (default 16); rows of very different lengths go in separate runs when that pads less (prefill-groups.ts).
   */
  prefillGroupRows?: number;
  /**
   * A prefill run's fixed work in prompt tokens, weighed against padding where the groups are cut
   * (default 160, prefill-groups.ts); Infinity cuts only at `prefillGroupRows` (the fewest runs).
   */
  prefillPassTokens?: number;
  /**
   * Bytes of finished replies' keys/values (prompt and reply) kept in the worker, so that a later
   * prompt starting with one of them prefills only the rest (prefix-store.ts; 0 off). Default: 32,768
   * tokens' keys/values, at most 256 MiB (32 MiB for the d64×2 model). Cleared by setWeights. A reused
   * prefix can differ from a fresh prefill by float rounding.
   */
  prefixCacheBytes?: number;
  /**
   * Built-in model: decode with a fixed-capacity cache written in place (decode-graph.ts) instead of
   * the HF layout's per-step concatenation (default true; same tokens, less copying).
   */
  inPlaceCache?: boolean;
  /**
   * Offer continuous batches (`generateContinuous`: rows answered as they end, the next requests joining
   * the running batch) when the cache takes them (the in-place cache); default true. False: a PolicyClient
   * sends lock-step `generate` calls (the same samples; `bench:rollout` times both).
   */
  continuous?: boolean;
}

/** Counters of an {@link OnnxPolicy} (read `policy.stats`). */
export interface OnnxPolicyStats {
  /**
   * Calls to generate and their batch sizes (rows that ran: a request aborted before its batch starts is not one);
   * a continuous batch adds its first rows and then the rows of each join.
   */
  batchSizes: number[];
  generatedTokens: number;
  /** Requests withdrawn by their `signal` (before or during their batch). */
  abortedRows: number;
  /** Where generation time goes, summed over calls (profile.ts; `profileSince` for a window). */
  readonly profile: DecodeProfile;
}

/**
 * The worker's session settings: onnxruntime's intra-op threads do not spin unless asked. A decode
 * step is ~100-250 small ops, and spinning pool threads kept the cores from the worker's own
 * sampling and from every other thread and job on the machine (a LaMer rollout under load ~30:
 * 56 s spinning, 24 s not). A model at most SMALL_WIDTH wide (`dModel`, when known) runs one
 * intra-op thread unless `intraOpNumThreads` says otherwise.
 */
export function engineSettings(options: OnnxPolicyOptions, dModel?: number): SessionSettings {
  const {
    inPlaceCache: _inPlace,
    prefixCacheBytes: _prefix,
    continuous: _continuous,
    prefillBudgetBytes: _budget,
    prefillGroupRows: _rows,
    prefillPassTokens: _pass,
    ...settings
  } = options;
  const small = dModel !== undefined && dModel <= SMALL_WIDTH;
  return { allowSpinning: false, ...(small ? { intraOpNumThreads: 1 } : {}), ...settings };
}

/**
 * Widest model whose sessions default to one intra-op thread. At d64 (the bench-long model) a second
 * thread is slower for every prompt pass and decode step a rollout runs, even at 64 rows (one process,
 * interleaved, load ~3.7: decode step at 16 / 32 / 64 rows 0.71 / 0.88 / 1.59 ms on one thread, 1.06 /
 * 1.23 / 1.90 on two), and it takes the core the main thread's env steps, prompts and tokenizer need
 * in a continuous rollout: `bench:rollout` steps 5–6% faster on one (same process, load 1.1–2.4), 12%
 * less CPU. At d128×4 (bench:generate's model) two threads are what batch 64 gains from (64 ÷ 16
 * tokens/s 1.45 against 1.02–1.09 on one), so wider models keep onnxruntime's default (one per core).
 */
export const SMALL_WIDTH = 64;

/** The layout's batching settings from the options and the model's cache shape (defaults filled in, bad values named). */
export function batchLayout(
  o: OnnxPolicyOptions,
  kv: Pick<KvLayout, 'nLayers' | 'kvHeads' | 'headDim'>,
): Pick<KvLayout, 'prefillBudgetBytes' | 'prefillGroupRows' | 'prefillPassTokens' | 'prefixCacheBytes'> {
  const shape = { tensors: 2 * kv.nLayers, kvHeads: kv.kvHeads, headDim: kv.headDim };
  const prefixCacheBytes =
    o.prefixCacheBytes ?? Math.min(kvBytes(shape, PREFIX_CACHE_TOKENS), MAX_PREFIX_CACHE);
  const prefillPassTokens = o.prefillPassTokens ?? PASS_TOKENS;
  if (!(prefillPassTokens >= 0))
    throw new PolicyError(
      `prefillPassTokens must be a number >= 0 (Infinity: fewest runs), got ${prefillPassTokens}`,
    );
  if (!(Number.isInteger(prefixCacheBytes) && prefixCacheBytes >= 0))
    throw new PolicyError(`prefixCacheBytes must be an integer >= 0 (0: off), got ${prefixCacheBytes}`);
  return {
    prefillBudgetBytes: o.prefillBudgetBytes ?? DEFAULT_BUDGET,
    prefillGroupRows: o.prefillGroupRows ?? DEFAULT_GROUP_ROWS,
    prefillPassTokens,
    prefixCacheBytes,
  };
}

/** Rows per prefill run (prefill-groups.ts): 16 halved a LaMer rollout's prefill time against one run. */
const DEFAULT_GROUP_ROWS = 16;
const DEFAULT_BUDGET = 512 * 2 ** 20;
/**
 * The prefix store's default size in tokens: about one finished sequence per running trial of a
 * bench-long rollout (128 trials × ~210 tokens), where reuse saturates. A larger store reused a few
 * percent more prompt tokens and made every run slower: `bench:rollout`'s steps at 256 MiB against
 * 32 MiB (32,768 tokens of the d64×2 model), same process, same hashes: ~10% (its decode runs −15 to
 * −25%: the kept rows' memory traffic and the worker's full GCs, which a store of ~5,000 arrays set off
 * every ~200 ms; docs/experiments.md, session 8).
 */
const PREFIX_CACHE_TOKENS = 32_768;
/** The prefix store's default bound for large models (its size before the token count). */
const MAX_PREFIX_CACHE = 256 * 2 ** 20;
