/**
 * The local ONNX LM policy: a causal LM in the Hugging Face ONNX export layout
 * (any exported LLM, or our built-in model), batched KV-cache generation off
 * the main thread, per-request seeds, token ids and sampling log-probs, and
 * new weights from the learner without rebuilding the session (when the
 * weights are graph inputs: the built-in model's fast path).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensorsFile } from '../../learner/checkpoint.js';
import { initLora, type LoraConfig } from '../../learner/lora.js';
import { type ModelConfig, modelConfig, paramShapes } from '../../learner/model.js';
import { toFloat32 } from '../../learner/safetensors.js';
import type { WeightSpec } from '../../learner/weights.js';
import { PolicyError } from '../errors.js';
import { type LoadedTokenizer, loadBuiltinTokenizer, loadTokenizerDir } from '../tokenizer.js';
import type { Generation, GenerationRequest, JoinRequests, Policy } from '../types.js';
import { generationOf, refusalOf, runContinuous } from './continuous.js';
import type { LmEngine } from './engine.js';
import { builtinGenerationConfig, LAMER_MODEL_FIELD, WEIGHTS_FILE } from './export.js';
import { type GenerateContext, generateRows, type RowRequest, type RowResult } from './generate.js';
import type { HfModel } from './hf-model.js';
import { type GenerationDefaults, ModelDirError, readModelDir } from './model-dir.js';
import { exportEngine, modelEngine } from './model-engine.js';
import type { OnnxPolicyOptions, OnnxPolicyStats } from './options.js';
import type { TokenizerSource, WeightTensor } from './protocol.js';
import { contextOf, rowRequest } from './requests.js';
import type { PromptCodec } from './tokens.js';

/**
 * Weights by tensor name.
 * @inline
 */
type Weights = Readonly<Record<string, Float32Array>>;

/**
 * A {@link Policy} running a causal LM locally with onnxruntime (any Hugging
 * Face ONNX export, or the built-in model): batched KV-cache generation off the
 * main thread, per-request seeds, token ids and sampling log-probs, and
 * `setWeights` for new weights from the learner. Create it with `OnnxPolicy.load` or `fromParams`.
 */
export class OnnxPolicy implements Policy {
  readonly stats: OnnxPolicyStats;
  /**
   * `compact` for the built-in model (its own tokenizer and a 1024-position context were made for
   * the compact prompts: a faithful MineSweeper prompt alone is ~1050 tokens); unknown for others.
   */
  promptStyle: 'faithful' | 'compact' | undefined = undefined;
  private version: number;
  private queue: Promise<unknown> = Promise.resolve();
  /** Calls queued behind the one running (a continuous batch takes no new rows while any wait). */
  private waiting = 0;

  private constructor(
    readonly name: string,
    private readonly engine: LmEngine,
    private readonly codec: PromptCodec & LoadedTokenizer,
    private readonly ctx: GenerateContext,
    private readonly defaults: GenerationDefaults,
    private readonly options: OnnxPolicyOptions,
    /** Parameter shapes fed as graph inputs, or null when the weights are baked into the graph. */
    private readonly weightShapes: Record<string, number[]> | null,
    version: number,
  ) {
    this.version = version;
    this.stats = { batchSizes: [], generatedTokens: 0, abortedRows: 0, profile: ctx.profile };
    if (engine.continuous && options.continuous !== false)
      this.generateContinuous = (requests, join) => this.continuous(requests, join);
  }

  /** Load a model directory in the HF ONNX export layout (see model-dir.ts). */
  static async load(dir: string, options: OnnxPolicyOptions = {}): Promise<OnnxPolicy> {
    const md = await readModelDir(dir);
    const tok = await loadTokenizerDir(dir);
    const ours = md.config[LAMER_MODEL_FIELD];
    const weightsPath = join(dir, WEIGHTS_FILE);
    if (options.fastPath !== false && typeof ours === 'object' && ours !== null && existsSync(weightsPath)) {
      const config = modelConfig(ours as Partial<ModelConfig>);
      const file = await readSafetensorsFile(weightsPath);
      const params: Record<string, Float32Array> = {};
      for (const name of Object.keys(paramShapes(config))) {
        const t = file.tensors[name];
        if (t === undefined)
          throw new ModelDirError(`${weightsPath} has no tensor "${name}"; re-export the model`);
        params[name] = toFloat32(t);
      }
      const name = options.name ?? `onnx:${dir}`;
      const source = { kind: 'dir', dir } as const;
      return OnnxPolicy.build(name, { model: config }, params, 0, { ...tok, source }, md.generation, options);
    }
    if (!tok.chatTemplate) {
      throw new ModelDirError(
        `${dir}: tokenizer_config.json has no chat_template; add one (or a chat_template.jinja file)`,
      );
    }
    const s = md.shape;
    const engine = await exportEngine(md, options);
    const codec = { ...tok, chatTemplate: tok.chatTemplate };
    const ctx = contextOf(engine, tok, md.generation, s.vocabSize, s.maxPositions);
    const policy = new OnnxPolicy(
      options.name ?? `onnx:${dir}`,
      engine,
      codec,
      ctx,
      md.generation,
      options,
      null,
      0,
    );
    if (typeof ours === 'object' && ours !== null) policy.promptStyle = 'compact';
    return policy;
  }

  /** The built-in model from its config and weights (what the learner trains), on the fast path. */
  static fromParams(
    config: ModelConfig,
    params: Weights,
    version = 0,
    options: OnnxPolicyOptions = {},
  ): Promise<OnnxPolicy> {
    const g = builtinGenerationConfig();
    const generation: GenerationDefaults = {
      eosTokenIds: g.eos_token_id as number[],
      padTokenId: g.pad_token_id as number | null,
    };
    const spec = { model: modelConfig(config) };
    const tok = { ...loadBuiltinTokenizer(), source: { kind: 'builtin' } as const };
    return OnnxPolicy.build(options.name ?? 'builtin', spec, params, version, tok, generation, options);
  }

  /**
   * A Hugging Face model folder (hf-model.ts): the frozen weights mapped from its files, with LoRA
   * adapters as graph inputs when `lora` is given (`adapters`, default a fresh adapter: the base model),
   * so `setWeights` moves only the adapters; or, with `full`, every weight as a graph input (full
   * fine-tuning: `setWeights` takes the whole model).
   */
  static fromHf(
    model: HfModel,
    options: OnnxPolicyOptions & {
      lora?: LoraConfig;
      adapters?: Weights;
      full?: Weights;
      version?: number;
    } = {},
  ): Promise<OnnxPolicy> {
    const { lora, adapters, full, version = 0, ...rest } = options;
    const frozen = full ? {} : { frozen: { external: model.weights } };
    const spec = { model: model.config, ...frozen, ...(lora && !full ? { lora } : {}) };
    const values = full ?? (lora ? (adapters ?? initLora(model.config, lora, 0)) : null);
    const name = rest.name ?? `hf:${model.dir}`;
    const tok = { ...model.tokenizer, source: { kind: 'dir', dir: model.dir } as const };
    return OnnxPolicy.build(name, spec, values, version, tok, model.generation, rest, 'faithful');
  }

  private static async build(
    name: string,
    spec: WeightSpec,
    params: Weights | null,
    version: number,
    tok: LoadedTokenizer & { source: TokenizerSource },
    generation: GenerationDefaults,
    options: OnnxPolicyOptions,
    style: 'compact' | 'faithful' = 'compact',
  ): Promise<OnnxPolicy> {
    if (!tok.chatTemplate) throw new ModelDirError(`${name}: the tokenizer has no chat template`);
    const config = spec.model;
    const { engine, shapes } = await modelEngine(name, spec, tok.source, options);
    const codec = { ...tok, chatTemplate: tok.chatTemplate };
    const ctx = contextOf(engine, tok, generation, config.vocabSize, config.maxSeqLen);
    const trained = Object.keys(shapes).length > 0 ? shapes : null;
    const policy = new OnnxPolicy(name, engine, codec, ctx, generation, options, trained, version);
    // The built-in model reads compact prompts; a pretrained Hugging Face model the reference's.
    policy.promptStyle = style;
    if (params !== null && trained !== null) await policy.setWeights(params, version);
    return policy;
  }

  /** Version of the weights in use (Generation.policyVersion). */
  get policyVersion(): number {
    return this.version;
  }

  /** Longest sequence (prompt and reply) the model takes, or null when its config does not say. */
  get maxPositions(): number | null {
    return this.ctx.maxPositions;
  }

  /** The tokenizer and chat template this policy renders prompts with (for `trainingTokens`). */
  get promptCodec(): PromptCodec {
    return this.codec;
  }

  /**
   * Load new weights (same names and shapes) without rebuilding the session;
   * generations started after this call use them and report `version`.
   */
  setWeights(params: Weights, version: number): Promise<void> {
    const shapes = this.weightShapes;
    if (shapes === null) {
      return Promise.reject(
        new PolicyError(
          `${this.name}: its weights are baked into its graph (model.onnx, or an hf: model without LoRA); load it again to change them`,
        ),
      );
    }
    const weights: Record<string, WeightTensor> = {};
    for (const [name, dims] of Object.entries(shapes)) {
      const v = params[name];
      const n = dims.reduce((p, x) => p * x, 1);
      if (!(v instanceof Float32Array) || v.length !== n) {
        return Promise.reject(
          new PolicyError(`setWeights: "${name}" must be a Float32Array of ${n} values (shape [${dims}])`),
        );
      }
      weights[name] = { dims, data: v };
    }
    return this.serial(async () => {
      await this.engine.setWeights(weights); // copied into the worker: the caller may keep mutating params
      this.version = version;
    });
  }

  /**
   * Drop the prompt prefixes kept from earlier replies (`prefixCacheBytes`). Replies never depend on
   * the kept prefixes beyond float rounding; a caller that must replay a run bit for bit (training
   * resumed from a checkpoint) starts each phase with this, so every phase starts from the same state.
   */
  resetPrefixCache(): Promise<void> {
    return this.serial(() => this.engine.forgetPrefixes());
  }

  generate(requests: GenerationRequest[], signal?: AbortSignal): Promise<Generation[]> {
    if (requests.length === 0) return Promise.resolve([]);
    // A request the model cannot take (bad settings, a prompt too long) fails alone, before queueing:
    // its generation is an error naming why, the others run (the call rejects when none can).
    let rows: (RowRequest | PolicyError)[];
    try {
      rows = requests.map((r) => this.rowOrRefusal(r));
    } catch (error) {
      return Promise.reject(error);
    }
    const refused = rows.filter((row) => row instanceof PolicyError);
    if (refused.length === rows.length) return Promise.reject(refused[0]);
    return this.serial(async () => {
      signal?.throwIfAborted();
      const version = this.version;
      // Requests withdrawn while queued never enter the batch; the others leave it when they abort (generate.ts).
      const live = rows.flatMap((row, i) => (row instanceof PolicyError || row.signal?.aborted ? [] : [i]));
      const results: (RowResult | undefined)[] = [];
      if (live.length > 0) {
        this.stats.batchSizes.push(live.length);
        const out = await generateRows(
          this.ctx,
          live.map((i) => rows[i] as RowRequest),
        );
        live.forEach((i, k) => {
          results[i] = out[k];
        });
      }
      return rows.map((row, i): Generation => {
        if (row instanceof PolicyError) return refusalOf(row, version);
        const r = results[i] ?? { tokens: [], logprobs: [], text: '', finishReason: 'abort' };
        this.count(r);
        return generationOf(row, r, version);
      });
    });
  }

  /**
   * A continuous batch (the Policy contract's `generateContinuous`, continuous.ts): rows answered as
   * they end, the requests `join` answers with added to the running batch at its next step. Only with
   * the in-place cache (the built-in model, `fromHf`); undefined for a loaded HF-layout export.
   */
  readonly generateContinuous?: (requests: GenerationRequest[], join: JoinRequests) => Promise<void>;

  private continuous(requests: GenerationRequest[], join: JoinRequests): Promise<void> {
    if (requests.length === 0) return Promise.resolve();
    return this.serial(async () => {
      const host = {
        ctx: this.ctx,
        version: this.version,
        rowOf: (r: GenerationRequest) => this.rowOrRefusal(r),
        open: () => this.waiting === 0,
        count: (r: RowResult) => this.count(r),
        ran: (rows: number) => this.stats.batchSizes.push(rows),
      };
      await runContinuous(host, requests, join);
    });
  }

  private count(r: RowResult): void {
    this.stats.generatedTokens += r.tokens.length;
    if (r.finishReason === 'abort') this.stats.abortedRows++;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    this.waiting++;
    const start = () => {
      this.waiting--;
      return work();
    };
    const run = this.queue.then(start, start);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The request's row, or why the model cannot take it (rowRequest's PolicyError). */
  private rowOrRefusal(request: GenerationRequest): RowRequest | PolicyError {
    try {
      return this.rowOf(request);
    } catch (error) {
      if (error instanceof PolicyError) return error;
      throw error;
    }
  }

  private rowOf(request: GenerationRequest): RowRequest {
    const fallback = { maxTokens: this.options.maxTokens ?? 1024, seed: this.options.seed ?? 0 };
    return rowRequest(request, this.codec, this.defaults, fallback, this.ctx.maxPositions);
  }

  /** Stop the worker thread. */
  dispose(): Promise<void> {
    return this.engine.dispose();
  }
}
