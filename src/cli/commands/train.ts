/**
 * `lamer train`: the training job (src/train/). Flags override the config
 * file, which overrides the preset.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { ExecutionProvider } from '../../learner/providers.js';
import { DEFAULT_LIVE_PORT, livePort, parseLivePort, withLiveServer } from '../../live/cli.js';
import { ALGOS, loadTrainConfig, PRESETS, type TrainConfigInput } from '../../train/config.js';
import { runFinalEvaluation } from '../../train/final-eval.js';
import { runTraining } from '../../train/loop.js';
import { example } from './help.js';
import { parsePositiveIntOption, parseSeedOption, providerOption } from './options.js';

export interface CommonOptions {
  env: string;
  config?: string;
  preset: string;
  out?: string;
  seed?: number;
  steps?: number;
  games?: string;
}

/** Options shared by `train` and `pretrain`. */
export function trainCommonOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--env <env>', 'minesweeper or sokoban (any registered env with a solver)')
    .option('--config <file.json>', 'a JSON config merged over the preset (see README, "Training")')
    .addOption(
      new Option('--preset <name>', 'config preset (default quick, or hf-lora with --model hf:DIR)').choices([
        ...PRESETS,
      ]),
    )
    .option('--seed <s>', 'seed of everything (weights, tasks, sampling)', parseSeedOption)
    .option('--games <dir>', 'ALFWorld: train on the real game files under DIR (config envParams.games)');
}

type TrainCliOptions = CommonOptions & {
  algo: string;
  resume?: boolean;
  restart?: boolean;
  live?: number | boolean;
  model?: string;
  lora?: number;
  fullFinetune?: boolean;
  rollout?: string;
  rolloutDir?: string;
  provider?: ExecutionProvider;
};

/** `--model hf:DIR` with `--lora R` / `--full-finetune` as the config's `hf` field. */
function hfOverrides(opts: TrainCliOptions): TrainConfigInput['hf'] | undefined {
  const spec = opts.model ?? 'builtin';
  if (spec === 'builtin') {
    if (opts.lora !== undefined || opts.fullFinetune)
      throw new InvalidArgumentError('--lora and --full-finetune apply to --model hf:DIR');
    return undefined;
  }
  if (!spec.startsWith('hf:') || spec.length === 3)
    throw new InvalidArgumentError(`--model: expected builtin or hf:DIR, got "${spec}"`);
  if (opts.lora !== undefined && opts.fullFinetune)
    throw new InvalidArgumentError('--lora and --full-finetune exclude each other');
  // Partial: the config merges HF_DEFAULTS under it (presets.ts).
  return {
    dir: spec.slice(3),
    ...(opts.fullFinetune ? { finetune: 'full' as const } : {}),
    ...(opts.lora !== undefined ? { lora: { rank: opts.lora, alpha: 2 * opts.lora } } : {}),
  } as TrainConfigInput['hf'];
}

export function registerTrainCommand(program: Command): void {
  trainCommonOptions(
    program
      .command('train')
      .description(
        'train the built-in model or a Hugging Face model (LoRA) with LaMer or an RL baseline; writes report.json and report.html',
      ),
  )
    .option(
      '--model <spec>',
      'builtin (default), or hf:DIR: a Hugging Face model folder (Llama, Qwen2, Qwen3 safetensors) fine-tuned from its pretrained weights',
    )
    .option(
      '--lora <rank>',
      'with --model hf:DIR, the LoRA rank (default 16; alpha = 2 × rank)',
      parsePositiveIntOption,
    )
    .option('--full-finetune', 'with --model hf:DIR, train every weight instead of LoRA adapters')
    .option(
      '--rollout <spec>',
      'with --model hf:DIR, sample rollouts from servers of that model (openai:URL[,URL...]#MODEL: vLLM with ' +
        "--enable-lora, or lamer serve --enable-lora); each step's LoRA adapter is pushed to them",
    )
    .option(
      '--rollout-dir <dir>',
      "with --rollout, the run's adapters folder (<out>/adapters) as the servers see it (default: its path here)",
    )
    .addOption(
      providerOption(
        'onnxruntime execution provider of the rollout policy and the trainer (default cpu; config `provider`): cuda or webgpu must be installed (README, "Install notes")',
      ),
    )
    .addOption(new Option('--algo <algo>', 'algorithm').choices([...ALGOS]).default('lamer'))
    .addHelpText(
      'after',
      example(
        'lamer train --env minesweeper',
        'lamer train --env minesweeper --algo gigpo --steps 10 --live',
        'lamer train --env minesweeper --model hf:./SmolLM2-135M-Instruct --lora 16 --out runs/smol',
      ),
    )
    .option('--steps <n>', 'training steps', parsePositiveIntOption)
    .option('--out <dir>', 'output folder (default runs/train-<env>-<algo>-s<seed>)')
    .option('--resume', 'continue from the newest usable checkpoint in the output folder (none: an error)')
    .option(
      '--restart',
      "discard the output folder's checkpoints, history and report and start over (with --resume: only when nothing can be resumed)",
    )
    .option(
      '--live [port]',
      `serve live metrics (dashboard, SSE /events, /history) on 127.0.0.1:PORT (default ${DEFAULT_LIVE_PORT})`,
      parseLivePort,
    )
    .action(async (opts: TrainCliOptions) => {
      const overrides: TrainConfigInput = { env: opts.env, algo: opts.algo as TrainConfigInput['algo'] };
      const hf = hfOverrides(opts);
      if (hf) overrides.hf = hf;
      if (opts.rollout !== undefined)
        overrides.rollout = {
          policy: opts.rollout,
          ...(opts.rolloutDir !== undefined ? { serverDir: opts.rolloutDir } : {}),
        };
      else if (opts.rolloutDir !== undefined)
        throw new InvalidArgumentError('--rollout-dir applies to --rollout');
      if (opts.provider !== undefined) overrides.provider = opts.provider;
      if (opts.seed !== undefined) overrides.seed = opts.seed;
      if (opts.steps !== undefined) overrides.steps = opts.steps;
      if (opts.out !== undefined) overrides.out = opts.out;
      if (opts.games !== undefined) overrides.envParams = { games: opts.games };
      const config = loadTrainConfig({
        preset: opts.preset ?? (hf ? 'hf-lora' : 'quick'),
        ...(opts.config ? { file: opts.config } : {}),
        overrides,
      });
      const io = { out: process.stdout };
      await withLiveServer(livePort(opts.live), process.stdout, async (liveLog) => {
        const { out } = await runTraining(config, {
          io,
          resume: opts.resume === true,
          restart: opts.restart === true,
          ...(liveLog ? { liveLog } : {}),
        });
        if (config.finalEval) await runFinalEvaluation(config, out, io);
      });
    });
}
