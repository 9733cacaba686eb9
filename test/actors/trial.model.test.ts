/**
 * Model-based test of the trial machine (fc.commands): a simple model of the
 * reference trial loop (play turns, invalid replies, wins, pits, exhausted
 * budgets, reflect + restart, policy failures with retries) run against the
 * real machine, answered command by command through a manual policy, with
 * backoffs driven by XState's SimulatedClock.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Actor, createActor, SimulatedClock } from 'xstate';
import { trialWithPolicy } from '../../src/actors/provide.js';
import type { trialMachine } from '../../src/actors/trial.js';
import { act, remark } from '../fixtures/pit-corridor-env.js';
import { ManualPolicy, PIT, registerPitCorridor, settle } from './helpers.js';

const ATTEMPTS = 3;
const MAX_TURNS = 3;
const RETRIES = 2;
const BACKOFF = 10;
const SEED = 4;
const GOAL = 2; // seed 4 (checked in trial.test.ts)

interface Model {
  phase: 'play' | 'reflect' | 'done';
  attempt: number;
  turn: number;
  pos: number;
  samples: number;
  invalid: number;
  reflections: string[];
  wonAt: number | null;
  tries: number;
  failed: boolean;
}

interface Real {
  actor: Actor<typeof trialMachine>;
  policy: ManualPolicy;
  clock: SimulatedClock;
}

function endAttempt(m: Model): void {
  m.phase = m.attempt + 1 < ATTEMPTS ? 'reflect' : 'done';
}

function playTurn(m: Model, move: number | null): void {
  m.samples++;
  m.turn++;
  m.tries = 0;
  if (move === null) m.invalid++;
  else m.pos += move;
  if (m.pos === GOAL) {
    m.wonAt = m.attempt;
    m.phase = 'done';
  } else if (m.pos === -GOAL || m.turn >= MAX_TURNS) endAttempt(m);
}

/** The real machine agrees with the model. */
function verify(m: Model, r: Real): void {
  const snap = r.actor.getSnapshot();
  if (m.phase === 'done') {
    expect(snap.status).toBe('done');
    const rec = snap.output!;
    expect(rec.samples).toHaveLength(m.samples);
    expect(rec.wonAt).toBe(m.wonAt);
    expect(rec.failed !== undefined).toBe(m.failed);
    expect(rec.samples.filter((s) => s.phase === 'play' && !s.valid)).toHaveLength(m.invalid);
    expect(rec.samples.filter((s) => s.phase === 'reflect')).toHaveLength(m.reflections.length);
    expect(r.policy.batches).toHaveLength(0);
    return;
  }
  expect(snap.status).toBe('active');
  const req = r.policy.only();
  // a reflect request carries the attempt reflected on and its number of play turns
  expect(req.key).toBe(`seed-${SEED}/seed-${SEED}#0/${m.attempt}/${m.turn}/${m.phase}`);
  expect(req.oracle!.state).toMatchObject({ pos: m.pos });
  expect(snap.context.memory.map((x) => x.reflection)).toEqual(
    m.phase === 'reflect' ? [...m.reflections, ''] : m.reflections,
  );
  if (m.phase === 'play' && m.turn === 0 && m.attempt > 0) {
    // restarted from the identical initial state, with the reflections in the prompt
    expect(req.oracle!.state).toEqual({ pos: 0, goal: GOAL, done: false, won: false });
    for (const text of m.reflections) expect(req.messages[0]!.content).toContain(text);
  }
}

type Cmd = fc.AsyncCommand<Model, Real>;

class Step implements Cmd {
  constructor(readonly dir: 'left' | 'right') {}
  check = (m: Readonly<Model>) => m.phase === 'play';
  async run(m: Model, r: Real) {
    r.policy.reply(act(this.dir));
    await settle();
    playTurn(m, this.dir === 'right' ? 1 : -1);
    verify(m, r);
  }
  toString = () => `Step(${this.dir})`;
}

class Win implements Cmd {
  check = (m: Readonly<Model>) => m.phase === 'play' && m.pos === GOAL - 1;
  async run(m: Model, r: Real) {
    r.policy.reply(act('right'));
    await settle();
    playTurn(m, 1);
    expect(m.phase).toBe('done');
    verify(m, r);
  }
  toString = () => 'Win';
}

class Garbage implements Cmd {
  constructor(readonly text: string) {}
  check = (m: Readonly<Model>) => m.phase === 'play';
  async run(m: Model, r: Real) {
    r.policy.reply(this.text);
    await settle();
    playTurn(m, null);
    verify(m, r);
  }
  toString = () => `Garbage(${JSON.stringify(this.text)})`;
}

class ExhaustTurns implements Cmd {
  check = (m: Readonly<Model>) => m.phase === 'play';
  async run(m: Model, r: Real) {
    while (m.phase === 'play') {
      r.policy.reply(act('still'));
      await settle();
      playTurn(m, null);
    }
    verify(m, r);
  }
  toString = () => 'ExhaustTurns';
}

class ReflectAndRestart implements Cmd {
  constructor(readonly valid: boolean) {}
  check = (m: Readonly<Model>) => m.phase === 'reflect';
  async run(m: Model, r: Real) {
    const text = `lesson ${m.attempt}`;
    r.policy.reply(this.valid ? remark(text) : text);
    await settle();
    m.samples++;
    m.reflections.push(this.valid ? text : '');
    m.attempt++;
    m.turn = 0;
    m.pos = 0;
    m.tries = 0;
    m.phase = 'play';
    verify(m, r);
  }
  toString = () => `ReflectAndRestart(${this.valid})`;
}

class PolicyFailure implements Cmd {
  check = (m: Readonly<Model>) => m.phase !== 'done';
  async run(m: Model, r: Real) {
    r.policy.fail();
    await settle();
    if (m.tries >= RETRIES) {
      m.phase = 'done';
      m.failed = true;
      verify(m, r);
      return;
    }
    m.tries++;
    expect(r.policy.batches).toHaveLength(0);
    r.clock.increment(BACKOFF * 2 ** (m.tries - 1) - 1);
    await settle();
    expect(r.policy.batches).toHaveLength(0);
    r.clock.increment(1);
    await settle();
    verify(m, r);
  }
  toString = () => 'PolicyFailure';
}

beforeAll(registerPitCorridor);

describe('trial machine (model-based)', () => {
  it('follows the reference trial loop under any sequence of replies and failures', async () => {
    const commands = fc.commands(
      [
        fc.constantFrom('left' as const, 'right' as const).map((d) => new Step(d)),
        fc.constant(new Win()),
        fc.constantFrom('', 'up', '<action>jump</action>', '<remark>x</remark>').map((t) => new Garbage(t)),
        fc.constant(new ExhaustTurns()),
        fc.boolean().map((v) => new ReflectAndRestart(v)),
        fc.constant(new PolicyFailure()),
      ],
      { maxCommands: 40 },
    );
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        const setup = async () => {
          const policy = new ManualPolicy();
          const clock = new SimulatedClock();
          const actor = createActor(trialWithPolicy(policy), {
            input: {
              envId: PIT,
              seed: SEED,
              attempts: ATTEMPTS,
              maxTurns: MAX_TURNS,
              retry: { retries: RETRIES, backoffMs: BACKOFF },
            },
            clock,
          }).start();
          await settle();
          const model: Model = {
            phase: 'play',
            attempt: 0,
            turn: 0,
            pos: 0,
            samples: 0,
            invalid: 0,
            reflections: [],
            wonAt: null,
            tries: 0,
            failed: false,
          };
          return { model, real: { actor, policy, clock } };
        };
        await fc.asyncModelRun(setup, cmds);
      }),
      { numRuns: 60 },
    );
  });
});
