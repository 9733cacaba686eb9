/**
 * Composing your own trials on the lamer-ts engine.
 *
 *   npm run example examples/custom-trial.ts   (in a clone; in your project: npx tsx file.ts)
 *
 * Part 1: a custom attempt SCHEDULE (data): explore hot, exploit cold. Same
 * trial machine, different sampling per attempt.
 *
 * Part 2: a custom trial MACHINE: two independent exploration attempts (no
 * memory), one reflection on the last one, then one exploiting attempt that
 * sees both explored trajectories and the reflection. It reuses the engine's
 * episode and reflector machines (named `episode` / `reflector`, so
 * `trialWithPolicy` plugs any policy in), with typed, plain-JSON input.
 */

import {
  type AttemptMemory,
  type EpisodeOutput,
  episodeMachine,
  expertPolicy,
  type Json,
  type ReflectorOutput,
  reflectorMachine,
  registerBuiltinEnvs,
  runRollout,
  type ScheduleStep,
  type TurnEmitted,
  type TurnSample,
  taskInitial,
  trialWithPolicy,
  validationSeeds,
} from 'lamer-ts';
import { assign, createActor, emit, setup } from 'xstate';

registerBuiltinEnvs();

// ---------------------------------------------------------------- Part 1: a schedule as data
const exploreThenExploit: ScheduleStep[] = [
  { phase: 'play', sampling: { temperature: 1.2 } },
  { phase: 'reflect', sampling: { temperature: 0.7 } },
  { phase: 'play', sampling: { temperature: 0.3 } },
  { phase: 'reflect', sampling: { temperature: 0.7 } },
  { phase: 'play', sampling: { temperature: 0.1 }, maxTurns: 10 },
];

const records = await runRollout({
  envId: 'MineSweeper-v0',
  tasks: validationSeeds(8).map((seed) => ({ seed })),
  trialsPerTask: 2,
  trial: { schedule: exploreThenExploit, memoryMode: 'reflection_only' },
  // a noisy solver stands in for an LLM; swap in any Policy (HTTP, ONNX) here
  policy: expertPolicy({ epsilon: 0.4 }),
});
const passAt = (k: number) => records.filter((r) => r.wonAt !== null && r.wonAt < k).length / records.length;
console.log(
  `Part 1: ${records.length} trials, pass@1 ${passAt(1)}, pass@2 ${passAt(2)}, pass@3 ${passAt(3)}`,
);

// ---------------------------------------------------------------- Part 2: a trial machine of your own
interface ExploreExploitInput {
  envId: string;
  seed: number;
  /** Independent exploration attempts before the reflective one. */
  explore: number;
  exploreTemperature: number;
  exploitTemperature: number;
}

interface ExploreExploitContext extends ExploreExploitInput {
  taskId: string;
  /** The instance every attempt restarts from. */
  initial: Json;
  attempt: number;
  explored: AttemptMemory[];
  lastFinal: Json | null;
  samples: TurnSample[];
  wonAt: number | null;
}

const owner = (c: ExploreExploitContext) => ({
  taskId: c.taskId,
  groupId: c.taskId,
  trialId: `${c.taskId}#0`,
});

const exploreExploitMachine = setup({
  types: {
    input: {} as ExploreExploitInput,
    context: {} as ExploreExploitContext,
    output: {} as { samples: TurnSample[]; wonAt: number | null },
    // the episodes and the reflector send their turn samples to their parent
    events: {} as TurnEmitted,
    emitted: {} as TurnEmitted,
  },
  actors: { episode: episodeMachine, reflector: reflectorMachine },
  actions: {
    emitTurn: emit(({ event }) => event),
    keepAttempt: assign(({ context: c, event }) => {
      const out = (event as unknown as { output: EpisodeOutput }).output;
      return {
        attempt: c.attempt + 1,
        explored: [...c.explored, { attempt: out.attempt, history: out.history, reflection: '' }],
        lastFinal: out.final,
        samples: [...c.samples, ...out.samples],
        wonAt: out.won ? out.attempt : c.wonAt,
      };
    }),
    keepReflection: assign(({ context: c, event }) => {
      const out = (event as unknown as { output: ReflectorOutput }).output;
      const explored = c.explored.map((m) =>
        m.attempt === out.attempt ? { ...m, reflection: out.reflection } : m,
      );
      return { explored, samples: out.sample ? [...c.samples, out.sample] : c.samples };
    }),
  },
  guards: {
    won: ({ context }) => context.wonAt !== null,
    exploring: ({ context }) => context.attempt < context.explore,
  },
}).createMachine({
  id: 'exploreExploit',
  context: ({ input }) => ({
    ...input,
    taskId: `seed-${input.seed}`,
    initial: taskInitial(input.envId, input.seed),
    attempt: 0,
    explored: [],
    lastFinal: null,
    samples: [],
    wonAt: null,
  }),
  initial: 'next',
  on: { turn: { actions: 'emitTurn' } },
  states: {
    next: {
      always: [
        { guard: 'won', target: 'done' },
        { guard: 'exploring', target: 'exploring' },
        { target: 'reflecting' },
      ],
    },
    exploring: {
      invoke: {
        src: 'episode',
        // independent retry: no memory, rendered as a first attempt
        input: ({ context: c }) => ({
          ...owner(c),
          envId: c.envId,
          seed: c.seed,
          initial: c.initial,
          attempt: c.attempt,
          promptAttempt: 0,
          memoryMode: 'none' as const,
          sampling: { temperature: c.exploreTemperature },
        }),
        onDone: { target: 'next', actions: 'keepAttempt' },
      },
    },
    reflecting: {
      invoke: {
        src: 'reflector',
        input: ({ context: c }) => {
          const last = c.explored[c.explored.length - 1]!;
          return {
            ...owner(c),
            envId: c.envId,
            seed: c.seed,
            initial: c.initial,
            final: c.lastFinal!,
            attempt: last.attempt,
            history: last.history,
          };
        },
        onDone: { target: 'exploiting', actions: 'keepReflection' },
      },
    },
    exploiting: {
      invoke: {
        src: 'episode',
        input: ({ context: c }) => ({
          ...owner(c),
          envId: c.envId,
          seed: c.seed,
          initial: c.initial,
          attempt: c.attempt,
          memory: c.explored,
          memoryMode: 'history_and_reflection' as const,
          sampling: { temperature: c.exploitTemperature },
        }),
        onDone: { target: 'done', actions: 'keepAttempt' },
      },
    },
    done: { type: 'final' },
  },
  output: ({ context }) => ({ samples: context.samples, wonAt: context.wonAt }),
});

const machine = trialWithPolicy(expertPolicy({ epsilon: 0.6 }), exploreExploitMachine);
let wins = 0;
const seeds = validationSeeds(6);
for (const seed of seeds) {
  const actor = createActor(machine, {
    input: { envId: 'MineSweeper-v0', seed, explore: 2, exploreTemperature: 1.2, exploitTemperature: 0.2 },
  });
  actor.on('turn', (e) => {
    if (e.sample.phase === 'reflect')
      console.log(`  seed ${seed} reflection: ${e.sample.response.slice(0, 90)}...`);
  });
  const out = await new Promise<{ samples: TurnSample[]; wonAt: number | null }>((resolve) => {
    actor.subscribe({ complete: () => resolve(actor.getSnapshot().output!) });
    actor.start();
  });
  if (out.wonAt !== null) wins++;
  const phases = out.samples.map((s) => (s.phase === 'play' ? s.attempt : 'R')).join('');
  console.log(`Part 2: seed ${seed}: ${out.samples.length} turns [${phases}], won at ${out.wonAt}`);
}
console.log(`Part 2: ${wins}/${seeds.length} tasks solved within explore x2 + exploit x1`);
