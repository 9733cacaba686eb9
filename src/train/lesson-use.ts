/**
 * Does a policy act on its lessons? Over the play turns of later attempts
 * where the lesson-aware expert (`env.lessonAction`, reading the reflections
 * the prompt shows) and the plain solver (`env.expertAction`) choose different
 * moves, the share of the policy's moves equal to each. A policy that ignores
 * its reflections follows the lesson no more often than chance allows; the
 * warm start's targets are the lesson moves, so this measures how much of
 * that the model learned. Trials are replayed from their seeds (envs are
 * pure), and the replay is checked against the recorded actions.
 */
import { getEnv } from '../envs/core/registry.js';
import { applyReply } from '../envs/core/reply.js';
import type { AttemptMemory, HistoryRecord, Json, MemoryMode } from '../envs/core/types.js';
import type { TrialRecord, TurnSample } from '../streams/types.js';
import { LamerError } from '../util/errors.js';

export interface LessonUse {
  /** Play turns of attempts ≥ 2 whose prompt showed at least one reflection. */
  turns: number;
  /** Those where the lesson move and the solver move differ. */
  disagreements: number;
  /** Of the disagreements: the policy played the lesson move / the solver move. */
  followedLesson: number;
  followedSolver: number;
}

export class ReplayMismatchError extends LamerError {}

function byAttempt(samples: readonly TurnSample[]): Map<number, TurnSample[]> {
  const out = new Map<number, TurnSample[]>();
  for (const s of samples) out.set(s.attempt, [...(out.get(s.attempt) ?? []), s]);
  return out;
}

/** Lesson use of `records` (played with `params` and `memoryMode`). Envs without `lessonAction` count nothing. */
export function lessonUse(records: readonly TrialRecord[], params: Json, memoryMode: MemoryMode): LessonUse {
  const use: LessonUse = { turns: 0, disagreements: 0, followedLesson: 0, followedSolver: 0 };
  for (const record of records) {
    const env = getEnv(record.envId);
    if (!env.lessonAction || !env.expertAction || record.failed) continue;
    const initial = env.initial(record.seed, params);
    const memory: AttemptMemory[] = [];
    for (const [attempt, samples] of byAttempt(record.samples)) {
      let state = initial;
      const history: HistoryRecord[] = [];
      for (const s of samples.filter((x) => x.phase === 'play')) {
        const turn = applyReply(env, state, s.response);
        const shown = memory.some((m) => m.reflection.length > 0);
        if (attempt > 0 && shown) {
          use.turns++;
          const ctx = { initial, current: state, attempt, history, memory, memoryMode };
          const lesson = env.lessonAction(ctx);
          const solver = env.expertAction(state);
          if (lesson !== null && solver !== null) {
            const [l, e] = [env.formatAction(lesson), env.formatAction(solver)];
            if (l !== e) {
              use.disagreements++;
              const played = turn.projection;
              const p = played.kind === 'action' ? env.formatAction(played.action) : null;
              if (p === l) use.followedLesson++;
              if (p === e) use.followedSolver++;
            }
          }
        }
        const { record: rec, result: r } = turn;
        if ((s.action !== undefined && s.action !== rec.action) || s.reward !== r.reward || s.done !== r.done)
          throw new ReplayMismatchError(
            `replaying ${record.trialId} attempt ${attempt + 1} turn ${s.turn + 1} gave "${rec.action}" (reward ${r.reward}, done ${r.done}), the record says "${s.action}" (reward ${s.reward}, done ${s.done}): pass the params the records were played with`,
          );
        history.push(rec);
        state = r.state;
      }
      const reflect = samples.find((x) => x.phase === 'reflect');
      const parsed = reflect ? env.parseReflection(reflect.response) : null;
      memory.push({ attempt, history, reflection: parsed?.kind === 'reflection' ? parsed.text : '' });
    }
  }
  return use;
}
