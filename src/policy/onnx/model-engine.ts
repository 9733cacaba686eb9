/**
 * The generation engine of a model: one we compile ourselves (`modelEngine`: the built-in model, or
 * a Hugging Face folder with its base as external data and LoRA adapters as inputs), its prefill
 * graph (last-position logits) and decode-step graph compiled from the one model definition, with the
 * weights as the spec says (graph inputs; frozen external data mapped from the checkpoint, LoRA
 * adapters as inputs); or an export's model.onnx (`exportEngine`, the HF layout). Each runs in a
 * worker thread (which loads the tokenizer from `tokenizer` for stop strings), with the policy's
 * options turned into session settings and a batching layout (options.ts).
 */
import * as G from '../../learner/graph/index.js';
import { buildInferenceGraph } from '../../learner/inference.js';
import { loraShapes } from '../../learner/lora.js';
import { paramShapes } from '../../learner/model.js';
import { type WeightSpec, weightSettings } from '../../learner/weights.js';
import { buildDecodeGraph } from './decode-graph.js';
import { LmEngine } from './engine.js';
import { checkGraphNames, type ModelDir, ModelDirError } from './model-dir.js';
import { batchLayout, engineSettings, type OnnxPolicyOptions } from './options.js';
import type { TokenizerSource } from './protocol.js';

/** A model we build: the engine and the shapes of the weights `setWeights` feeds (none for a frozen model without adapters). */
export async function modelEngine(
  name: string,
  spec: WeightSpec,
  tokenizer: TokenizerSource,
  options: OnnxPolicyOptions,
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
  const settings = { ...engineSettings(options, config.dModel), ...weightSettings(spec) };
  const bytes = G.compileGraph(
    buildInferenceGraph(config, {
      ...weights,
      ...lora,
      logits: 'last',
      // the last layer on the last positions alone where that gives the same bits (one CPU thread)
      lastOnly: (settings.provider ?? 'cpu') === 'cpu' && settings.intraOpNumThreads === 1,
      newKv: true,
      // the worker's layout (prefill.ts, hf-cache.ts): the same attention in fewer kernels (a prompt
      // pass up to 8% faster, d64×2 model). Not the decode step's fused norms: ~5% more, but their
      // ~1e-7 rounding moved a draw of the seeded main job at its step 8 (docs/experiments.md)
      leftPadded: true,
    }),
  );
  const decode = options.inPlaceCache === false ? undefined : G.compileGraph(buildDecodeGraph(spec));
  const kv = { nLayers: config.nLayers, kvHeads: config.nKvHeads, headDim: config.headDim };
  const engine = await LmEngine.create(
    bytes,
    settings,
    {
      ...kv,
      vocabSize: config.vocabSize,
      heads: config.nHeads,
      positionIds: true,
      ...batchLayout(options, kv),
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

/**
 * An export's model.onnx (HF layout) in a worker; refused (the worker stopped) when its inputs and
 * outputs are not the layout's or it takes no position ids.
 */
export async function exportEngine(md: ModelDir, options: OnnxPolicyOptions): Promise<LmEngine> {
  const s = md.shape;
  const engine = await LmEngine.create(
    md.modelPath,
    engineSettings(options),
    {
      nLayers: s.nLayers,
      kvHeads: s.kvHeads,
      headDim: s.headDim,
      vocabSize: s.vocabSize,
      heads: s.heads,
      positionIds: true,
      ...batchLayout(options, s),
    },
    { kind: 'dir', dir: md.dir },
  );
  let positionIds: boolean;
  try {
    positionIds = checkGraphNames(md.modelPath, engine.inputNames, engine.outputNames, s.nLayers).positionIds;
  } catch (error) {
    await engine.dispose();
    throw error;
  }
  if (!positionIds) {
    await engine.dispose();
    throw new ModelDirError(
      `${md.modelPath}: exports without a position_ids input are not supported; re-export with it`,
    );
  }
  return engine;
}
