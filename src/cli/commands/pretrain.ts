/**
 * `lamer pretrain`: make the warm-start model (src/train/warmstart.ts).
 */
import type { Command } from 'commander';
import { checkOutputDir } from '../../learner/trainer/preflight.js';
import { loadTrainConfig, type TrainConfigInput } from '../../train/config.js';
import { pretrain } from '../../train/warmstart.js';
import { example } from './help.js';
import { parsePositiveIntOption } from './options.js';
import { type CommonOptions, trainCommonOptions } from './train.js';

export function registerPretrainCommand(program: Command): void {
  trainCommonOptions(
    program
      .command('pretrain')
      .description(
        'make the warm-start model: supervised learning on noisy expert play and rule reflections',
      ),
  )
    .option('--steps <n>', 'supervised steps', parsePositiveIntOption)
    .addHelpText('after', example('lamer pretrain --env minesweeper --steps 200'))
    .option(
      '--out <dir>',
      'warm-start folder (default runs/warmstart/<env>-<envPreset>-d<width>x<layers>-s<seed>-<hash>)',
    )
    .action(async (opts: CommonOptions) => {
      const overrides: TrainConfigInput = { env: opts.env, warmStart: {} };
      if (opts.seed !== undefined) overrides.seed = opts.seed;
      if (opts.steps !== undefined) overrides.warmStart!.steps = opts.steps;
      if (opts.out !== undefined) overrides.warmStart!.dir = opts.out;
      if (opts.games !== undefined) overrides.envParams = { games: opts.games };
      const config = loadTrainConfig({
        preset: opts.preset,
        ...(opts.config ? { file: opts.config } : {}),
        overrides,
      });
      // the folder is written only after minutes of data collection and training: check it first
      if (config.warmStart.dir !== undefined) await checkOutputDir(config.warmStart.dir, 0);
      await pretrain(config, { out: process.stdout });
    });
}
