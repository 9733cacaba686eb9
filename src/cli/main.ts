/**
 * The `lamer` command line. Each subcommand lives in `commands/<name>.ts` and
 * registers itself on the commander program; `main` returns the exit code
 * (no `process.exit` in src/).
 */
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { LamerError } from '../util/errors.js';
import { applyEngineV8Flags } from '../util/v8-flags.js';
import { registerEnvsCommand } from './commands/envs.js';
import { registerEvalCommand } from './commands/eval.js';
import { registerExportCommand } from './commands/export.js';
import { example } from './commands/help.js';
import { registerPlayCommand } from './commands/play.js';
import { registerPretrainCommand } from './commands/pretrain.js';
import { registerServeCommand } from './commands/serve.js';
import { registerTrainCommand } from './commands/train.js';

export function buildProgram(): Command {
  const program = new Command('lamer')
    .description('Meta-RL training and evaluation of language agents (LaMer)')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      example(
        'lamer envs',
        'lamer train --env minesweeper',
        'lamer eval --env minesweeper --policy expert --json',
      ) + "\nRun `lamer <command> --help` for a command's options and examples.\n",
    )
    .exitOverride();
  registerEnvsCommand(program);
  registerPlayCommand(program);
  registerEvalCommand(program);
  registerPretrainCommand(program);
  registerTrainCommand(program);
  registerServeCommand(program);
  registerExportCommand(program);
  return program;
}

/** Run the CLI on `argv` (as `process.argv`); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  applyEngineV8Flags();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    // --help and --version exit 0; every usage error (unknown option, bad value, missing argument) 2
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof LamerError) {
      console.error(`lamer: ${error.message}`);
      return error.exitCode;
    }
    throw error;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv);
}
