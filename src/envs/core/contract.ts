/**
 * The contract checker: one function run over every registered env in our
 * tests, and exported so users check their own envs the same way.
 *
 * Checks, for each seed: same seed → same initial state and observation; the
 * same actions → the same rollout; stepping never mutates its input (so a
 * restart, which keeps the initial state, equals the initial state); states
 * survive a JSON round trip and step identically after it; observation and
 * anchor are stable; `won` implies `done`; rewards are finite; projection is
 * total on hostile text; every admissible action projects to itself.
 */
import { isDeepStrictEqual } from 'node:util';
import { ContractViolationError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { wrapAction } from './tags.js';
import type { EnvDefinition, Projection, StepResult } from './types.js';

/** What {@link checkEnvContract} checks with: seeds, params, turns per rollout, and the seed of its random actions. */
export interface ContractOptions<P> {
  /** Task seeds to check (default: 5 fixed seeds). */
  seeds?: number[];
  /** Params to check with (default: the default preset). */
  params?: P;
  /** Turns per rollout (default: the env's maxTurns). */
  turns?: number;
  /** Seed of the random actions and hostile strings. */
  rngSeed?: number;
}

/** What {@link checkEnvContract} checked: the env id, how many seeds, turns and hostile-text projections. */
export interface ContractReport {
  env: string;
  seeds: number;
  turns: number;
  projections: number;
}

const HOSTILE_TEXTS = [
  '',
  ' ',
  '<action>',
  '</action>',
  '<action></action>',
  '</action><action>',
  '<action><action></action></action>',
  '<remark>',
  '\u0000\uffff\ud800',
  'null',
  '{"__proto__": 1}',
  'a'.repeat(10_000),
  '<action>' + '('.repeat(5000) + '</action>',
  '<action>(999999999999999999999, -3)</action>',
  '<action>up, down, left, right, up</action>',
  '<action>click[</action>',
  '<action>search[]</action>',
];

/**
 * Checks an env against the contract the engine relies on: determinism per
 * seed, no mutation of input states, JSON round trips, stable observations,
 * `won` implies `done`, finite rewards, total projection on hostile text,
 * admissible actions project to themselves. Throws {@link ContractViolationError} naming the first breach.
 */
export function checkEnvContract<S, A, P>(
  env: EnvDefinition<S, A, P>,
  options: ContractOptions<P> = {},
): ContractReport {
  const params = options.params ?? env.presets[env.defaultPreset]!;
  const seeds = options.seeds ?? [0, 1, 2, 3, 12345];
  const turns = options.turns ?? env.maxTurns;
  const rng = Rng.seeded(options.rngSeed ?? 7);
  const fail = (what: string): never => {
    throw new ContractViolationError(`${env.id} breaks the env contract: ${what}`);
  };
  let projections = 0;

  for (const seed of seeds) {
    const s0 = env.initial(seed, params);
    const s0again = env.initial(seed, params);
    if (!isDeepStrictEqual(s0, s0again)) fail(`initial(${seed}) is not deterministic`);
    if (env.observe(s0) !== env.observe(s0again)) fail(`observe(initial(${seed})) differs between calls`);
    const frozen = JSON.stringify(s0);
    checkJson(s0, `initial(${seed})`, fail);

    // One random rollout, replayed to check determinism.
    const actionRng = Rng.seeded(rng.nextSeed());
    const actions: (A | null)[] = [];
    const trace: StepResult<S>[] = [];
    let state = s0;
    for (let t = 0; t < turns; t++) {
      const action = actionRng.bernoulli(0.2) ? null : env.randomAction(state, actionRng);
      const before = JSON.stringify(state);
      const result = action === null ? env.stepInvalid(state) : env.step(state, action);
      if (JSON.stringify(state) !== before) fail(`step mutated its input state (seed ${seed}, turn ${t})`);
      checkStep(result, `seed ${seed}, turn ${t}`, fail);
      checkJson(result.state, `state after turn ${t} (seed ${seed})`, fail);
      const obs = env.observe(result.state);
      if (obs !== env.observe(result.state)) fail(`observe is not stable (seed ${seed}, turn ${t})`);
      if (env.anchor(result.state) !== env.anchor(JSON.parse(JSON.stringify(result.state)))) {
        fail(`anchor changes after a JSON round trip (seed ${seed}, turn ${t})`);
      }
      const round = JSON.parse(JSON.stringify(state)) as S;
      const again = action === null ? env.stepInvalid(round) : env.step(round, action);
      if (!isDeepStrictEqual(again, result))
        fail(`stepping a JSON round-tripped state differs (seed ${seed}, turn ${t})`);
      for (const adm of env.admissible(state)) {
        projections++;
        const p = env.project(wrapAction(adm));
        if (p.kind !== 'action') fail(`admissible action "${adm}" does not project (${p.reason})`);
        const formatted = env.formatAction((p as { action: A }).action);
        if (formatted !== adm) fail(`admissible action "${adm}" projects to "${formatted}"`);
      }
      actions.push(action);
      trace.push(result);
      state = result.state;
      if (result.done) break;
    }
    if (JSON.stringify(s0) !== frozen)
      fail(`the initial state of seed ${seed} changed during play (restart would differ)`);
    state = env.initial(seed, params);
    for (let t = 0; t < actions.length; t++) {
      const a = actions[t]!;
      const result = a === null ? env.stepInvalid(state) : env.step(state, a);
      if (!isDeepStrictEqual(result, trace[t]))
        fail(`same seed and actions give a different rollout (seed ${seed}, turn ${t})`);
      state = result.state;
    }
  }

  for (let i = 0; i < HOSTILE_TEXTS.length + 50; i++) {
    const text = i < HOSTILE_TEXTS.length ? HOSTILE_TEXTS[i]! : randomText(rng);
    projections++;
    let p: Projection<A>;
    try {
      p = env.project(text);
      const r = env.parseReflection(text);
      if (r.kind !== 'reflection' && r.kind !== 'invalid')
        fail(`parseReflection returned kind "${String((r as { kind: unknown }).kind)}"`);
    } catch (error) {
      throw new ContractViolationError(`${env.id}.project threw on ${JSON.stringify(text.slice(0, 80))}`, {
        cause: error,
      });
    }
    if (p.kind === 'action') env.describeAction(p.action);
    else if (p.kind !== 'invalid') fail(`project returned kind "${String((p as { kind: unknown }).kind)}"`);
  }
  return { env: env.id, seeds: seeds.length, turns, projections };
}

function checkStep<S>(r: StepResult<S>, where: string, fail: (w: string) => never): void {
  if (!Number.isFinite(r.reward)) fail(`reward is not finite (${where})`);
  if (typeof r.done !== 'boolean' || typeof r.won !== 'boolean') fail(`done/won are not booleans (${where})`);
  if (r.won && !r.done) fail(`won without done (${where})`);
}

function checkJson(value: unknown, where: string, fail: (w: string) => never): void {
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(value)), value))
    fail(`${where} does not survive a JSON round trip`);
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789 ,()[]<>/_-.:;\n\t"\'{}#?*';
const FRAGMENTS = [
  '<action>',
  '</action>',
  '<remark>',
  '</remark>',
  'up',
  'left',
  '(',
  ')',
  ',',
  'click[',
  'search[',
  ']',
];

function randomText(rng: Rng): string {
  let out = '';
  const n = rng.int(0, 40);
  for (let i = 0; i < n; i++) {
    out += rng.bernoulli(0.3) ? rng.pick(FRAGMENTS) : ALPHABET[rng.int(0, ALPHABET.length - 1)];
  }
  return out;
}
