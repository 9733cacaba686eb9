/**
 * `lamer export RUN --out DIR [--merge]`: a `lamer train --model hf:DIR` run as files other tools load
 * (src/train/export.ts): its LoRA adapter in PEFT format, or with --merge a complete Hugging Face
 * model folder with the adapter folded in (base dtype, config and tokenizer files).
 */
import type { Command } from 'commander';
import { example } from './help.js';

interface ExportCliOptions {
  out: string;
  merge?: boolean;
  base?: string;
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description(
      'write what a `lamer train --model hf:DIR` run trained: its LoRA adapter (PEFT), or with --merge a complete HF model folder',
    )
    .argument('<run>', 'the run folder (lamer train --out), or an adapter folder with --base')
    .requiredOption('--out <dir>', 'output folder')
    .option(
      '--merge',
      'fold the adapter into the weights: a full Hugging Face folder for transformers / vLLM',
    )
    .option('--base <dir>', 'the base model folder, when not the one the run recorded (hf-run.json)')
    .addHelpText(
      'after',
      example('lamer export runs/smol --out smol-adapter', 'lamer export runs/smol --merge --out smol-lamer'),
    )
    .action(async (run: string, opts: ExportCliOptions) => {
      const { exportRun } = await import('../../train/export.js');
      const what = await exportRun(run, opts.out, {
        ...(opts.merge ? { merge: true } : {}),
        ...(opts.base !== undefined ? { base: opts.base } : {}),
      });
      process.stdout.write(`lamer export: ${what}\n`);
    });
}
