/**
 * Training against an inference cluster (`lamer train --model hf:DIR --rollout openai:URL#MODEL`,
 * issue 24.2): the rollouts are sampled by a served copy of the model (vLLM, or `lamer serve
 * --enable-lora`), the LoRA adapters are trained here, and each published version goes to the
 * server as a PEFT folder through vLLM's dynamic LoRA API. This is the rollout policy of such a
 * run: `generate` is the HTTP policy in token mode (the server's sampled ids and log-probs, never a
 * re-tokenisation), `setWeights(adapters, version)` writes `<dir>/v<version>`, loads it under
 * `<prefix>-v<version>` on every replica and names it in later requests, so every reply records
 * the adapter version that sampled it (`policyVersion`). Version 0 of a fresh adapter (B = 0) is
 * the base model itself: requests name the served model until the first step is published.
 * The last `keep` adapters stay loaded (a request made before a publish may still name the one
 * before it); older ones are unloaded.
 */
import { basename, join, resolve } from 'node:path';
import { writePeftAdapter } from '../learner/hf/peft.js';
import { OpenAiPolicy } from '../policy/http/openai.js';
import { parseOpenAiSpec } from '../policy/http/spec.js';
import type { Generation, GenerationRequest, Policy } from '../policy/types.js';
import { ConfigError } from '../util/errors.js';
import type { TrainConfig } from './config.js';
import type { TrainModel } from './model-setup.js';

type Weights = Readonly<Record<string, Float32Array>>;

export interface ClusterRolloutOptions {
  /** The HTTP policy, made with `tokens: true`. */
  http: OpenAiPolicy;
  /** Where each version's PEFT folder is written (`<dir>/v<version>`). */
  dir: string;
  /** The same folder as the servers see it (default: `dir` made absolute; set it when they mount it elsewhere). */
  serverDir?: string;
  /** Adapter names are `<prefix>-v<version>`. */
  prefix: string;
  /** Writes adapters as a PEFT folder (atomic: a server never reads half a folder). */
  writeAdapter: (dir: string, adapters: Weights) => Promise<void>;
  /** Adapters kept loaded on the servers (default 2: the current one and the one before). */
  keep?: number;
  /** Told after each adapter is loaded (the run's log). */
  onPublish?: (notice: { version: number; name: string; path: string; ms: number }) => void;
}

export class ClusterRollout implements Policy {
  readonly name: string;
  readonly maxBatch = 1;
  private readonly loaded: string[] = [];
  private readonly keep: number;

  constructor(private readonly options: ClusterRolloutOptions) {
    this.name = `${options.http.name} (adapters ${options.prefix}-v*)`;
    this.keep = Math.max(1, options.keep ?? 2);
  }

  get promptStyle(): 'faithful' | 'compact' | undefined {
    return this.options.http.promptStyle;
  }

  /** The server is up, serves the model, and returns token ids (HttpTokensMissingError otherwise). */
  preflight(): Promise<void> {
    return this.options.http.preflight();
  }

  generate(requests: GenerationRequest[], signal?: AbortSignal): Promise<Generation[]> {
    return this.options.http.generate(requests, signal);
  }

  /**
   * Publish `adapters` as policy version `version`: the first version with a fresh adapter is the
   * base model (`base`: true, nothing to load); every other is written, loaded, then named by later requests.
   */
  async setWeights(adapters: Weights, version: number, base = false): Promise<void> {
    const { http } = this.options;
    if (base) {
      http.useAdapter(http.options.model, version);
      return;
    }
    const t0 = performance.now();
    const name = `${this.options.prefix}-v${version}`;
    const local = join(this.options.dir, `v${version}`);
    const path = join(this.options.serverDir ?? resolve(this.options.dir), `v${version}`);
    await this.options.writeAdapter(local, adapters);
    await http.loadAdapter(name, path);
    http.useAdapter(name, version);
    this.loaded.push(name);
    while (this.loaded.length > this.keep) await http.unloadAdapter(this.loaded.shift()!);
    this.options.onPublish?.({ version, name, path, ms: performance.now() - t0 });
  }

  /** Unload this run's adapters from the servers and close the connections. */
  async dispose(): Promise<void> {
    const { http } = this.options;
    try {
      while (this.loaded.length > 0) await http.unloadAdapter(this.loaded.shift()!);
    } finally {
      await http.close();
    }
  }
}

/** The rollout policy of a run with `rollout` set: the servers checked, the trainer's current adapter in place. */
export async function startClusterRollout(
  c: TrainConfig,
  setup: Pick<TrainModel, 'model' | 'spec'>,
  out: string,
  now: { params: Weights; version: number; fresh: boolean },
  log: (message: string) => void,
): Promise<ClusterRollout> {
  const lora = setup.spec.lora;
  if (c.rollout === undefined || c.hf === undefined || lora === undefined)
    throw new ConfigError('rollout: give --model hf:DIR with LoRA and --rollout openai:URL#MODEL');
  const { baseURLs, model } = parseOpenAiSpec(c.rollout.policy);
  const http = new OpenAiPolicy({
    baseURL: baseURLs,
    model,
    seed: c.seed,
    tokens: true,
    ...(c.rollout.maxInFlight !== undefined ? { maxInFlight: c.rollout.maxInFlight } : {}),
  });
  const base = c.hf.dir;
  const rollout = new ClusterRollout({
    http,
    dir: join(out, 'adapters'),
    ...(c.rollout.serverDir !== undefined ? { serverDir: c.rollout.serverDir } : {}),
    prefix: `lamer-${basename(resolve(out))}`,
    writeAdapter: (dir, adapters) => writePeftAdapter(dir, setup.model, lora, adapters, base),
    keep: c.pipeline.staleness + 2,
    onPublish: (n) =>
      log(`adapter v${n.version} loaded on the servers as "${n.name}" (${n.ms.toFixed(0)} ms)`),
  });
  try {
    await rollout.preflight();
    await rollout.setWeights(now.params, now.version, now.fresh);
  } catch (error) {
    await rollout.dispose();
    throw error;
  }
  return rollout;
}
