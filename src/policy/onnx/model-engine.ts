/**
 * The generation engine of a model we build ourselves (the built-in model, or
 * a Hugging Face folder): its prefill graph (last-position logits) and
 * decode-step graph compiled from the one model definition, with the weights
 * as the spec says (graph inputs; frozen external data mapped from the
 * checkpoint, LoRA adapters as inputs), in a worker thread (which loads the
 * tokenizer from `tokenizer` for stop strings). Returns the
 * engine and the shapes of the weights `setWeights` feeds (none for a frozen
 * model without adapters).
 */
import * as G from '../../learner/graph/index.js';
import { buildInferenceGraph } from '../../learner/inference.js';
import { loraShapes } from '../../learner/lora.js';
import { paramShapes } from '../../learner/model.js';
import type { SessionSettings } from '../../learner/session-core.js';
import { type WeightSpec, weightSettings } from '../../learner/weights.js';
import { buildDecodeGraph } from './decode-graph.js';
import { LmEngine } from './engine.js';
import { checkGraphNames } from './model-dir.js';
import type { TokenizerSource } from './protocol.js';

export interface EngineOptions extends SessionSettings {
  /** Decode with the fixed-capacity in-place cache graph (default true). */
  inPlaceCache?: boolean;
  prefillBudgetBytes: number;
  prefillGroupRows: number;
  /** A prefill run's fixed work in prompt tokens, weighed against padding where groups are cut (prefill-groups.ts). */
  prefillPassTokens: number;
  /** Bytes of finished sequences' keys/values kept for later prompts (prefix-store.ts; 0: none). */
  prefixCacheBytes: number;
}

export async function modelEngine(
  name: string,
  spec: WeightSpec,
  tokenizer: TokenizerSource,
  options: EngineOptions,
): Promise<{ engine: LmEngine; shapes: Record<string, number[]> }> {
  const config = spec.model;
  const f = spec.frozen;
  const weights =
    f === undefined
      ? { weights: 'inputs' as const }
      : 'external' in f
        ? { weights: 'external' as const, external: f.external }
        : { weights: 'initializers' as const, values: f.values };
  const lora = spec.lora ? { lora: spec.lora } : {};
  const bytes = G.compileGraph(
    buildInferenceGraph(config, {
      ...weights,
      ...lora,
      logits: 'last',
      newKv: true,
      // the worker's layout (prefill.ts, hf-cache.ts); the decode step's norms: the same attention in
      // fewer kernels (a prompt pass 5–11% faster, d64×2 model)
      leftPadded: true,
      fusedNorms: true,
    }),
  );
  const decode = options.inPlaceCache === false ? undefined : G.compileGraph(buildDecodeGraph(spec));
  const {
    inPlaceCache: _inPlace,
    prefillBudgetBytes,
    prefillGroupRows,
    prefillPassTokens,
    prefixCacheBytes,
    ...settings
  } = options;
  const engine = await LmEngine.create(
    bytes,
    { ...settings, ...weightSettings(spec) },
    {
      nLayers: config.nLayers,
      kvHeads: config.nKvHeads,
      headDim: config.headDim,
      vocabSize: config.vocabSize,
      heads: config.nHeads,
      positionIds: true,
      prefillBudgetBytes,
      prefillGroupRows,
      prefillPassTokens,
      prefixCacheBytes,
    },
    tokenizer,
    decode,
  );
  const shapes = spec.lora ? loraShapes(config, spec.lora) : f === undefined ? paramShapes(config) : {};
  try {
    checkGraphNames(
      name,
      engine.inputNames,
      engine.outputNames,
      config.nLayers,
      new Set(Object.keys(shapes)),
    );
  } catch (error) {
    await engine.dispose();
    throw error;
  }
  return { engine, shapes };
}
