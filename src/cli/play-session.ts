/**
 * A person playing an env in the terminal, typing actions as an LLM would
 * (`up, left`, `(2, 3)`, `click[buy now]`), seeing the same text observation and
 * rewards. The session is line-in / text-out so it is testable without a TTY;
 * `lamer play` wires it to readline. It drives the env actor.
 */
import { type Actor, createActor } from 'xstate';
import { type EnvActorContext, envMachine } from '../actors/env.js';
import { getEnv } from '../envs/core/registry.js';
import { wrapAction } from '../envs/core/tags.js';
import type { AnyEnvDefinition, Json } from '../envs/core/types.js';

const HELP = [
  'Type an action as the model would, e.g. the text you would put inside <action> </action>.',
  'Commands: :help  :actions (admissible actions)  :restart (same level, new attempt)  :new (next seed)  :quit',
].join('\n');

export interface PlaySessionOptions {
  envId: string;
  params: Json;
  seed: number;
}

export class PlaySession {
  readonly env: AnyEnvDefinition;
  private readonly actor: Actor<typeof envMachine>;
  /** Set once the person asked to quit. */
  finished = false;
  /** Turns per attempt: the env's evaluation budget (a person explores like an evaluated model). */
  readonly turnBudget: number;

  constructor(options: PlaySessionOptions) {
    this.env = getEnv(options.envId);
    this.turnBudget = this.env.evalMaxTurns ?? this.env.maxTurns;
    this.actor = createActor(envMachine, {
      input: { envId: this.env.id, params: options.params, seed: options.seed },
    });
    this.actor.start();
  }

  get context(): EnvActorContext {
    return this.actor.getSnapshot().context;
  }

  /** The opening screen: title, help and the first observation. */
  intro(): string {
    const c = this.context;
    return `${this.env.id}  seed ${c.seed}  (turn budget ${this.turnBudget})\n${HELP}\n\n${this.screen()}`;
  }

  /** The current observation with the turn counter. */
  screen(): string {
    const c = this.context;
    const head = `attempt ${c.attempt + 1}, turn ${c.turn + 1}/${this.turnBudget}`;
    // Envs whose task is only in the prompt (WebShop's instruction) show it here.
    const task = this.env.task?.(c.state);
    return `${head}\n${task ? `Task: ${task}\n` : ''}${this.env.observe(c.state)}`;
  }

  /** Handle one typed line; returns the text to show. */
  handle(line: string): string {
    const text = line.trim();
    if (text === '') return 'Type an action, or :help.';
    if (text.startsWith(':')) return this.command(text.slice(1).toLowerCase());
    const c0 = this.context;
    if (c0.done || c0.turn >= this.turnBudget) {
      return 'This attempt is over. Type :restart to try the same level again, :new for another, or :quit.';
    }
    const wrapped = text.includes('<action>') ? text : wrapAction(text);
    const projection = this.env.project(wrapped);
    if (projection.kind === 'invalid') {
      return `Not understood (${projection.reason}); nothing happened. An LLM reply like this would cost a turn. :help shows the format.`;
    }
    this.actor.send({ type: 'step', action: projection.action as Json });
    const c = this.context;
    const last = c.last!;
    const lines = [
      `action ${this.env.describeAction(projection.action)}  reward ${fmt(last.reward)}  total ${fmt(c.totalReward)}`,
    ];
    if (c.won)
      lines.push(
        `Solved in ${c.turn} turn(s)!`,
        this.env.observe(c.state),
        'Type :new for another level or :quit.',
      );
    else if (c.done)
      lines.push('The attempt is over (failed).', this.env.observe(c.state), 'Type :restart or :new.');
    else if (c.turn >= this.turnBudget)
      lines.push('Out of turns.', this.env.observe(c.state), 'Type :restart or :new.');
    else lines.push(this.screen());
    return lines.join('\n');
  }

  private command(cmd: string): string {
    switch (cmd) {
      case 'help':
      case 'h':
        return HELP;
      case 'actions':
      case 'a':
        return this.env.admissible(this.context.state).join('\n');
      case 'restart':
      case 'r':
        this.actor.send({ type: 'restart' });
        return `Restarted from the identical initial state.\n${this.screen()}`;
      case 'new':
      case 'n':
        this.actor.send({ type: 'reset', seed: this.context.seed + 1 });
        return `New level (seed ${this.context.seed}).\n${this.screen()}`;
      case 'quit':
      case 'q':
        this.finished = true;
        this.actor.stop();
        return 'Bye.';
      default:
        return `Unknown command ":${cmd}". ${HELP}`;
    }
  }
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}
