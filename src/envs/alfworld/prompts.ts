/**
 * ALFWorld prompts. `faithful`: the reference templates
 * (`agent_system/environments/alfworld/prompt.py`) word for word, with its
 * windows (`env_manager.py::build_text_obs`, `memory.py::fetch`): the
 * opening text as the initial observation, the current attempt's last 15
 * turns, earlier attempts' last 15 turns, the admissible commands without
 * `help` as `'a',\n 'b'`. The whole prompt is stripped, as the reference does.
 * `compact`: the same facts for the built-in model: the task, the places
 * (ranges of numbered receptacles), lessons, this attempt's commands, the
 * last observation and the commands other than going somewhere.
 */
import type {
  AttemptMemory,
  HistoryRecord,
  MemoryMode,
  PlayPromptContext,
  PromptSet,
  PromptStyle,
  ReflectPromptContext,
} from '../core/types.js';
import { CONTENTS, parseList } from './knowledge.js';
import { admissibleCommands } from './rules.js';
import { type AlfWorldState, heldObject } from './world.js';

const PLAY_PROMPT = (init: string, memory: string, current: string, actions: string): string =>
  `
You are an expert agent operating in the ALFRED Embodied Environment.
${init}${memory}${current}

Your admissible actions of the current situation are: 
[${actions}]

Now it's your turn to take an action.

- Your response should first by step-by-step reasoning about the current situation.
- Once you've finished your reasoning, you should choose an admissible action for current step and present it within <action> </action> tags.
`;

const REFLECT_PROMPT = (init: string, current: string): string =>
  `
You are an expert agent operating in the ALFRED Embodied Environment. 
${init}

You will be given the history of a past experience.
Your job is to **reflect on the past sequence**, identify any **mistakes or inefficiencies**, and then devise a **concise, improved plan** starting from the original initial state.

Below are the actions you took and the corresponding observations:
${current}
The task is NOT successfully completed.

Now it's your turn to reflect on the past experience and come up with a new plan of action.

- Your response should first be step-by-step reasoning about the strategy and path you took to attempt to complete the task. Identify where things went wrong or could be better.
- Then devise a concise, new plan of action that accounts for your mistake with reference to specific actions that you should have taken.
- Finally, end the response with your reflection and improved plan inside <remark> </remark> tags, to guide the next trial.
`;

/** History window of every ALFWorld prompt (`fetch(history_length=15)`). */
export const HISTORY_LENGTH = 15;

/**
 * The reference `SimpleMemory.fetch`: the last `historyLength` records as `Action k: a\nObservation k: o`
 * joined by newlines, numbering from the attempt's first turn, stopping at the record that ended it.
 */
export function fetchHistory(records: readonly HistoryRecord[], historyLength = HISTORY_LENGTH): string {
  const recent = records.slice(Math.max(0, records.length - historyLength));
  const start = records.length - recent.length;
  const lines: string[] = [];
  for (let j = 0; j < recent.length; j++) {
    const rec = recent[j]!;
    const k = start + j + 1;
    lines.push(`Action ${k}: ${rec.action}\nObservation ${k}: ${rec.observation}`);
    if (rec.done) break;
  }
  return lines.join('\n');
}

/** One earlier attempt, per memory mode (reference templates). */
export function memoryBlock(
  mode: Exclude<MemoryMode, 'none'>,
  trial: number,
  past: string,
  reflection: string,
): string {
  switch (mode) {
    case 'history_and_reflection':
      return `\n\nOn trial #${trial}, the actions you took and the corresponding observations are: \n${past}\nThe task is NOT successfully completed. Your reflection is: \n${reflection}`;
    case 'history_only':
      return `\n\nOn trial #${trial}, the actions you took and the corresponding observations are: \n${past}\nThe task is NOT successfully completed.\n`;
    case 'reflection_only':
      return `\n\nOn trial #${trial}, the task is NOT successfully completed. Your reflection is:\n${reflection}`;
  }
}

/** All memory blocks (reference `parse_reflection`): a lone newline on the first attempt or without memory. */
export function memoryBlocks(attempt: number, memory: readonly AttemptMemory[], mode: MemoryMode): string {
  if (mode === 'none' || attempt === 0 || memory.length === 0) return '\n';
  return (
    memory
      .slice(0, attempt)
      // reflection_only shows no past history: not formatted (a string per attempt per turn, unused)
      .map((m) =>
        memoryBlock(
          mode,
          m.attempt + 1,
          mode === 'reflection_only' ? '' : fetchHistory(m.history),
          m.reflection,
        ),
      )
      .join('')
  );
}

/** The current attempt's block (reference `parse_current_trajectory`). */
export function currentBlock(turn: number, attempt: number, trajectory: string): string {
  if (attempt === 0)
    return turn === 0
      ? ''
      : `\nBelow are the actions you took and the corresponding observations: \n${trajectory}`;
  if (turn === 0) return `\n\nCurrently you're on trial #${attempt + 1}, starting from the initial state.`;
  return `\n\nCurrently you're on trial #${attempt + 1}, below are the actions you took and the corresponding observations: \n${trajectory}`;
}

/** The admissible list as the reference renders it: `'a',\n 'b'`. */
export function admissibleList(s: AlfWorldState): string {
  return admissibleCommands(s)
    .map((c) => `'${c}'`)
    .join(',\n ');
}

function faithfulPlay(ctx: PlayPromptContext<AlfWorldState>): string {
  const fresh = ctx.memoryMode === 'none';
  const attempt = fresh ? 0 : ctx.attempt;
  const turn = ctx.history.length;
  const memory = memoryBlocks(attempt, fresh ? [] : ctx.memory, ctx.memoryMode);
  const current = currentBlock(turn, attempt, turn === 0 ? '' : fetchHistory(ctx.history));
  return PLAY_PROMPT(ctx.initial.feedback, memory, current, admissibleList(ctx.current)).trim();
}

function faithfulReflect(ctx: ReflectPromptContext<AlfWorldState>): string {
  const turn = ctx.history.length;
  const current = currentBlock(turn, ctx.attempt, turn === 0 ? '' : fetchHistory(ctx.history));
  return REFLECT_PROMPT(ctx.initial.feedback, current).trim();
}

/** `cabinet 1-9, coffeemachine 1, …`: the receptacles in the opening's order, numbered instances as ranges. */
export function placesText(s: AlfWorldState): string {
  const counts = new Map<string, number[]>();
  for (const r of s.game.receptacles) {
    const [type, n] = r.name.split(' ') as [string, string];
    counts.set(type, [...(counts.get(type) ?? []), Number(n)]);
  }
  return [...counts]
    .map(([type, ns]) => {
      const sorted = [...ns].sort((a, b) => a - b);
      const contiguous = sorted.every((n, i) => n === sorted[0]! + i);
      if (sorted.length > 1 && contiguous) return `${type} ${sorted[0]}-${sorted[sorted.length - 1]}`;
      return sorted.map((n) => `${type} ${n}`).join(', ');
    })
    .join(', ');
}

/** The compact action list: every admissible command but going somewhere, looking and examining. */
export function compactActions(s: AlfWorldState): string[] {
  return admissibleCommands(s).filter(
    (c) => !c.startsWith('go to ') && !c.startsWith('examine ') && c !== 'look' && c !== 'inventory',
  );
}

/** Commands of an attempt the compact play prompt shows (the newest). */
export const COMPACT_ACTIONS = 6;

/** The trial's earlier attempts in compact form, per memory mode. */
function compactMemory(m: AttemptMemory, mode: MemoryMode): string[] {
  const lines: string[] = [];
  if (mode === 'history_only' || mode === 'history_and_reflection')
    lines.push(`trial ${m.attempt + 1} did: ${didText(m.history)}`);
  if (mode === 'reflection_only' || mode === 'history_and_reflection')
    lines.push(`trial ${m.attempt + 1} lesson: ${m.reflection || 'none'}`);
  return lines;
}

function compactPlay(ctx: PlayPromptContext<AlfWorldState>): string {
  const fresh = ctx.memoryMode === 'none';
  const attempt = fresh ? 0 : ctx.attempt;
  const s = ctx.current;
  const lines = [`alfworld task: ${s.game.task}.`, `places: ${placesText(s)}.`];
  if (!fresh && attempt > 0)
    for (const m of ctx.memory.slice(0, attempt)) lines.push(...compactMemory(m, ctx.memoryMode));
  lines.push(`trial ${attempt + 1} did: ${didText(ctx.history)}`);
  if (ctx.history.length > 0) lines.push(`now: ${s.feedback}`);
  const held = heldObject(s);
  lines.push(`holding: ${held === -1 ? 'nothing' : s.game.objects[held]!.name}`);
  lines.push(`go to a place, or: ${compactActions(s).join(' | ') || 'nothing else'}`);
  lines.push('answer: <action>...</action>');
  return lines.join('\n');
}

/** What an attempt saw, compactly: each receptacle's contents when first seen (`countertop 1: mug 2, apple 1`). */
export function seenText(history: readonly HistoryRecord[]): string {
  const seen = new Map<string, string>();
  for (const h of history)
    for (const pattern of CONTENTS) {
      const m = pattern.exec(h.observation);
      if (m && !seen.has(m[1]!)) seen.set(m[1]!, parseList(m[2]!).join(', ') || 'nothing');
    }
  return [...seen].map(([r, list]) => `${r}: ${list}`).join('; ') || 'nothing';
}

/** The last `n` commands of an attempt, `a > b > c` (`… > ` when earlier ones are left out). */
function didText(history: readonly HistoryRecord[], n = COMPACT_ACTIONS): string {
  if (history.length === 0) return 'nothing';
  const shown = history.slice(-n).map((h) => h.action);
  return `${history.length > n ? '… > ' : ''}${shown.join(' > ')}`;
}

function compactReflect(ctx: ReflectPromptContext<AlfWorldState>): string {
  return [
    `alfworld task: ${ctx.initial.game.task}.`,
    `places: ${placesText(ctx.initial)}.`,
    `trial ${ctx.attempt + 1} failed. did: ${didText(ctx.history, HISTORY_LENGTH)}`,
    `saw: ${seenText(ctx.history)}`,
    'answer: <remark>what was found where, what was checked, the plan</remark>',
  ].join('\n');
}

export const ALFWORLD_PROMPTS: Record<PromptStyle, PromptSet<AlfWorldState>> = {
  faithful: { play: faithfulPlay, reflect: faithfulReflect },
  compact: { play: compactPlay, reflect: compactReflect },
};
