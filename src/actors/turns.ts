/**
 * One play turn and one reflection turn as pure functions over plain data:
 * the request to ask (prompt from the env's templates, idempotent key,
 * seeded sampling) and what a reply does (project → step → history record
 * and turn sample; or parse the `<remark>`). The episode and reflector
 * machines and the default trial machine (which plays its attempts in its own
 * states) all call these, so every path builds byte-identical prompts and samples.
 */
import { applyReply } from '../envs/core/reply.js';
import type { AttemptMemory, HistoryRecord, Json, MemoryMode, PromptStyle } from '../envs/core/types.js';
import type { Generation, GenerationRequest, SamplingSettings } from '../policy/types.js';
import type { TurnSample } from '../streams/types.js';
import { envOf, makeRequest, requestKey, type TurnOwner } from './shared.js';

/** What a play turn needs to know about its attempt (`EpisodeConfig` extends it). */
export interface PlaySettings extends TurnOwner {
  envId: string;
  seed: number;
  initial: Json;
  taskType: string;
  attempt: number;
  promptAttempt: number;
  memory: AttemptMemory[];
  memoryMode: MemoryMode;
  style: PromptStyle;
  sampling: SamplingSettings;
}

/** What a reflection turn needs (`ReflectorConfig` extends it). */
export interface ReflectSettings extends TurnOwner {
  envId: string;
  seed: number;
  initial: Json;
  final: Json;
  attempt: number;
  history: HistoryRecord[];
  taskType: string;
  style: PromptStyle;
  sampling: SamplingSettings;
}

/** The result of one play turn. */
export interface PlayTurn {
  state: Json;
  record: HistoryRecord;
  sample: TurnSample;
  valid: boolean;
}

/** The result of one reflection turn. */
export interface ReflectTurn {
  /** Parsed reflection ('' when the reply had no `<remark>` tags). */
  reflection: string;
  valid: boolean;
  sample: TurnSample;
}

/** The request of the next play turn from `state` after `history`. */
export function playRequest(cfg: PlaySettings, state: Json, history: HistoryRecord[]): GenerationRequest {
  // what the play prompt shows besides the current state (the oracle's `play`, for `lessonAction`);
  // objects field by field, no `{ ...a, k }` (slow on V8 11.3, see trial-config.ts `episodeInput`)
  const play = {
    initial: cfg.initial,
    attempt: cfg.promptAttempt,
    history,
    memory: cfg.memory,
    memoryMode: cfg.memoryMode,
  };
  const prompt = envOf(cfg.envId).prompts[cfg.style].play({
    initial: cfg.initial,
    current: state,
    attempt: cfg.promptAttempt,
    history,
    memory: cfg.memory,
    memoryMode: cfg.memoryMode,
  });
  const key = requestKey(cfg, cfg.attempt, history.length, 'play');
  const oracle = { envId: cfg.envId, phase: 'play' as const, state, play };
  return makeRequest(key, prompt, cfg.sampling, cfg.seed, oracle);
}

function copyTokens(sample: TurnSample, gen: Generation): void {
  if (gen.promptTokens) sample.promptTokens = gen.promptTokens;
  if (gen.responseTokens) sample.responseTokens = gen.responseTokens;
  if (gen.logprobs) sample.logprobs = gen.logprobs;
  if (gen.cutFrom !== undefined) sample.responseCut = gen.cutFrom;
}

/** Apply a reply to `state`: project it (an invalid reply takes the env's invalid step), step, record. */
export function playReply(
  cfg: PlaySettings,
  state: Json,
  turn: number,
  request: GenerationRequest | null,
  gen: Generation,
): PlayTurn {
  const env = envOf(cfg.envId);
  const { projection: p, result: r, record } = applyReply(env, state, gen.text);
  const valid = p.kind === 'action';
  const action = record.action;
  const sample: TurnSample = {
    taskId: cfg.taskId,
    groupId: cfg.groupId,
    trialId: cfg.trialId,
    attempt: cfg.attempt,
    turn,
    phase: 'play',
    prompt: request?.messages[0]?.content ?? '',
    response: gen.text,
    reward: r.reward,
    valid,
    done: r.done,
    won: r.won,
    anchor: env.anchor(state),
    policyVersion: gen.policyVersion ?? 0,
    action,
    envId: cfg.envId,
    taskType: cfg.taskType,
    info: p.kind === 'invalid' ? Object.assign({}, r.info, { invalidReason: p.reason }) : r.info,
  };
  copyTokens(sample, gen);
  return { state: r.state, record, sample, valid };
}

/** The request of a reflection on the attempt described by `cfg`. */
export function reflectRequest(cfg: ReflectSettings): GenerationRequest {
  const prompt = envOf(cfg.envId).prompts[cfg.style].reflect({
    initial: cfg.initial,
    current: cfg.final,
    attempt: cfg.attempt,
    history: cfg.history,
  });
  const key = requestKey(cfg, cfg.attempt, cfg.history.length, 'reflect');
  const oracle = {
    envId: cfg.envId,
    phase: 'reflect' as const,
    state: cfg.final,
    reflect: { initial: cfg.initial, attempt: cfg.attempt, history: cfg.history },
  };
  return makeRequest(key, prompt, cfg.sampling, cfg.seed, oracle);
}

/** Parse a reflection reply (`env.parseReflection`) into its text and turn sample. */
export function reflectReply(
  cfg: ReflectSettings,
  request: GenerationRequest | null,
  gen: Generation,
): ReflectTurn {
  const parsed = envOf(cfg.envId).parseReflection(gen.text);
  const valid = parsed.kind === 'reflection';
  const sample: TurnSample = {
    taskId: cfg.taskId,
    groupId: cfg.groupId,
    trialId: cfg.trialId,
    attempt: cfg.attempt,
    turn: cfg.history.length,
    phase: 'reflect',
    prompt: request?.messages[0]?.content ?? '',
    response: gen.text,
    reward: 0,
    valid,
    done: false,
    won: false,
    anchor: 'reflection',
    policyVersion: gen.policyVersion ?? 0,
    envId: cfg.envId,
    taskType: cfg.taskType,
  };
  if (parsed.kind === 'invalid') sample.info = { invalidReason: parsed.reason };
  copyTokens(sample, gen);
  return { reflection: parsed.kind === 'reflection' ? parsed.text : '', valid, sample };
}
