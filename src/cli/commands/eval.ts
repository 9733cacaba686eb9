/**
 * `lamer eval`: evaluate a policy with the LaMer protocol on a fixed, seeded
 * validation task set; prints pass@1..K, exploration entropy, invalid-action
 * rate and the other metrics, and writes a JSONL trial log (see ../eval-run.ts).
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_VALIDATION_SEED } from '../../envs/core/seeds.js';
import type { MemoryMode, PromptStyle } from '../../envs/core/types.js';
import { DEFAULT_LIVE_PORT, livePort, parseLivePort, withLiveServer } from '../../live/cli.js';
import { EVAL_MODES, type EvalMode } from '../eval-modes.js';
import { runEval } from '../eval-run.js';
import { policyKinds } from '../policy-spec.js';
import { parseIntOption, parsePositiveIntOption, parseSetOptions } from './options.js';

interface EvalCliOptions {
  env: string;
  policy: string;
  tasks: number;
  attempts: number;
  memory: MemoryMode;
  seed: number;
  preset?: string;
  set: string[];
  trialsPerTask: number;
  style: PromptStyle;
  maxTurns?: number;
  concurrency?: number;
  out?: string;
  /** `--live [port]`: a port, or true without one; `--no-live`: false. */
  live?: number | boolean;
  mode: EvalMode;
  maxTokens?: number;
}

const MEMORY_MODES = ['reflection_only', 'history_only', 'history_and_reflection', 'none'];

function nonNegativeSeed(value: string): number {
  const n = parseIntOption(value);
  if (n < 0) throw new InvalidArgumentError(`expected an integer >= 0, got "${value}"`);
  return n;
}

export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description('evaluate a policy on a fixed seeded validation task set (pass@k, entropy, invalid rate)')
    .requiredOption('--env <env>', 'env id or alias (see `lamer envs`)')
    .requiredOption('--policy <spec>', `policy: ${policyKinds().join('; ')}`)
    .option('--tasks <n>', 'number of validation tasks', parsePositiveIntOption, 128)
    .option('--attempts <k>', 'attempts per trial (N)', parsePositiveIntOption, 3)
    .addOption(
      new Option('--memory <mode>', 'cross-attempt memory').choices(MEMORY_MODES).default('reflection_only'),
    )
    .option('--seed <s>', 'seed of the validation task set', nonNegativeSeed, DEFAULT_VALIDATION_SEED)
    .option('--preset <name>', 'difficulty preset (see `lamer envs`)')
    .option('--set <key=value...>', 'override an env param (value parsed as JSON when possible)', collect, [])
    .option('--trials-per-task <n>', 'trials per task (entropy needs >= 2)', parsePositiveIntOption, 1)
    .addOption(
      new Option('--style <style>', 'prompt style').choices(['faithful', 'compact']).default('faithful'),
    )
    .option('--max-turns <n>', 'turn budget per attempt (default: the env’s)', parsePositiveIntOption)
    .option('--concurrency <n>', 'trials in flight at once', parsePositiveIntOption)
    .option('--out <file.jsonl>', 'JSONL trial log (default runs/eval-<env>-<policy>-seed<S>.jsonl)')
    .addOption(
      new Option(
        '--mode <mode>',
        'protocol: lamer (N attempts + reflections), reflexion, retry (no memory), react, zero-shot (1 attempt)',
      )
        .choices([...EVAL_MODES])
        .default('lamer'),
    )
    .option('--max-tokens <n>', 'token budget per reply (default 1024)', parsePositiveIntOption)
    .option(
      '--live [port]',
      `serve live metrics (dashboard, SSE /events, /history) on 127.0.0.1:PORT (default ${DEFAULT_LIVE_PORT}); the live table shows on stderr when it is a terminal`,
      parseLivePort,
    )
    .option('--no-live', 'no live table and no live server')
    .action(async (opts: EvalCliOptions) => {
      await withLiveServer(livePort(opts.live), process.stderr, (liveLog) =>
        runEval(
          {
            env: opts.env,
            policy: opts.policy,
            tasks: opts.tasks,
            attempts: opts.attempts,
            memory: opts.memory,
            seed: opts.seed,
            set: parseSetOptions(opts.set),
            trialsPerTask: opts.trialsPerTask,
            style: opts.style,
            mode: opts.mode,
            ...(opts.maxTokens !== undefined ? { maxTokens: opts.maxTokens } : {}),
            ...(opts.preset !== undefined ? { preset: opts.preset } : {}),
            ...(opts.maxTurns !== undefined ? { maxTurns: opts.maxTurns } : {}),
            ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
            ...(opts.out !== undefined ? { out: opts.out } : {}),
            ...(opts.live === false ? { live: false } : {}),
          },
          { out: process.stdout, live: process.stderr, ...(liveLog ? { liveLog } : {}) },
        ),
      );
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
