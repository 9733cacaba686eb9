/**
 * Policies by spec string, for `--policy` options: `name` or `name:argument`.
 * Built in: `random`, `expert` and `expert:EPS` (a random action with
 * probability EPS), and `openai:URL#MODEL` (an OpenAI-compatible server; API
 * key from OPENAI_API_KEY when set). Later kinds (`onnx:DIR`, ...) register a
 * factory under their prefix with `registerPolicyKind`, and every command that
 * takes `--policy` accepts them at once.
 */
import { type ExecutionProvider, strictProviderSettings } from '../learner/providers.js';
import { OpenAiPolicy, type RetryNotice } from '../policy/http/openai.js';
import { parseOpenAiSpec } from '../policy/http/spec.js';
import { expertPolicy, randomPolicy } from '../policy/scripted.js';
import type { Policy } from '../policy/types.js';
import { ConfigError, UnknownIdError } from '../util/errors.js';

/** What a factory may use besides its argument. */
export interface PolicyContext {
  /** The env the policy will play (resolved id). */
  envId: string;
  /** Base seed of the run. */
  seed: number;
  /** Remote policies: requests in flight at once. */
  maxInFlight?: number;
  /** Remote policies: per-try request timeout in ms. */
  timeoutMs?: number;
  /** Remote policies: retries of a failed request. */
  retries?: number;
  /** Remote policies: told before each retry (the CLI prints a line). */
  onRetry?: (notice: RetryNotice) => void;
  /** Local models (`hf:`, `onnx:`): onnxruntime execution provider; a GPU one never falls back to CPU. */
  provider?: ExecutionProvider;
}

export interface PolicyKind {
  /** One line for `--help` and error messages, e.g. `onnx:DIR  a local ONNX LLM export`. */
  usage: string;
  /** Whether the part after `:` is required, optional or not allowed. */
  argument: 'required' | 'optional' | 'none';
  /** A local model folder run by onnxruntime (`PolicyContext.provider` applies); default false. */
  onnxruntime?: boolean;
  create(argument: string | undefined, context: PolicyContext): Policy | Promise<Policy>;
}

const kinds = new Map<string, PolicyKind>();

/** Register a policy kind under a prefix (`onnx`, `openai`, ...). Throws when the prefix is taken. */
export function registerPolicyKind(prefix: string, kind: PolicyKind): void {
  if (!/^[a-z][a-z0-9-]*$/.test(prefix))
    throw new ConfigError(`policy kind "${prefix}" must be lower-case letters, digits, dashes`);
  if (kinds.has(prefix)) throw new ConfigError(`policy kind "${prefix}" is already registered`);
  kinds.set(prefix, kind);
}

/** The usage lines of every registered kind. */
export function policyKinds(): string[] {
  return [...kinds.values()].map((k) => k.usage);
}

/** The prefixes of the kinds that run a local model on onnxruntime (`--provider` applies to them). */
export function onnxruntimeKinds(): string[] {
  return [...kinds].filter(([, k]) => k.onnxruntime).map(([prefix]) => prefix);
}

/** Split `name:argument` (the argument may itself contain `:`, as URLs do). */
export function parsePolicySpec(spec: string): { kind: string; argument: string | undefined } {
  const colon = spec.indexOf(':');
  return colon === -1
    ? { kind: spec, argument: undefined }
    : { kind: spec.slice(0, colon), argument: spec.slice(colon + 1) };
}

/** Build the policy a spec names. Unknown kinds and bad arguments raise errors that list what is accepted. */
export async function createPolicy(spec: string, context: PolicyContext): Promise<Policy> {
  const { kind, argument } = parsePolicySpec(spec.trim());
  const entry = kinds.get(kind);
  if (!entry) {
    throw new UnknownIdError(`unknown policy "${spec}". Accepted: ${policyKinds().join('; ')}`);
  }
  if (entry.argument === 'required' && !argument) {
    throw new ConfigError(`policy "${kind}" needs an argument: ${entry.usage}`);
  }
  if (entry.argument === 'none' && argument !== undefined) {
    throw new ConfigError(`policy "${kind}" takes no argument: ${entry.usage}`);
  }
  return entry.create(argument || undefined, context);
}

registerPolicyKind('random', {
  usage: 'random (a uniformly random admissible action)',
  argument: 'none',
  create: () => randomPolicy(),
});

registerPolicyKind('expert', {
  usage: 'expert[:EPS] (the env solver; a random action with probability EPS)',
  argument: 'optional',
  create: (argument) => {
    if (argument === undefined) return expertPolicy();
    const epsilon = Number(argument);
    if (!(Number.isFinite(epsilon) && epsilon >= 0 && epsilon <= 1)) {
      throw new ConfigError(`expert:EPS needs EPS in [0, 1], got "${argument}"`);
    }
    return expertPolicy({ epsilon });
  },
});

registerPolicyKind('openai', {
  usage:
    'openai:URL[,URL...]#MODEL (an OpenAI-compatible server, or replicas of one; e.g. openai:http://127.0.0.1:8000/v1#Qwen/Qwen3-4B)',
  argument: 'required',
  create: (argument, context) => {
    const { baseURLs, model } = parseOpenAiSpec(argument!);
    return new OpenAiPolicy({
      baseURL: baseURLs,
      model,
      seed: context.seed,
      ...(context.maxInFlight !== undefined ? { maxInFlight: context.maxInFlight } : {}),
      ...(context.timeoutMs !== undefined ? { timeoutMs: context.timeoutMs } : {}),
      ...(context.retries !== undefined ? { retry: { maxRetries: context.retries } } : {}),
      ...(context.onRetry !== undefined ? { onRetry: context.onRetry } : {}),
    });
  },
});

registerPolicyKind('hf', {
  usage: 'hf:DIR (a Hugging Face model folder: Llama, Qwen2 or Qwen3 with safetensors and a chat template)',
  argument: 'required',
  onnxruntime: true,
  create: async (argument, context) => {
    const { OnnxPolicy } = await import('../policy/onnx/policy.js');
    const { readHfModel } = await import('../policy/onnx/hf-model.js');
    return OnnxPolicy.fromHf(await readHfModel(argument!), {
      seed: context.seed,
      ...strictProviderSettings(context.provider),
    });
  },
});

registerPolicyKind('onnx', {
  usage:
    'onnx:DIR (a local LLM in the Hugging Face ONNX export layout, e.g. a lamer export or optimum-cli output)',
  argument: 'required',
  onnxruntime: true,
  // Loaded on use, so commands that never run a local model do not load onnxruntime.
  create: async (argument, context) => {
    const { OnnxPolicy } = await import('../policy/onnx/policy.js');
    return OnnxPolicy.load(argument!, { seed: context.seed, ...strictProviderSettings(context.provider) });
  },
});
