/**
 * The reference's Sokoban prompt templates (`agent_system/environments/sokoban/prompt.py`),
 * word for word, with Python `str.format` placeholders `{name}`. Data the
 * spec requires verbatim; `prompts.ts` fills them.
 */

const HEADER = [
  'You are an expert agent operating in the Sokoban environment.',
  '',
  '# Symbols and Their Meaning',
  "- Walls (`#`): These block movement. You can't move through or push anything into walls.",
  '- Floor (`_`): Open spaces where you can walk and move boxes.',
  '- Targets (`O`): The spots where boxes need to go.',
  '- Boxes (`X`): These are what you need to push onto the targets.',
  "- Player (`P`): That's you! You'll move around the grid to push boxes.",
  '- Box on Target (`√`): A box successfully placed on a target.',
  '- Player on Target (`S`): You standing on a target.',
  '',
];

const GOAL_AND_RULES = [
  'Your goal is to push all the boxes (`X`) onto the target spots (`O`). Once all boxes are on the targets, you win!',
  '',
  '# Rules',
  'Your admissible actions are ["up", "down", "left", "right"].',
  "You can only push one box at a time. You can't pull boxes, so plan ahead to avoid getting stuck.",
  "You can't walk through or push boxes into walls (`#`) or other boxes.",
  "To avoid traps, do not push boxes into corners or against walls where they can't be moved again.",
  '',
];

/** `SOKOBAN_PLAY_PROMPT` (before `.strip()`). */
export const SOKOBAN_PLAY_PROMPT = [
  '',
  ...HEADER,
  '# Goal',
  ...GOAL_AND_RULES,
  '# Observations',
  'The initial state of the game is:',
  '{init_observation}{past_trajectories_reflections}{current_trajectory}',
  "Now it's your turn to make moves (choose the next {num_actions_per_turn} actions).",
  '',
  '- Your response first be step-by-step reasoning about the current situation — observe the positions of boxes and targets, plan a path to push a box toward a target, and avoid traps like corners or walls.',
  '- Then choose {num_actions_per_turn} admissible actions and present them within <action> </action> tags (separated by comma).',
  '',
].join('\n');

/** `SOKOBAN_REFLECT_PROMPT` (before `.strip()`). */
export const SOKOBAN_REFLECT_PROMPT = [
  '',
  ...HEADER,
  '# Your Goal',
  ...GOAL_AND_RULES,
  '# Your Task',
  'You will be given the history of a past experience.',
  'Your job is to **reflect on the past sequence**, identify any **mistakes or inefficiencies**, and then devise a **concise, improved plan** starting from the original initial state.',
  '',
  '# Past Experience',
  'The initial state of the game is:',
  '{init_observation}',
  '{current_trajectory}',
  'The task is NOT successfully completed.',
  '',
  "Now it's your turn to reflect on the past experience and come up with a new plan of action.",
  '',
  '- Your response should first be step-by-step reasoning about the strategy and path you took to attempt to complete the task. Identify where things went wrong or could be better.',
  '- Then devise a concise, new plan of action that accounts for your mistake with reference to specific actions that you should have taken.',
  '- Finally, end the response with your reflection and improved plan inside <remark> </remark> tags, to guide the next trial.',
  '',
].join('\n');

/** `PAST_TRAJECTORY_AND_REFLECTION_TEMPLATE` (memory mode `history_and_reflection`). */
export const PAST_TRAJECTORY_AND_REFLECTION_TEMPLATE =
  '\n\nOn trial #{traj_idx}, you take the following actions: \n{past_trajectory}\nThe task is NOT successfully completed. Your reflection and improved plan is: \n{reflection}';

/** `HISTORY_ONLY_TEMPLATE` (memory mode `history_only`). */
export const HISTORY_ONLY_TEMPLATE =
  '\n\nOn trial #{traj_idx}, you take the following actions: \n{past_trajectory}\nThe task is NOT successfully completed.\n';

/** `REFLECTION_ONLY_TEMPLATE` (memory mode `reflection_only`). */
export const REFLECTION_ONLY_TEMPLATE =
  '\n\nOn trial #{traj_idx}, the task is NOT successfully completed. Your reflection is: \n{reflection}';

/** `CURR_TRAJ_AT_TRAJ1`: attempt 0, turn > 0. */
export const CURR_TRAJ_AT_TRAJ1 = '\nYou have already taken the following actions:\n{current_trajectory}\n';

/** `CURR_TRAJ_AT_TRAJ2toN`: attempt ≥ 1, turn > 0. */
export const CURR_TRAJ_AT_TRAJ2_TO_N =
  "\n\nCurrently you're on trial #{traj_idx}. You have already taken the following actions: \n{current_trajectory}\n";

/** `TRAJ_2toN_INIT`: attempt ≥ 1, turn 0. */
export const TRAJ_2_TO_N_INIT = "\n\nCurrently you're on trial #{traj_idx}, starting from the initial state.";

/** The reference's number words for `num_actions_per_turn`. */
export const NUMBER_WORDS: Record<number, string> = { 1: 'ONE', 2: 'TWO', 3: 'THREE', 4: 'FOUR', 5: 'FIVE' };

/** Python `str.format` with named fields (every `{name}` must be given). */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}
