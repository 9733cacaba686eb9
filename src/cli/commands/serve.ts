/**
 * `lamer serve`: an OpenAI-compatible server (POST /v1/chat/completions,
 * GET /v1/models) for a local ONNX model directory or the built-in model.
 * Runs until SIGINT/SIGTERM.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { ExecutionProvider } from '../../learner/providers.js';
import { DEFAULT_MAX_BODY_BYTES } from '../../serve/limits.js';
import { ConfigError } from '../../util/errors.js';
import { example } from './help.js';
import {
  parseIntOption,
  parsePositiveIntOption,
  parseSeedOption,
  parseThreadsOption,
  providerOption,
} from './options.js';

interface ServeCliOptions {
  model?: string;
  lora?: string;
  enableLora?: boolean;
  maxLoraRank: number;
  checkpoint?: string;
  seed: number;
  port: number;
  host: string;
  name?: string;
  maxBatch: number;
  maxBodyBytes: number;
  apiKey?: string;
  provider: ExecutionProvider;
  threads?: number;
}

function portOption(value: string): number {
  const n = parseIntOption(value);
  if (n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port 0..65535, got "${value}"`);
  return n;
}

/** A failed listen (port taken, address not on this machine) as a one-line error; anything else as is. */
export function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'EADDRINUSE'
      ? `port ${port} is in use: stop what runs there or pass another --port (0 picks a free one)`
      : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND'
        ? `--host ${host} is not an address of this machine: use 127.0.0.1, 0.0.0.0 or one of its addresses`
        : code === 'EACCES'
          ? `port ${port} needs privileges: pass a --port above 1023`
          : null;
  return why === null ? error : new ConfigError(`cannot listen on ${host}:${port}: ${why}`, { cause: error });
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve a model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/models)')
    .option(
      '--model <dir>',
      'hf:DIR (a Hugging Face model folder: Llama, Qwen2, Qwen3 safetensors) or a directory in the Hugging Face ONNX export layout (default: the built-in model)',
    )
    .option(
      '--lora <dir>',
      'with --model hf:DIR, a LoRA adapter folder in PEFT format (e.g. runs/<run>/adapter)',
    )
    .option(
      '--enable-lora',
      "with --model hf:DIR, load and unload LoRA adapters while serving, vLLM's way: POST /v1/load_lora_adapter " +
        '{lora_name, lora_path}, POST /v1/unload_lora_adapter {lora_name}; requests name an adapter in "model"',
    )
    .option(
      '--max-lora-rank <r>',
      'with --enable-lora, the largest adapter rank (as vLLM: a smaller adapter runs in the same slot)',
      parsePositiveIntOption,
      16,
    )
    .option(
      '--checkpoint <dir>',
      'built-in model weights from a training checkpoint (folder, or a folder of them)',
    )
    .option(
      '--seed <s>',
      'seed of the untrained built-in model and of requests without a seed',
      parseSeedOption,
      0,
    )
    .option('--port <p>', 'port (0: any free port)', portOption, 8000)
    .addHelpText(
      'after',
      example(
        'lamer serve --checkpoint runs/train-MineSweeper-v0-lamer-s0/checkpoints --port 8000',
        'lamer eval --env minesweeper --policy openai:http://127.0.0.1:8000/v1#lamer-builtin',
        'lamer serve --model hf:./Qwen3-0.6B --lora runs/smol/adapter',
        'lamer serve --model hf:./Qwen3-0.6B --enable-lora --max-lora-rank 16',
      ),
    )
    .option(
      '--host <h>',
      'address to bind; on a loopback address (the default) only requests addressed to localhost are answered. ' +
        '0.0.0.0 exposes the server to your network: set --api-key',
      '127.0.0.1',
    )
    .addOption(
      new Option('--api-key <key>', 'clients must send "Authorization: Bearer <key>" (401 otherwise)').env(
        'LAMER_API_KEY',
      ),
    )
    .option(
      '--max-body-bytes <n>',
      'largest request body in bytes (413 above it)',
      parsePositiveIntOption,
      DEFAULT_MAX_BODY_BYTES,
    )
    .option('--name <id>', 'model id clients send (default: the directory name, or lamer-builtin)')
    .option('--max-batch <n>', 'largest batch per generation', parsePositiveIntOption, 64)
    .addOption(providerOption().default('cpu'))
    .option(
      '--threads <n>',
      'onnxruntime threads per op, at most 4 per core (default: one per core)',
      parseThreadsOption,
    )
    .action(async (opts: ServeCliOptions) => {
      // Loaded here so the other commands start without onnxruntime.
      const { loadServeModel } = await import('../../serve/model.js');
      const { startServer } = await import('../../serve/server.js');
      const { policy, name, prompt, adapters } = await loadServeModel({
        ...(opts.model !== undefined ? { model: opts.model } : {}),
        ...(opts.lora !== undefined ? { lora: opts.lora } : {}),
        ...(opts.enableLora === true ? { enableLora: opts.maxLoraRank } : {}),
        ...(opts.checkpoint !== undefined ? { checkpoint: opts.checkpoint } : {}),
        ...(opts.threads !== undefined ? { intraOpNumThreads: opts.threads } : {}),
        seed: opts.seed,
        provider: opts.provider,
      });
      const model = opts.name ?? name;
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer({
          policy,
          model,
          host: opts.host,
          port: opts.port,
          maxBatch: opts.maxBatch,
          maxBodyBytes: opts.maxBodyBytes,
          ...(opts.apiKey !== undefined ? { apiKey: opts.apiKey } : {}),
          prompt,
          seed: opts.seed,
          ...(adapters ? { adapters } : {}),
          decodeToken: (id) => policy.promptCodec.tokenizer.decode([id]),
        });
      } catch (error) {
        await policy.dispose();
        throw listenError(error, opts.host, opts.port);
      }
      process.stdout.write(
        `lamer serve: model "${model}" (${policy.name}) at ${server.baseURL}` +
          `${opts.apiKey !== undefined ? ' (API key required)' : ''}\n` +
          `  try: lamer eval --env minesweeper --policy openai:${server.baseURL}#${model}\n` +
          (adapters
            ? `  LoRA adapters (rank <= ${opts.maxLoraRank}): POST ${server.baseURL}/load_lora_adapter {"lora_name", "lora_path"}\n`
            : ''),
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      await policy.dispose();
    });
}
