/**
 * `lamer pretrain`: make the warm-start model (src/train/warmstart.ts).
 */
import type { Command } from 'commander';
import type { ExecutionProvider } from '../../learner/providers.js';
import { checkOutputDir } from '../../learner/trainer/preflight.js';
import { loadTrainConfig, type TrainConfigInput } from '../../train/config.js';
import { line } from '../../train/progress.js';
import { checkShipName, shipWarmStart } from '../../train/shipped.js';
import { loadWarmStart, pretrain } from '../../train/warmstart.js';
import { example } from './help.js';
import { parsePositiveIntOption, providerOption } from './options.js';
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
    .addOption(
      providerOption(
        'onnxruntime execution provider of the warm start\'s trainer and validation policy (default cpu; config `provider`): cuda or webgpu must be installed (README, "Install notes")',
      ),
    )
    .option(
      '--ship <name>',
      'in a clone: also copy the warm start into the package (src/policy/assets/warmstart/<name>/) with this command; a finished warm start of the same settings is shipped as it is',
    )
    .action(async (opts: CommonOptions & { ship?: string; provider?: ExecutionProvider }) => {
      const overrides: TrainConfigInput = { env: opts.env, warmStart: {} };
      if (opts.provider !== undefined) overrides.provider = opts.provider;
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
      if (opts.ship !== undefined) checkShipName(opts.ship);
      const io = { out: process.stdout };
      const warm = (opts.ship ? await loadWarmStart(config, io) : null) ?? (await pretrain(config, io));
      if (opts.ship) {
        const flags: Array<[string, unknown]> = [
          ['env', opts.env],
          ['preset', opts.preset],
          ['seed', opts.seed],
          ['config', opts.config],
          ['steps', opts.steps],
          ['games', opts.games],
          ['out', opts.out],
          ['ship', opts.ship],
        ];
        const command = `npx lamer pretrain${flags.map(([k, v]) => (v === undefined ? '' : ` --${k} ${v}`)).join('')}`;
        line(io, `shipped: ${await shipWarmStart(config, warm, opts.ship, command)}`);
      }
    });
}
