/**
 * Your own environment on the lamer-ts engine: define it, register it, check
 * it against the env contract, property-test an invariant of your own with
 * fast-check, then play it with the LaMer protocol.
 *
 *   npm run example examples/own-env.ts   (in a clone; in your project: npx tsx file.ts)
 *
 * The env: guess a secret number in 1..n; each guess is answered "higher",
 * "lower" or "correct". With few turns per attempt, a first attempt often runs
 * out of turns; what it learned (the range left) is what a reflection can
 * carry into the next attempt — the exploration LaMer trains for.
 */
import fc from 'fast-check';
import {
  checkEnvContract,
  type EnvDefinition,
  expertPolicy,
  type PlayPromptContext,
  Rng,
  registerEnv,
  runRollout,
  type StepResult,
  validationSeeds,
} from 'lamer-ts';
import { extractBetween, formatHistory, parseRemark, shownReflections } from 'lamer-ts/envs';
import { z } from 'zod';

// ---------------------------------------------------------------- the env: plain-JSON state, pure functions
interface HiLoState {
  n: number;
  secret: number;
  /** What the guesses so far prove: the secret is in lo..hi. */
  lo: number;
  hi: number;
  won: boolean;
}
type HiLoParams = { n: number };

function guess(s: HiLoState, g: number): StepResult<HiLoState> {
  const won = g === s.secret;
  const state: HiLoState = {
    ...s,
    won,
    lo: g < s.secret ? Math.max(s.lo, g + 1) : s.lo,
    hi: g > s.secret ? Math.min(s.hi, g - 1) : s.hi,
  };
  const answer = won ? 'correct' : g < s.secret ? 'higher' : 'lower';
  return { state, reward: won ? 10 : -0.1, done: won, won, info: { answer } };
}

const observe = (s: HiLoState) =>
  s.won ? `Correct: the number was ${s.secret}.` : `The number is between ${s.lo} and ${s.hi}.`;

/** Binary search over what the guesses prove. */
const middle = (s: HiLoState) => Math.floor((s.lo + s.hi) / 2);

/** Binary search over what the guesses prove and what the lessons in the prompt say (their last range). */
function lessonAction(ctx: PlayPromptContext<HiLoState>): number {
  const said = shownReflections(ctx).flatMap((r) => [...r.matchAll(/between (\d+) and (\d+)/g)]);
  const last = said.at(-1);
  const lo = Math.max(ctx.current.lo, last ? Number(last[1]) : 1);
  const hi = Math.min(ctx.current.hi, last ? Number(last[2]) : ctx.current.n);
  return lo <= hi ? Math.floor((lo + hi) / 2) : middle(ctx.current);
}

const hilo: EnvDefinition<HiLoState, number, HiLoParams> = {
  id: 'HiLo-v0',
  aliases: ['hilo'],
  doc: 'HiLo-v0: guess a secret number in 1..n. Actions: a number in <action></action>. Observation: the range left. Rewards: 10 when correct, -0.1 per wrong guess.',
  paramsSchema: z.object({ n: z.number().int().min(2).max(1_000_000) }),
  defaultPreset: 'default',
  presets: { default: { n: 100 }, small: { n: 20 } },
  maxTurns: 4,
  initial: (seed, { n }) => ({ n, secret: Rng.seeded(seed).int(1, n), lo: 1, hi: n, won: false }),
  step: guess,
  stepInvalid: (s) => ({ state: s, reward: -0.5, done: false, won: false, info: { answer: 'invalid' } }),
  observe,
  anchor: observe,
  project(text) {
    const inner = extractBetween(text, '<action>', '</action>');
    if (inner === null) return { kind: 'invalid', reason: 'no <action>...</action>' };
    const g = Number(inner.trim());
    return Number.isSafeInteger(g)
      ? { kind: 'action', action: g }
      : { kind: 'invalid', reason: 'not a whole number' };
  },
  parseReflection: (text) => parseRemark(text, 'last'),
  describeAction: (g) => (g === null ? 'invalid' : String(g)),
  formatAction: (g) => String(g),
  admissible: (s) => Array.from({ length: s.hi - s.lo + 1 }, (_, i) => String(s.lo + i)),
  randomAction: (s, rng) => rng.int(s.lo, s.hi),
  expertAction: middle,
  lessonAction,
  ruleReflection: (ctx) => `The number is between ${ctx.current.lo} and ${ctx.current.hi}; start from there.`,
  prompts: {
    faithful: {
      play: (ctx) =>
        `Guess the number in 1..${ctx.initial.n}. ${ctx.memory.map((m) => `Lesson from attempt ${m.attempt + 1}: ${m.reflection} `).join('')}` +
        `${formatHistory(ctx.history, { historyLength: 4, obsLength: 4 })}\nNow: ${observe(ctx.current)}\n` +
        'Reply with your guess as <action>N</action>.',
      reflect: (ctx) =>
        `You did not find the number. Your guesses:\n${formatHistory(ctx.history, { historyLength: 4, obsLength: 4 })}\n` +
        'Write what the next attempt should know in <remark></remark>.',
    },
    compact: {
      play: (ctx) => `${ctx.memory.map((m) => m.reflection).join(' ')} ${observe(ctx.current)}`,
      reflect: (ctx) => `reflect: ${observe(ctx.current)}`,
    },
  },
};

// ---------------------------------------------------------------- register it and check the contract
registerEnv(hilo);
for (const [name, params] of Object.entries(hilo.presets)) {
  const report = checkEnvContract(hilo, { params, seeds: validationSeeds(20) });
  console.log(`contract ok (${name}): ${report.seeds} seeds, ${report.projections} projections checked`);
}

// ---------------------------------------------------------------- a property of your own, with fast-check
// The range never loses the secret and shrinks with every wrong guess; binary search wins within
// ceil(log2(n + 1)) guesses for every n and seed.
fc.assert(
  fc.property(fc.integer({ min: 2, max: 10_000 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (n, seed) => {
    let s = hilo.initial(seed, { n });
    const budget = Math.ceil(Math.log2(n + 1));
    for (let turn = 0; turn < budget && !s.won; turn++) {
      const before = s.hi - s.lo;
      s = hilo.step(s, middle(s)).state;
      if (!(s.lo <= s.secret && s.secret <= s.hi)) return false;
      if (!s.won && s.hi - s.lo >= before) return false;
    }
    return s.won;
  }),
  { numRuns: 300 },
);
console.log('property ok: the range keeps the secret and binary search wins within log2(n + 1) guesses');

// ---------------------------------------------------------------- play it: 3 attempts with reflections
const records = await runRollout({
  envId: 'hilo',
  tasks: validationSeeds(16).map((seed) => ({ seed })),
  trialsPerTask: 2,
  trial: { attempts: 3, memoryMode: 'reflection_only' },
  // a noisy solver that acts on the lessons in its prompt stands in for an LLM; swap in any Policy here
  policy: expertPolicy({ epsilon: 0.3 }),
});
const passAt = (k: number) => records.filter((r) => r.wonAt !== null && r.wonAt < k).length / records.length;
console.log(`${records.length} trials: pass@1 ${passAt(1)}, pass@2 ${passAt(2)}, pass@3 ${passAt(3)}`);
