/**
 * From a policy request to a generation row: sampling settings (request, then
 * generation_config.json defaults, then ours), their validation, the prompt
 * ids, the per-request seed; and the generation context of a loaded model.
 */
import { deriveSeed } from '../../util/rng.js';
import { PolicyError } from '../errors.js';
import type { LoadedTokenizer } from '../tokenizer.js';
import type { GenerationRequest } from '../types.js';
import type { LmEngine } from './engine.js';
import type { GenerateContext, RowRequest } from './generate.js';
import type { GenerationDefaults } from './model-dir.js';
import { emptyProfile } from './profile.js';
import { type PromptCodec, promptTokens } from './tokens.js';

export function rowRequest(
  request: GenerationRequest,
  codec: PromptCodec,
  defaults: GenerationDefaults,
  fallback: { maxTokens: number; seed: number },
  maxPositions: number | null,
): RowRequest {
  const s = request.sampling;
  const temperature = s.temperature ?? defaults.temperature ?? 1;
  const topP = s.topP ?? defaults.topP ?? 1;
  const topK = s.topK ?? defaults.topK ?? 0;
  const maxTokens = s.maxTokens ?? fallback.maxTokens;
  const bad = (what: string) => new PolicyError(`request ${request.key}: ${what}`);
  if (!(temperature >= 0 && Number.isFinite(temperature)))
    throw bad(`temperature must be >= 0, got ${temperature}`);
  if (!(topP > 0 && topP <= 1)) throw bad(`top_p must be in (0, 1], got ${topP}`);
  if (!(Number.isInteger(topK) && topK >= 0)) throw bad(`top_k must be an integer >= 0, got ${topK}`);
  if (!(Number.isInteger(maxTokens) && maxTokens >= 1))
    throw bad(`max_tokens must be an integer >= 1, got ${maxTokens}`);
  const promptIds = request.promptTokens ?? promptTokens(codec, request.messages);
  const tooLong = promptLengthProblem(promptIds.length, maxPositions);
  if (tooLong !== null) throw bad(tooLong);
  if (request.promptTokens !== undefined) {
    const vocab = codec.tokenizer.vocabSize;
    const wrong = promptIds.find((id) => !(Number.isInteger(id) && id >= 0 && id < vocab));
    if (wrong !== undefined)
      throw bad(`promptTokens holds ${wrong}, not a token id of this model (0..${vocab - 1})`);
  }
  return {
    promptIds,
    sampler: { temperature, topP, topK },
    maxTokens,
    stop: s.stop ?? [],
    // No seed: one derived from the policy's seed and the request key (stable per call).
    seed: s.seed ?? deriveSeed(fallback.seed, request.key),
    ...(request.signal !== undefined ? { signal: request.signal } : {}),
  };
}

/** Why a prompt of `tokens` tokens cannot be generated from (empty, or no room left for a reply), or null. */
export function promptLengthProblem(tokens: number, maxPositions: number | null): string | null {
  if (tokens > 0 && (maxPositions === null || tokens < maxPositions)) return null;
  return `the prompt has ${tokens} tokens; the model takes at most ${maxPositions} (prompt and reply)`;
}

/** End ids (generation_config and the tokenizer's eos), pad id, vocabulary and context length of a model. */
export function contextOf(
  engine: LmEngine,
  tok: LoadedTokenizer,
  generation: GenerationDefaults,
  vocabSize: number,
  maxPositions: number | null,
): GenerateContext {
  const endIds = new Set(generation.eosTokenIds);
  if (tok.tokenizer.eosTokenId !== null) endIds.add(tok.tokenizer.eosTokenId);
  const padId = generation.padTokenId ?? tok.tokenizer.padTokenId ?? tok.tokenizer.eosTokenId ?? 0;
  return {
    engine,
    tokenizer: tok.tokenizer,
    vocabSize,
    endIds,
    padId,
    maxPositions,
    profile: emptyProfile(),
  };
}
