/**
 * Warm starts shipped with the package (`src/policy/assets/warmstart/<name>/`, copied to `dist/`
 * by `npm run build`), so the main job can spend its minutes on RL instead of on a supervised warm
 * start. A folder holds `model.safetensors` (the parameters, F32, Hugging Face Llama names) and
 * `warmstart.json` (the WarmStartReport of the run that made it, with its key — the hash of every
 * setting it depends on, the tokenizer fingerprint included — and the exact command that made it).
 * `ensureWarmStart` (warmstart.ts) uses one only when its key equals the config's, so another seed,
 * model or prompt wording trains its own. `lamer pretrain --ship NAME` (in a clone) writes one.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../learner/atomic-write.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../learner/checkpoint.js';
import { paramShapes } from '../learner/model.js';
import { f32Arrays, f32Spec, f32Tensors } from '../learner/safetensors.js';
import { ConfigError } from '../util/errors.js';
import type { TrainConfig } from './config.js';
import type { WarmStart, WarmStartReport } from './warmstart.js';
import { modelOf, tokenizerFingerprint, WARMSTART_REPORT, warmStartKey } from './warmstart-key.js';

/** The shipped warm starts' folder (next to the tokenizer assets, in src/ and in dist/). */
export const SHIPPED_ROOT = fileURLToPath(new URL('../policy/assets/warmstart/', import.meta.url));
/** The parameters' file in a shipped folder. */
export const SHIPPED_MODEL = 'model.safetensors';

/** A shipped warm start's report: the WarmStartReport plus how it was made. */
export interface ShippedReport extends WarmStartReport {
  /** The command that made it (from a clean checkout of the commit that shipped it). */
  command: string;
}

async function readShippedReport(path: string): Promise<ShippedReport> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ShippedReport;
  } catch (error) {
    throw new ConfigError(`${path}: a shipped warm start's report that is not JSON; reinstall the package`, {
      cause: error,
    });
  }
}

/** The shipped warm start under `root` whose key and tokenizer are the config's, or null. */
export async function findShippedWarmStart(
  c: TrainConfig,
  root = SHIPPED_ROOT,
): Promise<(WarmStart & { report: ShippedReport }) | null> {
  if (!existsSync(root)) return null;
  const key = warmStartKey(c);
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    const reportPath = join(dir, WARMSTART_REPORT);
    if (!existsSync(reportPath)) continue;
    const report = await readShippedReport(reportPath);
    if (report.key !== key || report.tokenizer !== tokenizerFingerprint()) continue;
    const file = await readSafetensorsFile(join(dir, SHIPPED_MODEL), {
      expected: f32Spec(paramShapes(modelOf(c))),
    });
    return { dir, params: f32Arrays(file.tensors), report };
  }
  return null;
}

/** A shipped folder's name: letters, digits, '-', '_' or '.' (not first); a ConfigError otherwise. */
export function checkShipName(name: string): void {
  if (!/^[\w-][\w.-]*$/.test(name))
    throw new ConfigError(
      `--ship ${name}: expected a folder name of letters, digits, '-', '_' or '.' (not first)`,
    );
}

/**
 * Ship the finished warm start `warm` of config `c`: its parameters and report, with the command
 * that made it, into `root/name/`. Returns that folder.
 */
export async function shipWarmStart(
  c: TrainConfig,
  warm: WarmStart,
  name: string,
  command: string,
  root = SHIPPED_ROOT,
): Promise<string> {
  checkShipName(name);
  const key = warmStartKey(c);
  if (warm.report.key !== key)
    throw new ConfigError(
      `${warm.dir} was made with other settings (key ${warm.report.key}, this config ${key})`,
    );
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const shapes = paramShapes(modelOf(c));
  await writeSafetensorsFile(join(dir, SHIPPED_MODEL), f32Tensors(warm.params, shapes), { format: 'pt' });
  const report: ShippedReport = { ...warm.report, command };
  await writeFileAtomic(join(dir, WARMSTART_REPORT), `${JSON.stringify(report, null, 2)}\n`);
  return dir;
}
