import { beforeAll, describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/policy/errors.js';
import {
  expertPolicy,
  randomPolicy,
  scriptedTextPolicy,
  withRuleReflections,
} from '../../src/policy/scripted.js';
import type { GenerationRequest } from '../../src/policy/types.js';
import { PIT, registerPitCorridor } from '../actors/helpers.js';

const state = { pos: 0, goal: -2, done: false, won: false };

function play(key: string, seed?: number): GenerationRequest {
  return {
    key,
    messages: [{ role: 'user', content: 'prompt' }],
    sampling: seed === undefined ? {} : { seed },
    oracle: { envId: PIT, phase: 'play', state },
  };
}

/** A reflection request on an attempt that fell into the pit, and the corridor's rule reflection of it. */
function reflect(key: string): GenerationRequest {
  return {
    key,
    messages: [],
    sampling: {},
    oracle: {
      envId: PIT,
      phase: 'reflect',
      state: { pos: 2, goal: -2, done: true, won: false },
      reflect: { initial: state, attempt: 0, history: [] },
    },
  };
}
const PIT_REFLECTION = '<remark>The pit is at 2; the goal is on the left.</remark>';

beforeAll(registerPitCorridor);

describe('randomPolicy', () => {
  it('answers admissible actions inside <action> tags, seeded per request', async () => {
    const policy = randomPolicy();
    const requests = Array.from({ length: 40 }, (_, i) => play(`k${i}`, i));
    const a = await policy.generate(requests);
    const b = await policy.generate(requests);
    expect(a).toEqual(b);
    const texts = new Set(a.map((g) => g.text));
    expect(texts).toEqual(new Set(['<action>left</action>', '<action>right</action>']));
  });

  it('reflects with the env rule reflection inside <remark> tags', async () => {
    const [g] = await randomPolicy().generate([reflect('r')]);
    expect(g!.text).toBe(PIT_REFLECTION);
  });

  it('refuses a request without an oracle, saying why', async () => {
    await expect(randomPolicy().generate([{ key: 'x', messages: [], sampling: {} }])).rejects.toThrow(
      /needs request.oracle/,
    );
  });
});

describe('expertPolicy', () => {
  it("plays the env solver's action", async () => {
    const out = await expertPolicy().generate([play('a'), play('b')]);
    expect(out.map((g) => g.text)).toEqual(['<action>left</action>', '<action>left</action>']);
  });

  it('with epsilon 1 plays randomly (both directions appear)', async () => {
    const out = await expertPolicy({ epsilon: 1 }).generate(
      Array.from({ length: 30 }, (_, i) => play(`k${i}`)),
    );
    expect(new Set(out.map((g) => g.text)).size).toBe(2);
  });

  it('rejects an epsilon outside [0, 1]', () => {
    expect(() => expertPolicy({ epsilon: 2 })).toThrow(PolicyError);
  });
});

describe('scriptedTextPolicy', () => {
  it('returns strings in order across batches, then fails or cycles', async () => {
    const p = scriptedTextPolicy(['a', 'b', 'c']);
    expect((await p.generate([play('1'), play('2')])).map((g) => g.text)).toEqual(['a', 'b']);
    expect((await p.generate([play('3')])).map((g) => g.text)).toEqual(['c']);
    await expect(p.generate([play('4')])).rejects.toThrow(/exhausted after 3/);
    const cyc = scriptedTextPolicy(['a', 'b'], { onExhausted: 'cycle' });
    expect((await cyc.generate([play('1'), play('2'), play('3')])).map((g) => g.text)).toEqual([
      'a',
      'b',
      'a',
    ]);
  });

  it('answers by request key, or through a function', async () => {
    const byKey = scriptedTextPolicy({ x: 'X', y: 'Y' });
    expect((await byKey.generate([play('y'), play('x')])).map((g) => g.text)).toEqual(['Y', 'X']);
    await expect(byKey.generate([play('z')])).rejects.toThrow(/no scripted reply for key z/);
    const fn = scriptedTextPolicy((r, i) => `${r.key}:${i}`);
    expect((await fn.generate([play('p'), play('q')])).map((g) => g.text)).toEqual(['p:0', 'q:1']);
  });
});

describe('withRuleReflections', () => {
  it("answers reflections with the env's rule reflection and passes play requests, in order, to the policy", async () => {
    const seen: string[] = [];
    const inner = scriptedTextPolicy((r) => {
      seen.push(r.key);
      return `<action>right</action>`;
    });
    const out = await withRuleReflections(inner).generate([play('a'), reflect('r'), play('b')]);
    expect(out.map((g) => g.text)).toEqual([
      '<action>right</action>',
      PIT_REFLECTION,
      '<action>right</action>',
    ]);
    expect(seen).toEqual(['a', 'b']);
  });
});
