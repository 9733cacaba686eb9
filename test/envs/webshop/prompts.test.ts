import { describe, expect, it } from 'vitest';
import type { AttemptMemory, HistoryRecord, MemoryMode } from '../../../src/envs/core/types.js';
import { fetchHistory, instructionOf, type WebShopState, webshop } from '../../../src/envs/webshop/index.js';
import { playActions } from '../play.js';

const params = webshop.presets.default!;
const s0 = webshop.initial(2024, params);
const task = instructionOf(s0);

/** Play the expert for `n` turns, recording history as the trial engine does. */
function run(n: number): { state: WebShopState; history: HistoryRecord[] } {
  let state = s0;
  const history: HistoryRecord[] = [];
  for (let t = 0; t < n; t++) {
    const turn = playActions(webshop, state, [webshop.expertAction!(state)!]);
    state = turn.state;
    history.push(...turn.history);
  }
  return { state, history };
}

const play = (
  attempt: number,
  history: HistoryRecord[],
  memory: AttemptMemory[],
  memoryMode: MemoryMode,
  current = s0,
) => webshop.prompts.faithful.play({ initial: s0, current, attempt, history, memory, memoryMode });

describe('WebShop faithful prompts', () => {
  it('renders the reference play prompt word for word at the first turn', () => {
    expect(play(0, [], [], 'reflection_only')).toBe(
      `
You are an expert autonomous agent operating in the WebShop e\u2011commerce environment.
Your task is to: ${task}.

Your admissible actions of the current situation are: 
[
'search[<your query>]',
'click[search]',
].

Now it's your turn to take one action for the current step.
Your response should first be step-by-step reasoning about the current situation, then think carefully which admissible action best advances the shopping goal.
Once you've finished your reasoning, you should choose an admissible action for current step and present it within <action> </action> tags.
`,
    );
  });

  it('shows the last 5 turns, cutting older observations to 15 [SEP] items', () => {
    const { state, history } = run(2);
    const long: HistoryRecord = {
      ...history[0]!,
      observation: Array.from({ length: 20 }, (_, i) => `'x${i}'`).join(' [SEP] '),
    };
    const records = [long, long, long, long, long, ...history];
    const prompt = play(0, records, [], 'reflection_only', state);
    expect(prompt).toContain(
      '\n\nBelow are the last few actions and corresponding observations you have: \nAction 3: ',
    );
    expect(prompt).not.toContain('Action 2: ');
    expect(prompt).toContain(`'x14' ... (5 more)\nAction 4: `);
    expect(prompt).toContain(
      `Action 7: ${history[1]!.action}\nObservation 7: ${history[1]!.observation}\n\nYour admissible actions`,
    );
    // Exactly 15 items still get the marker (the reference tests `>=`).
    const fifteen = { ...long, observation: Array.from({ length: 15 }, () => "'y'").join(' [SEP] ') };
    expect(fetchHistory([fifteen, fifteen], 5, 15)).toContain("'y' ... (0 more)\nAction 2");
  });

  it('renders each memory mode for later attempts; none renders a fresh attempt 0', () => {
    const { history } = run(2);
    const memory: AttemptMemory[] = [{ attempt: 0, history, reflection: 'search the title next time' }];
    const reflectionOnly = play(1, [], memory, 'reflection_only');
    expect(reflectionOnly).toContain(
      `.\n\nOn trial #1, the task is NOT successfully completed. Your reflection is: \nsearch the title next time\n\nCurrently you're on trial #2, starting from the initial state.\n\nYour admissible`,
    );
    const past = fetchHistory(history, 3, 6);
    expect(play(1, [], memory, 'history_only')).toContain(
      `On trial #1, the last few actions and observations you have are: \n${past}\nThe task is NOT successfully completed. \n\nCurrently you're on trial #2`,
    );
    expect(play(1, [], memory, 'history_and_reflection')).toContain(
      `On trial #1, the last few actions and observations you have are: \n${past}\nThe task is NOT successfully completed. Your reflection is: \nsearch the title next time\n\nCurrently`,
    );
    expect(play(1, [], memory, 'none')).toBe(play(0, [], [], 'reflection_only'));
    const later = play(1, history.slice(0, 1), memory, 'reflection_only', run(1).state);
    expect(later).toContain(
      "Currently you're on trial #2, below are the last few actions and observations: \nAction 1: ",
    );
  });

  it('renders the reflect prompt with the attempt history and the remark instruction', () => {
    const { state, history } = run(3);
    const prompt = webshop.prompts.faithful.reflect({ initial: s0, current: state, attempt: 0, history });
    expect(
      prompt.startsWith(
        `\nYou are an expert autonomous agent operating in the WebShop e\u2011commerce environment.\nYour task is to: ${task}.\n\n`,
      ),
    ).toBe(true);
    expect(prompt).toContain(
      `Below are the last few actions and corresponding observations you have: \n\n\nBelow are the last few actions and corresponding observations you have: \n${fetchHistory(history, 20, 15)}\nThe task is NOT successfully completed.`,
    );
    expect(prompt.endsWith('inside <remark> </remark> tags, to guide the next trial.\n')).toBe(true);
  });

  it('switches to the short variant past 20,000 characters', () => {
    const huge: HistoryRecord = {
      action: 'search[x]',
      observation: 'y'.repeat(25_000),
      reward: 0,
      done: false,
      won: false,
    };
    const prompt = play(0, [huge, { ...huge, observation: 'last' }], [], 'history_only');
    expect(prompt.length).toBeLessThan(20_000);
    expect(prompt).toContain('you have: \nObservation 2: last\n');
  });
});

describe('WebShop compact prompts, projection and reflections', () => {
  it('compact prompts carry the task, memory, page and actions', () => {
    const { state, history } = run(1);
    const memory: AttemptMemory[] = [{ attempt: 0, history, reflection: 'open the product' }];
    const p = webshop.prompts.compact.play({
      initial: s0,
      current: state,
      attempt: 1,
      history,
      memory,
      memoryMode: 'history_and_reflection',
    });
    expect(p).toContain(`webshop task: ${task}`);
    expect(p).toContain('attempt 1 reflection: open the product');
    expect(p).toContain(`attempt 1 actions: ${history[0]!.action}`);
    expect(p).toContain(`page: ${webshop.observe(state)}`);
    expect(p).toContain('click[back to search]');
    const r = webshop.prompts.compact.reflect({ initial: s0, current: state, attempt: 0, history });
    expect(r).toContain('<remark>');
  });

  it('projects like the reference: lower case, first tags, valid iff both tags', () => {
    expect(webshop.project('Think... <ACTION> Click[Buy Now] </action> <action>x</action>')).toEqual({
      kind: 'action',
      action: 'click[buy now]',
    });
    expect(webshop.project('<action>search[Red Shoes]')).toMatchObject({ kind: 'invalid' });
    expect(webshop.project('</action>oops<action>')).toEqual({ kind: 'action', action: '' });
    expect(webshop.parseReflection('<remark>a</remark> then <remark> b </remark>')).toEqual({
      kind: 'reflection',
      text: 'b',
    });
    expect(webshop.parseReflection('no tags')).toMatchObject({ kind: 'invalid' });
    expect(webshop.describeAction(null)).toBe('invalid action');
    expect(webshop.formatAction('click[next >]')).toBe('click[next >]');
  });

  it('writes a rule reflection with the plan that would have worked', () => {
    const { state, history } = run(1);
    const text = webshop.ruleReflection!({ initial: s0, current: state, attempt: 0, history });
    expect(text).toMatch(/^I did not buy anything/);
    expect(text).toContain('click[buy now]');
    const goalAsin = webshop.expertAction!(state)!; // click[<goal asin>] on the results page
    const other = webshop.admissible(state).find((a) => /^click\[b0/.test(a) && a !== goalAsin)!;
    const wrong = webshop.step(webshop.step(state, other).state, 'click[buy now]').state;
    expect(webshop.ruleReflection!({ initial: s0, current: wrong, attempt: 0, history })).toMatch(
      /^I bought b0\w+ \(".+"\), which is not what the task asks for/,
    );
    const right = webshop.step(webshop.step(state, goalAsin).state, 'click[buy now]').state;
    const goal = webshop.ruleReflection!({ initial: s0, current: right, attempt: 0, history });
    expect(goal).toMatch(/^I bought the right product (but did not select|with the right options)/);
  });
});
