/**
 * `lamer export RUN`: what a run on a Hugging Face model trained, as files
 * other tools load. `<run>/hf-run.json` (written when the run starts) names
 * the base folder. LoRA runs: the adapter folder (PEFT, `<run>/adapter`,
 * refreshed at every checkpoint) as it is, or `--merge`: a complete Hugging
 * Face folder with W + (alpha / r) · B A folded into the weights, in the base
 * checkpoint's dtype, with its config and tokenizer files (transformers and
 * vLLM load it). Full fine-tuning runs: the newest checkpoint's weights,
 * written the same way.
 */
import { existsSync } from 'node:fs';
import { cp, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../learner/atomic-write.js';
import { loadLatestCheckpoint } from '../learner/checkpoint.js';
import { ADAPTER_CONFIG, readPeftAdapter } from '../learner/hf/peft.js';
import { readHfParams, SAFETENSORS_INDEX } from '../learner/hf/weights.js';
import { type HfDtype, writeHfFolder } from '../learner/hf/write.js';
import { mergeLora } from '../learner/lora.js';
import { paramShapes } from '../learner/model.js';
import { f32Arrays, f32Spec } from '../learner/safetensors.js';
import { readHfModel } from '../policy/onnx/hf-model.js';
import { ConfigError } from '../util/errors.js';

/** `<run>/hf-run.json`: written when a run on a Hugging Face model starts; names the base folder and the fine-tuning kind. */
export const HF_RUN_FILE = 'hf-run.json';

/** The contents of {@link HF_RUN_FILE}. */
export interface HfRunInfo {
  /** The base model folder (as given to `--model hf:DIR`). */
  base: string;
  finetune: 'lora' | 'full';
}

export async function writeHfRunInfo(out: string, info: HfRunInfo): Promise<void> {
  await writeFileAtomic(join(out, HF_RUN_FILE), `${JSON.stringify(info, null, 2)}\n`);
}

/** Options of {@link exportRun}: merge the adapter into the weights or copy it, the base folder, shard size. */
export interface ExportOptions {
  /** Fold the adapter into the weights and write a full model folder (default: copy the adapter folder). */
  merge?: boolean;
  /** The base folder, when not the one the run recorded (e.g. moved since). */
  base?: string;
  /** Shard the merged weights into files of at most this many bytes (default 2 GiB). */
  shardBytes?: number;
}

async function runInfo(run: string, base: string | undefined): Promise<HfRunInfo> {
  const path = join(run, HF_RUN_FILE);
  if (!existsSync(path)) {
    if (existsSync(join(run, ADAPTER_CONFIG)) && base) return { base, finetune: 'lora' };
    throw new ConfigError(
      `${run} has no ${HF_RUN_FILE}: give the output folder of a \`lamer train --model hf:DIR\` run ` +
        '(or an adapter folder with --base DIR)',
    );
  }
  const info = JSON.parse(await readFile(path, 'utf8')) as HfRunInfo;
  return base ? { ...info, base } : info;
}

/** Files of the base folder that travel with the weights: tokenizer, chat template, generation config. */
async function companionFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of await readdir(dir)) {
    if (f.endsWith('.safetensors') || f === SAFETENSORS_INDEX || f === 'config.json' || f.startsWith('.'))
      continue;
    if ((await stat(join(dir, f))).isFile()) out.push(join(dir, f));
  }
  return out;
}

/** Export a run (see the module doc); returns what was written. */
export async function exportRun(run: string, out: string, options: ExportOptions = {}): Promise<string> {
  const info = await runInfo(run, options.base);
  const adapterDir = existsSync(join(run, ADAPTER_CONFIG)) ? run : join(run, 'adapter');
  if (info.finetune === 'lora' && !options.merge) {
    if (!existsSync(join(adapterDir, ADAPTER_CONFIG)))
      throw new ConfigError(`${run} has no adapter folder yet: it is written at the run's first checkpoint`);
    await cp(adapterDir, out, { recursive: true });
    return `LoRA adapter (PEFT) of ${info.base} in ${out}`;
  }
  const m = await readHfModel(info.base);
  let params: Record<string, Float32Array>;
  if (info.finetune === 'lora') {
    const adapter = await readPeftAdapter(adapterDir, m.config);
    params = mergeLora(m.config, adapter.lora, await readHfParams(m.checkpoint), adapter.adapters);
  } else {
    const found = await loadLatestCheckpoint(join(run, 'checkpoints'), {
      expected: f32Spec(paramShapes(m.config)),
    });
    if (!found) throw new ConfigError(`${run}/checkpoints holds no complete checkpoint to export`);
    params = f32Arrays(found.checkpoint.params);
  }
  const original = JSON.parse(await readFile(join(info.base, 'config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const dtype = (['F32', 'BF16', 'F16'].includes(m.checkpoint.dtype) ? m.checkpoint.dtype : 'F32') as HfDtype;
  const bytes = Object.values(params).reduce((n, p) => n + p.length * (dtype === 'F32' ? 4 : 2), 0);
  await writeHfFolder(out, {
    config: m.config,
    params,
    dtype,
    shards: Math.max(1, Math.ceil(bytes / (options.shardBytes ?? 2 ** 31))),
    configExtra: original,
    copyFiles: await companionFiles(info.base),
  });
  return `${info.finetune === 'lora' ? 'merged model' : 'fine-tuned model'} (${dtype}) of ${info.base} in ${out}`;
}
