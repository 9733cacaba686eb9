/**
 * WebShop prompts. `faithful`: the reference templates
 * (`agent_system/environments/webshop/prompt.py`) word for word, with its
 * history windows (`env_manager.py::build_text_obs`, `memory.py::fetch`): the
 * current attempt's last 5 turns (last 20 when reflecting), observations of
 * all but the newest turn cut to 15 `[SEP]` items; past attempts' last 3 turns
 * cut to 6 items; and the short variant when a prompt passes 20,000
 * characters. `history_and_reflection` works here (the reference misspells it
 * as `reflection_and_history`, so it could not be used); `none` renders every
 * attempt as a fresh attempt 0. `compact`: the same facts without the prose.
 */
import type { HistoryRecord, PlayPromptContext, PromptSet, ReflectPromptContext } from '../core/types.js';
import { admissibleActions, formatObservation, instructionOf } from './render.js';
import type { WebShopState } from './rules.js';

const PLAY_PROMPT = (task: string, memory: string, current: string, actions: string): string =>
  `
You are an expert autonomous agent operating in the WebShop e‑commerce environment.
Your task is to: ${task}.${memory}${current}

Your admissible actions of the current situation are: 
[
${actions}
].

Now it's your turn to take one action for the current step.
Your response should first be step-by-step reasoning about the current situation, then think carefully which admissible action best advances the shopping goal.
Once you've finished your reasoning, you should choose an admissible action for current step and present it within <action> </action> tags.
`;

const REFLECT_PROMPT = (task: string, current: string): string =>
  `
You are an expert autonomous agent operating in the WebShop e‑commerce environment.
Your task is to: ${task}.

You will be given the history of a past experience.
Your job is to **reflect on the past sequence**, identify any **mistakes or inefficiencies**, and then devise a **concise, improved plan** starting from the original initial state.

Below are the last few actions and corresponding observations you have: 
${current}
The task is NOT successfully completed.

Now it's your turn to reflect on the past experience and come up with a new plan of action.

- Your response should first be step-by-step reasoning about the strategy and path you took to attempt to complete the task. Identify where things went wrong or could be better.
- Then devise a concise, new plan of action that accounts for your mistake with reference to specific actions that you should have taken.
- Finally, end the response with your reflection and improved plan inside <remark> </remark> tags, to guide the next trial.
`;

const PAST_EXPERIENCE_REFLECTION = (k: number, past: string, reflection: string): string =>
  `\n\nOn trial #${k}, the last few actions and observations you have are: \n${past}\nThe task is NOT successfully completed. Your reflection is: \n${reflection}`;
const HISTORY_ONLY = (k: number, past: string): string =>
  `\n\nOn trial #${k}, the last few actions and observations you have are: \n${past}\nThe task is NOT successfully completed. `;
const REFLECTION_ONLY = (k: number, reflection: string): string =>
  `\n\nOn trial #${k}, the task is NOT successfully completed. Your reflection is: \n${reflection}`;
const CURR_TRAJ_AT_TRAJ1 = (traj: string): string =>
  `\n\nBelow are the last few actions and corresponding observations you have: \n${traj}`;
const CURR_TRAJ_AT_TRAJ2_TO_N = (k: number, traj: string): string =>
  `\n\nCurrently you're on trial #${k}, below are the last few actions and observations: \n${traj}`;
const TRAJ_2_TO_N_INIT = (k: number): string =>
  `\n\nCurrently you're on trial #${k}, starting from the initial state.`;

/** Prompts longer than this switch to the reference's short variant. */
export const MAX_PROMPT_CHARS = 20_000;

/**
 * The reference `SimpleMemory.fetch` for WebShop: the last `historyLength`
 * records as `Action k: a\nObservation k: o`, observations of all but the last
 * shown record with at least `maxToShow` items cut to `maxToShow` items plus
 * ` ... (N more)`, stopping at the first record that ended the attempt.
 */
export function fetchHistory(
  records: readonly HistoryRecord[],
  historyLength: number,
  maxToShow: number,
): string {
  const recent = records.slice(Math.max(0, records.length - historyLength));
  const start = records.length - recent.length;
  const lines: string[] = [];
  for (let j = 0; j < recent.length; j++) {
    const rec = recent[j]!;
    const k = start + j + 1;
    let obs = rec.observation;
    const items = obs.split(' [SEP] ');
    if (j !== recent.length - 1 && items.length >= maxToShow) {
      obs = items.slice(0, maxToShow).join(' [SEP] ') + ` ... (${items.length - maxToShow} more)`;
    }
    lines.push(`Action ${k}: ${rec.action}\nObservation ${k}: ${obs}`);
    if (rec.done) break;
  }
  return lines.join('\n');
}

function currentTrajectory(turn: number, attempt: number, traj: string): string {
  if (attempt === 0) return turn === 0 ? '' : CURR_TRAJ_AT_TRAJ1(traj);
  return turn === 0 ? TRAJ_2_TO_N_INIT(attempt + 1) : CURR_TRAJ_AT_TRAJ2_TO_N(attempt + 1, traj);
}

function faithfulPlay(ctx: PlayPromptContext<WebShopState>): string {
  const fresh = ctx.memoryMode === 'none';
  const attempt = fresh ? 0 : ctx.attempt;
  const memory = fresh ? [] : ctx.memory.slice(0, attempt);
  const turn = ctx.history.length;
  const task = instructionOf(ctx.initial);
  const actions = admissibleActions(ctx.current)
    .map((a) => `'${a}',`)
    .join('\n');
  const traj = turn === 0 ? '' : fetchHistory(ctx.history, 5, 15);
  const build = (short: boolean): string => {
    const blocks = memory.map((m, j) => {
      const past = fetchHistory(m.history, 3, 6);
      if (short || ctx.memoryMode === 'reflection_only') return REFLECTION_ONLY(j + 1, m.reflection);
      if (ctx.memoryMode === 'history_only') return HISTORY_ONLY(j + 1, past);
      return PAST_EXPERIENCE_REFLECTION(j + 1, past, m.reflection);
    });
    const current = currentTrajectory(turn, attempt, short ? lastLine(traj) : traj);
    return PLAY_PROMPT(task, blocks.join(''), current, actions);
  };
  const prompt = build(false);
  return prompt.length > MAX_PROMPT_CHARS ? build(true) : prompt;
}

function faithfulReflect(ctx: ReflectPromptContext<WebShopState>): string {
  const turn = ctx.history.length;
  const task = instructionOf(ctx.initial);
  const traj = turn === 0 ? '' : fetchHistory(ctx.history, 20, 15);
  const prompt = REFLECT_PROMPT(task, currentTrajectory(turn, ctx.attempt, traj));
  return prompt.length > MAX_PROMPT_CHARS
    ? REFLECT_PROMPT(task, currentTrajectory(turn, ctx.attempt, lastLine(traj)))
    : prompt;
}

function lastLine(text: string): string {
  const lines = text.split('\n');
  return lines[lines.length - 1]!;
}

function compactPlay(ctx: PlayPromptContext<WebShopState>): string {
  const fresh = ctx.memoryMode === 'none';
  const attempt = fresh ? 0 : ctx.attempt;
  const lines = [`webshop task: ${instructionOf(ctx.initial)}`];
  if (!fresh) {
    ctx.memory.slice(0, attempt).forEach((m, j) => {
      if (ctx.memoryMode !== 'reflection_only') {
        lines.push(`attempt ${j + 1} actions: ${m.history.map((h) => h.action).join(' > ') || '(none)'}`);
      }
      if (ctx.memoryMode !== 'history_only') lines.push(`attempt ${j + 1} reflection: ${m.reflection}`);
    });
  }
  lines.push(`attempt ${attempt + 1} actions: ${ctx.history.map((h) => h.action).join(' > ') || '(none)'}`);
  lines.push(`page: ${formatObservation(ctx.current)}`);
  lines.push(`choose: ${admissibleActions(ctx.current).join(' | ')}`);
  lines.push('answer: <action>...</action>');
  return lines.join('\n');
}

function compactReflect(ctx: ReflectPromptContext<WebShopState>): string {
  return [
    `webshop task: ${instructionOf(ctx.initial)}`,
    `attempt ${ctx.attempt + 1} failed. actions: ${ctx.history.map((h) => h.action).join(' > ') || '(none)'}`,
    `last page: ${formatObservation(ctx.current)}`,
    'answer: <remark>what went wrong and the plan</remark>',
  ].join('\n');
}

export const WEBSHOP_PROMPTS: Record<'faithful' | 'compact', PromptSet<WebShopState>> = {
  faithful: { play: faithfulPlay, reflect: faithfulReflect },
  compact: { play: compactPlay, reflect: compactReflect },
};
