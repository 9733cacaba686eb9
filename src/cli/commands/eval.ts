/**
 * `lamer eval`: evaluate a policy with the LaMer protocol on a fixed, seeded
 * validation task set; prints pass@1..K, exploration entropy, invalid-action
 * rate and the other metrics, and writes a JSONL trial log (see ../eval-run.ts).
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_VALIDATION_SEED } from '../../envs/core/seeds.js';
import type { MemoryMode, PromptStyle } from '../../envs/core/types.js';
import type { ExecutionProvider } from '../../learner/providers.js';
import { DEFAULT_LIVE_PORT, livePort, parseLivePort, withLiveServer } from '../../live/cli.js';
import { EVAL_MODES, type EvalMode } from '../eval-modes.js';
import { runEval } from '../eval-run.js';
import { policyKinds } from '../policy-spec.js';
import { example } from './help.js';
import {
  parseIntOption,
  parsePositiveIntOption,
  parseSeedOption,
  parseSetOptions,
  providerOption,
} from './options.js';

interface EvalCliOptions {
  env: string;
  policy: string;
  tasks: number;
  attempts: number;
  memory: MemoryMode;
  seed: number;
  preset?: string;
  set: string[];
  games?: string;
  trialsPerTask: number;
  style: PromptStyle | 'auto';
  maxTurns?: number;
  concurrency?: number;
  out?: string;
  /** `--live [port]`: a port, or true without one; `--no-live`: false. */
  live?: number | boolean;
  mode: EvalMode;
  maxTokens?: number;
  timeout?: number;
  maxInFlight?: number;
  provider?: ExecutionProvider;
  retries?: number;
  maxFailed?: number;
  json?: boolean;
}

const MEMORY_MODES = ['reflection_only', 'history_only', 'history_and_reflection', 'none'];

function parseShare(value: string): number {
  const n = Number(value);
  if (!(value.trim() !== '' && n >= 0 && n <= 1)) {
    throw new InvalidArgumentError(`expected a share in 0..1 (e.g. 0.05 for 5%), got "${value}"`);
  }
  return n;
}

export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description('evaluate a policy on a fixed seeded validation task set (pass@k, entropy, invalid rate)')
    .addHelpText(
      'after',
      '\nExit codes: 0 every trial ran; 2 bad input (nothing ran; also a server that is down or does not serve the model);\n' +
        '3 more trials failed than --max-failed allows (the report is printed, failed trials count as losses), or the\n' +
        'first 16 trials all failed and the run stopped. Each failed trial and each retried request is said on stderr.',
    )
    .requiredOption('--env <env>', 'env id or alias (see `lamer envs`)')
    .requiredOption('--policy <spec>', `policy: ${policyKinds().join('; ')}`)
    .option('--tasks <n>', 'number of validation tasks', parsePositiveIntOption, 128)
    .option('--attempts <k>', 'attempts per trial (N)', parsePositiveIntOption, 3)
    .addOption(
      new Option('--memory <mode>', 'cross-attempt memory').choices(MEMORY_MODES).default('reflection_only'),
    )
    .option('--seed <s>', 'seed of the validation task set', parseSeedOption, DEFAULT_VALIDATION_SEED)
    .option('--preset <name>', 'difficulty preset (see `lamer envs`)')
    .option('--set <key=value...>', 'override an env param (value parsed as JSON when possible)', collect, [])
    .option('--games <dir>', 'ALFWorld: play the real game files under DIR (same as --set games=DIR)')
    .option('--trials-per-task <n>', 'trials per task (entropy needs >= 2)', parsePositiveIntOption, 1)
    .addOption(
      new Option(
        '--style <style>',
        "prompt style (auto: the policy's own when it has one, e.g. compact for the built-in model; else faithful)",
      )
        .choices(['auto', 'faithful', 'compact'])
        .default('auto'),
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
    .addOption(providerOption('onnxruntime execution provider of an hf: or onnx: policy (default cpu)'))
    .option(
      '--timeout <s>',
      'seconds a policy server request may take, per try (default 120)',
      parsePositiveIntOption,
    )
    .option(
      '--max-in-flight <n>',
      'policy server requests in flight at once (default: --concurrency, 64 by default)',
      parsePositiveIntOption,
    )
    .option(
      '--retries <n>',
      'retries of a failed server request: 429, 5xx, timeouts, dropped connections (default 5)',
      parseIntOption,
    )
    .option(
      '--max-failed <share>',
      'share of failed trials allowed before the eval exits 3, e.g. 0.01 (default 0: any failed trial)',
      parseShare,
    )
    .option(
      '--live [port]',
      `serve live metrics (dashboard, SSE /events, /history) on 127.0.0.1:PORT (default ${DEFAULT_LIVE_PORT}); the live table shows on stderr when it is a terminal`,
      parseLivePort,
    )
    .option('--no-live', 'no live table and no live server')
    .option('--json', 'print the summary as JSON on stdout instead of the table (exit codes unchanged)')
    .addHelpText(
      'after',
      example(
        'lamer eval --env minesweeper --policy expert:0.3 --tasks 32 --trials-per-task 2',
        'lamer eval --env sokoban --policy openai:http://127.0.0.1:8000/v1#Qwen/Qwen3-4B --json',
      ),
    )
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
            set: { ...parseSetOptions(opts.set), ...(opts.games !== undefined ? { games: opts.games } : {}) },
            trialsPerTask: opts.trialsPerTask,
            style: opts.style,
            mode: opts.mode,
            ...(opts.maxTokens !== undefined ? { maxTokens: opts.maxTokens } : {}),
            ...(opts.preset !== undefined ? { preset: opts.preset } : {}),
            ...(opts.maxTurns !== undefined ? { maxTurns: opts.maxTurns } : {}),
            ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
            ...(opts.out !== undefined ? { out: opts.out } : {}),
            ...(opts.live === false ? { live: false } : {}),
            ...(opts.timeout !== undefined ? { timeoutS: opts.timeout } : {}),
            ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
            ...(opts.maxInFlight !== undefined ? { maxInFlight: opts.maxInFlight } : {}),
            ...(opts.provider !== undefined ? { provider: opts.provider } : {}),
            ...(opts.maxFailed !== undefined ? { maxFailed: opts.maxFailed } : {}),
            ...(opts.json ? { report: 'json' as const } : {}),
          },
          {
            out: process.stdout,
            live: process.stderr,
            err: process.stderr,
            ...(liveLog ? { liveLog } : {}),
          },
        ),
      );
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
