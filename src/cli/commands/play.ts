/**
 * `lamer play <env>`: a person plays in the terminal (see PlaySession).
 */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { registerBuiltinEnvs } from '../../envs/builtin.js';
import { getEnv, resolveParams } from '../../envs/core/registry.js';
import type { Json } from '../../envs/core/types.js';
import { PlaySession } from '../play-session.js';
import { example } from './help.js';
import { parseSeedOption, parseSetOptions } from './options.js';

interface PlayOptions {
  seed: number;
  preset?: string;
  set: string[];
  games?: string;
}

export function registerPlayCommand(program: Command): void {
  program
    .command('play')
    .description('play an environment in the terminal, typing actions as the LLM would')
    .argument('<env>', 'env id or alias (see `lamer envs`)')
    .addHelpText('after', example('lamer play minesweeper --seed 3', 'lamer play sokoban --preset 8x8-3'))
    .option('--seed <n>', 'task seed', parseSeedOption, 0)
    .option('--preset <name>', 'difficulty preset (see `lamer envs`)')
    .option('--set <key=value...>', 'override a param (value parsed as JSON when possible)', collect, [])
    .option('--games <dir>', 'ALFWorld: play the real game files under DIR (same as --set games=DIR)')
    .action(async (envName: string, opts: PlayOptions) => {
      registerBuiltinEnvs();
      const env = getEnv(envName);
      const overrides = {
        ...parseSetOptions(opts.set),
        ...(opts.games !== undefined ? { games: opts.games } : {}),
      };
      const params = resolveParams(env, opts.preset, overrides) as Json;
      const session = new PlaySession({ envId: env.id, params, seed: opts.seed });
      await runInteractive(session);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function runInteractive(session: PlaySession): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  console.log(session.intro());
  try {
    for await (const line of rl) {
      console.log(session.handle(line));
      if (session.finished) break;
      if (process.stdin.isTTY) process.stdout.write('> ');
    }
  } finally {
    rl.close();
  }
}
