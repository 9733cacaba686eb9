/**
 * `lamer train`: the training job (src/train/). Flags override the config
 * file, which overrides the preset.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_LIVE_PORT, livePort, parseLivePort, withLiveServer } from '../../live/cli.js';
import { ALGOS, loadTrainConfig, PRESETS, type TrainConfigInput } from '../../train/config.js';
import { runTraining } from '../../train/loop.js';
import { example } from './help.js';
import { parseIntOption, parsePositiveIntOption } from './options.js';

export interface CommonOptions {
  env: string;
  config?: string;
  preset: string;
  out?: string;
  seed?: number;
  steps?: number;
  games?: string;
}

function nonNegative(value: string): number {
  const n = parseIntOption(value);
  if (n < 0) throw new InvalidArgumentError(`expected an integer >= 0, got "${value}"`);
  return n;
}

/** Options shared by `train` and `pretrain`. */
export function trainCommonOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--env <env>', 'minesweeper or sokoban (any registered env with a solver)')
    .option('--config <file.json>', 'a JSON config merged over the preset (see README, "Training")')
    .addOption(new Option('--preset <name>', 'config preset').choices([...PRESETS]).default('quick'))
    .option('--seed <s>', 'seed of everything (weights, tasks, sampling)', nonNegative)
    .option('--games <dir>', 'ALFWorld: train on the real game files under DIR (config envParams.games)');
}

export function registerTrainCommand(program: Command): void {
  trainCommonOptions(
    program
      .command('train')
      .description(
        'train the built-in model with LaMer or an RL baseline; writes report.json and report.html',
      ),
  )
    .addOption(new Option('--algo <algo>', 'algorithm').choices([...ALGOS]).default('lamer'))
    .addHelpText(
      'after',
      example(
        'lamer train --env minesweeper',
        'lamer train --env minesweeper --algo gigpo --steps 10 --live',
      ),
    )
    .option('--steps <n>', 'training steps', parsePositiveIntOption)
    .option('--out <dir>', 'output folder (default runs/train-<env>-<algo>-s<seed>)')
    .option('--resume', 'continue from the newest checkpoint in the output folder')
    .option(
      '--live [port]',
      `serve live metrics (dashboard, SSE /events, /history) on 127.0.0.1:PORT (default ${DEFAULT_LIVE_PORT})`,
      parseLivePort,
    )
    .action(async (opts: CommonOptions & { algo: string; resume?: boolean; live?: number | boolean }) => {
      const overrides: TrainConfigInput = { env: opts.env, algo: opts.algo as TrainConfigInput['algo'] };
      if (opts.seed !== undefined) overrides.seed = opts.seed;
      if (opts.steps !== undefined) overrides.steps = opts.steps;
      if (opts.out !== undefined) overrides.out = opts.out;
      if (opts.games !== undefined) overrides.envParams = { games: opts.games };
      const config = loadTrainConfig({
        preset: opts.preset,
        ...(opts.config ? { file: opts.config } : {}),
        overrides,
      });
      await withLiveServer(livePort(opts.live), process.stdout, (liveLog) =>
        runTraining(config, {
          io: { out: process.stdout },
          resume: opts.resume === true,
          ...(liveLog ? { liveLog } : {}),
        }),
      );
    });
}
