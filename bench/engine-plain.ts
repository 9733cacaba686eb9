/**
 * The reference of `bench:engine` (bench/engine.ts): the trials of a rollout played by a plain loop over
 * the same env functions and policy, without actors, events or snapshots.
 *
 * It plays them as the engine must: `CONCURRENCY` trials in flight (each an async function), their
 * requests sent lock-step as ONE batched `policy.generate` call once every trial in flight has asked
 * (what `PolicyClient` does, and what makes a language model's turn cheap: the built-in model's
 * validation turn is milliseconds only because 96 trials share each forward pass). Until 2026-12-07 it
 * played one trial after another with one request per call, so the interleaving of 64 trials (their
 * states out of the CPU caches between turns) and the batching were counted as the engine's own cost.
 */
import { makeRequest, requestKey } from '../src/actors/shared.js';
import type { AnyEnvDefinition, AttemptMemory, HistoryRecord, Json } from '../src/envs/core/types.js';
import type { Generation, GenerationRequest, Policy } from '../src/policy/types.js';
import type { TurnSample } from '../src/streams/types.js';

/** Trials in flight, in the plain loop and the engine (`runRollout`'s default concurrency). */
export const CONCURRENCY = 64;
/** Attempts per trial (reflections between them, `reflection_only`). */
export const ATTEMPTS = 3;
/** The built-in model's prompt style (the comparison is with its rollout). */
export const STYLE = 'compact' as const;

/** Lock-step batching: a request waits until every trial in flight has one, then all go in one call. */
class LockStep {
  private waiting: { request: GenerationRequest; resolve: (g: Generation) => void }[] = [];
  /** Trials in flight. */
  inFlight = 0;

  constructor(private readonly policy: Policy) {}

  ask(request: GenerationRequest): Promise<Generation> {
    return new Promise((resolve) => {
      this.waiting.push({ request, resolve });
      this.check();
    });
  }

  /** Send the batch once every trial in flight has asked (call it when one ends, too). */
  check(): void {
    if (this.waiting.length === 0 || this.waiting.length < this.inFlight) return;
    const batch = this.waiting;
    this.waiting = [];
    void this.policy.generate(batch.map((w) => w.request)).then((generations) => {
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(generations[i]!);
    });
  }
}

/** One trial played by hand: the work the machines do, without them. Returns its turn samples. */
async function plainTrial(
  env: AnyEnvDefinition,
  params: Json,
  seed: number,
  index: number,
  policy: LockStep,
): Promise<TurnSample[]> {
  const taskId = `t${index}-s${seed}`;
  const owner = { taskId, groupId: taskId, trialId: `${taskId}#0` };
  const initial = env.initial(seed, params);
  const taskType = env.taskType ? env.taskType(initial) : env.id;
  // samples are written field by field, as the engine writes them (turns.ts): a `{ ...base, attempt, ... }`
  // literal is slow on V8 11.3, ~1.8 µs a turn of this loop (docs/experiments.md, session 10, eng10a)
  const base = { taskId, groupId: taskId, trialId: owner.trialId, policyVersion: 0, envId: env.id, taskType };
  const memory: AttemptMemory[] = [];
  const samples: TurnSample[] = [];
  let final = initial;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) {
      const last = memory[memory.length - 1]!;
      const ctx = { initial, current: final, attempt: last.attempt, history: last.history };
      const prompt = env.prompts[STYLE].reflect(ctx);
      const key = requestKey(owner, last.attempt, last.history.length, 'reflect');
      const oracle = {
        envId: env.id,
        phase: 'reflect' as const,
        state: final,
        reflect: { initial, attempt: last.attempt, history: last.history },
      };
      const gen = await policy.ask(makeRequest(key, prompt, {}, seed, oracle));
      const parsed = env.parseReflection(gen.text);
      last.reflection = parsed.kind === 'reflection' ? parsed.text : '';
      samples.push({
        taskId: base.taskId,
        groupId: base.groupId,
        trialId: base.trialId,
        policyVersion: base.policyVersion,
        envId: base.envId,
        taskType: base.taskType,
        attempt: attempt - 1,
        turn: last.history.length,
        phase: 'reflect',
        prompt,
        response: gen.text,
        reward: 0,
        valid: parsed.kind === 'reflection',
        done: false,
        won: false,
        anchor: 'reflection',
      });
    }
    let state = initial;
    const history: HistoryRecord[] = [];
    let won = false;
    let done = false;
    while (!done && history.length < env.maxTurns) {
      const prompt = env.prompts[STYLE].play({
        initial,
        current: state,
        attempt,
        history,
        memory,
        memoryMode: 'reflection_only',
      });
      const key = requestKey(owner, attempt, history.length, 'play');
      const gen = await policy.ask(
        makeRequest(key, prompt, {}, seed, { envId: env.id, phase: 'play', state }),
      );
      const p = env.project(gen.text);
      const r = p.kind === 'action' ? env.step(state, p.action) : env.stepInvalid(state);
      const action = env.describeAction(p.kind === 'action' ? p.action : null);
      history.push({ action, observation: env.observe(r.state), reward: r.reward, done: r.done, won: r.won });
      samples.push({
        taskId: base.taskId,
        groupId: base.groupId,
        trialId: base.trialId,
        policyVersion: base.policyVersion,
        envId: base.envId,
        taskType: base.taskType,
        attempt,
        turn: history.length - 1,
        phase: 'play',
        prompt,
        response: gen.text,
        reward: r.reward,
        valid: p.kind === 'action',
        done: r.done,
        won: r.won,
        anchor: env.anchor(state),
        action,
      });
      state = r.state;
      done = r.done;
      won = r.won;
    }
    final = state;
    memory.push({ attempt, history, reflection: '' });
    if (won) break;
  }
  return samples;
}

/**
 * The trials of `seeds` (one per task, in plan order) played by the plain loop, `CONCURRENCY` in
 * flight, lock-step batched; returns the number of turns played. Every trial's samples are kept until
 * the run ends, as `runRollout` keeps them (they are its output).
 */
export async function plainRun(
  env: AnyEnvDefinition,
  params: Json,
  seeds: number[],
  policy: Policy,
): Promise<number> {
  const batcher = new LockStep(policy);
  const kept: TurnSample[][] = new Array(seeds.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < seeds.length) {
      const i = next++;
      kept[i] = await plainTrial(env, params, seeds[i]!, i, batcher);
    }
    batcher.inFlight--;
    batcher.check(); // the others' requests no longer wait for this trial
  };
  batcher.inFlight = Math.min(CONCURRENCY, seeds.length);
  const workers: Promise<void>[] = [];
  for (let w = 0; w < batcher.inFlight; w++) workers.push(worker());
  await Promise.all(workers);
  let turns = 0;
  for (const samples of kept) turns += samples.length;
  return turns;
}
