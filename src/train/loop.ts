/**
 * `lamer train`: the warm start, the floor, then the steps as the composition
 * of actors (pipeline.ts): each step's rollout actor (the ONNX policy with the
 * current weights, train seeds from stepTaskSeeds: fresh, or a fixed pool)
 * streams its trial records to the learner actor → credit and advantages
 * (computeAdvantages: LaMer/GiGPO, GRPO or PPO) → one PPO epoch (the Trainer)
 * → the new weights into the policy (setWeights); the step line, validation,
 * checkpoint and history subscribe to the learner's stats.
 * Validation on the fixed validation set every K steps; a history line per
 * step in `<out>/history.jsonl`, written before the step's checkpoint (every
 * K steps); `--resume` from the newest (resume.ts: what is written when, what
 * resume reconciles); at the end the report (report.ts).
 */
import { join } from 'node:path';
import { planRollout } from '../actors/rollout.js';
import { RolloutRunner } from '../actors/rollout-runner.js';
import { checkpointDirName } from '../learner/checkpoint-dirs.js';
import { computeAdvantages } from '../learner/credit/index.js';
import { checkProvider } from '../learner/provider-check.js';
import {
  checkOutputDir,
  checkpointBytes,
  Trainer,
  type TrainerCheckpoint,
  type TrainerSnapshot,
  type TurnTokens,
} from '../learner/trainer/index.js';
import type { LiveLog } from '../live/log.js';
import { watchRollout } from '../live/rollout.js';
import { trainingTokens } from '../policy/onnx/tokens.js';
import type { Policy } from '../policy/types.js';
import type { TurnSample } from '../streams/types.js';
import { startClusterRollout } from './cluster-rollout.js';
import { type TrainConfig, trainerConfigOf, trainingPlan, trajGammaOf, validationOptions } from './config.js';
import { type RolloutSummary, summarize, validate, validationFloor } from './evaluate.js';
import { type HistoryEntry, readHistoryFile, writeHistory } from './history.js';
import { logprobShift, shiftBaseline } from './logprob-shift.js';
import { setupTrainModel } from './model-setup.js';
import { type TrainHooks, writesAt } from './phases.js';
import { runPipeline } from './pipeline.js';
import { line, seconds, type TrainIO } from './progress.js';
import { type TrainReport, writeReport } from './report.js';
import { openRunFolder, reconcileHistory, runFiles } from './resume.js';
import { advantageStats, rolloutTable, type StepStats, stepEntry, stepLine } from './step-report.js';
import { stepRolloutInput, taskCountText } from './train-tasks.js';
import { envOf, formatPass, modelOf } from './warmstart.js';

/** Options of {@link runTraining}: where progress goes, resume, and the live log. */
export interface TrainOptions {
  io: TrainIO;
  /** Continue from the newest usable checkpoint in `<out>/checkpoints` (none: a ResumeError, unless `restart`). */
  resume?: boolean;
  /** Discard the folder's checkpoints, history and report and start over (with `resume`: only when nothing is usable). */
  restart?: boolean;
  /** Called at named points of the run (tests kill the process there: phases.ts). */
  hooks?: TrainHooks;
  /** Publish the run's live metric stream here (`--live`, `startTraining`). */
  liveLog?: LiveLog;
}

/** What {@link runTraining} returns: the output folder, the report, and the report's JSON and HTML paths. */
export interface TrainResult {
  out: string;
  report: TrainReport;
  reportPaths: { json: string; html: string };
}

/** The output folder of a run: `c.out`, or `runs/train-<env>-<algo>-s<seed>`. */
export function outDirOf(c: TrainConfig): string {
  return c.out ?? join('runs', `train-${envOf(c).envId}-${c.algo}-s${c.seed}`);
}

/**
 * `lamer train` as a function: warm start, floor, then the RL steps (rollout →
 * credit → PPO → new weights), validation and checkpoints every K steps,
 * `history.jsonl` and the report in the output folder. Rejects with a
 * `LamerError` subclass on bad config or I/O (the live log gets an `end` event with the error).
 */
export async function runTraining(c: TrainConfig, options: TrainOptions): Promise<TrainResult> {
  const started = Date.now();
  const live = options.liveLog;
  try {
    const result = await train(c, options);
    live?.publish({ kind: 'end', seconds: (Date.now() - started) / 1000 });
    return result;
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    live?.publish({ kind: 'end', seconds: (Date.now() - started) / 1000, error: message });
    throw error;
  }
}

async function train(c: TrainConfig, options: TrainOptions): Promise<TrainResult> {
  const { io } = options;
  const live = options.liveLog;
  const started = Date.now();
  const out = outDirOf(c);
  // Unwritable or full output folders fail here, before the warm start and the first step.
  // (An hf: model's size is known once its folder is read; the trainer checks the space again then.)
  await checkOutputDir(out, c.hf ? 0 : checkpointBytes(modelOf(c)) * (c.keepCheckpoints + 1));
  // A GPU provider that is not installed fails here (ProviderUnavailableError: how to install it).
  if (c.provider !== undefined) await checkProvider(c.provider);
  const files = runFiles(out);
  const mode = { resume: options.resume === true, restart: options.restart === true };
  const hooks = options.hooks;
  const { envId, params } = envOf(c);
  const plan = trainingPlan(c);
  live?.publish({
    kind: 'run',
    run: {
      command: 'train',
      title: `lamer train: ${envId} ${c.algo} seed ${c.seed}`,
      envId,
      attempts: c.attempts,
      steps: c.steps,
      algo: c.algo,
    },
  });
  // A --resume with nothing to resume, or a history that does not match its checkpoint, fails once
  // the model is known and before the warm start (setupTrainModel calls `open` in between).
  const opened: { from: TrainerCheckpoint | null } = { from: null };
  const setup = await setupTrainModel(c, io, out, {
    hooks,
    open: async (saved) => {
      opened.from = await openRunFolder(out, saved, mode, (m) => line(io, m));
    },
  });
  const from = opened.from;
  let history: HistoryEntry[] = [];
  if (from) {
    const file = await readHistoryFile(files.history);
    const kept = reconcileHistory(file, files.history, from.snapshot.step, c.validation.beforeTraining);
    for (const note of kept.notes) line(io, note);
    history = kept.entries;
  }
  await writeHistory(files.history, history);
  const { model, warm } = setup;
  line(io, `model: ${setup.label}`);
  if (warm) {
    live?.publish({ kind: 'warmstart', losses: warm.report.losses });
    live?.publish({ kind: 'validation', label: 'warm start', summary: warm.report.validation });
  }
  const tokensOf = (s: TurnSample) => trainingTokens(s, setup.codec);
  const logger = (m: string) => line(io, m);
  const trainer = await Trainer.create(trainerConfigOf(c, setup.trainer, files.checkpoints), {
    logger,
    ...(from ? { resume: from } : {}),
    ...(setup.initialParams ? { initialParams: setup.initialParams } : {}),
    tokens: tokensOf,
  });
  // the rollouts' policy: in process, or servers of the model that get each step's adapter (rollout)
  let policy: Policy & {
    setWeights(params: Readonly<Record<string, Float32Array>>, version: number): Promise<void>;
    dispose(): Promise<void>;
    /** The ONNX policy's: drop the prompt prefixes kept in its worker (prefix-store.ts). */
    resetPrefixCache?(): Promise<void>;
  };
  try {
    policy = c.rollout
      ? await startClusterRollout(
          c,
          setup,
          out,
          // a fresh adapter (B = 0) is the base model: the servers' own, nothing to load
          { params: trainer.params, version: trainer.policyVersion, fresh: trainer.step === 0 },
          logger,
        )
      : await setup.policy(trainer.params, trainer.policyVersion, c.seed);
  } catch (error) {
    await trainer.dispose();
    throw error;
  }
  // the steps' rollouts, and the validations, each on one kept rollout actor (rollout-runner.ts)
  const rollouts = new RolloutRunner({ policy });
  const validations = new RolloutRunner({ policy });
  const trajGamma = trajGammaOf(c, envId);
  const { topP, topK } = c.sampling.train;
  const truncates = topP < 1 || (topK > 0 && topK < model.vocabSize);
  const validationOf = async (step: number): Promise<RolloutSummary> => {
    const t0 = Date.now();
    const { summary } = await validate(validations, {
      ...validationOptions(c, envId, params),
      runId: `validation-${step}`,
    });
    line(
      io,
      `validation @ step ${step}: ${formatPass(summary, true)} entropy ${summary.entropy.toFixed(3)} invalid ${summary.invalidRate.toFixed(3)}` +
        `${c.attempts > 1 ? ` fatal repeats ${(summary.fatalRepeat ?? 0).toFixed(3)}` : ''} (${seconds(Date.now() - t0)})`,
    );
    live?.publish(
      { kind: 'validation', label: 'validation', summary },
      { step, policyVersion: trainer.policyVersion },
    );
    return summary;
  };
  line(
    io,
    `training ${c.algo} on ${envId}: ${c.steps} steps × ${taskCountText(c)} × ${plan.trialsPerTask} trials × ${plan.attempts} attempt(s); out ${out}`,
  );
  const floor = await validationFloor(validationOptions(c, envId, params));
  line(io, `validation floor (random admissible actions): ${formatPass(floor, true)}`);
  live?.publish({ kind: 'validation', label: 'floor', summary: floor });
  // Steps saved as checkpoints: their trainer state, taken right after their update (with
  // pipeline.staleness 1 the learner may be on the next step by the time the step's line is written).
  const saves = new Map<number, TrainerSnapshot>();
  const saved = (step: number) => step % c.checkpointEvery === 0 || step === c.steps;
  let trained = trainer.step; // the step the learner is on
  try {
    if (trainer.step === 0 && c.validation.beforeTraining) {
      history.push({ step: 0, seconds: 0, validation: await validationOf(0) });
      await writeHistory(files.history, history);
    }
    const score = (t: readonly TurnTokens[]) => trainer.responseLogprobs(t);
    const table = io.bars ?? io.out.isTTY === true;
    await runPipeline<StepStats>({
      from: trainer.step + 1,
      to: c.steps,
      staleness: c.pipeline.staleness,
      credit: {
        estimator: plan.estimator,
        stepGamma: c.stepGamma,
        trajGamma,
        returnVariant: c.returnVariant,
        invalidPenalty: c.invalidPenalty,
      },
      // the rollout actor of one step; its trial records stream to the learner (pipeline.ts)
      rollout: (step) => {
        const input = stepRolloutInput(c, plan, { envId, params }, step);
        const index = new Map(planRollout(input).map((t, i) => [t.trialId!, i]));
        return {
          planIndex: (trialId) => index.get(trialId),
          run: async (attach) => {
            // Without the prefixes kept from the validation before it, as after --resume (same run, same samples).
            await policy.resetPrefixCache?.();
            live?.at(step, trainer.policyVersion);
            return rollouts.run({
              ...input,
              attach: (actor) => {
                attach(actor);
                if (hooks?.at) {
                  const first = actor.on('trial', () => {
                    first.unsubscribe();
                    hooks.at?.('rollout', step);
                  });
                }
                if (live)
                  watchRollout(live, actor, {
                    phase: 'rollout',
                    attempts: plan.attempts,
                    trialsPerTask: plan.trialsPerTask,
                    concurrency: c.concurrency,
                  });
                if (table) rolloutTable(io, actor, plan.attempts);
              },
            });
          },
        };
      },
      // the learner actor's training of one batch: credit and advantages, the update, the log-prob shift
      train: async ({ records, credit }) => {
        const batch = computeAdvantages(records, credit);
        // truncated sampling renormalises its recorded log-probs, so the shift rescores before the step
        const base = await shiftBaseline(batch, tokensOf, truncates ? score : undefined);
        const update = trainer.trainPpo(batch);
        trained += 1;
        hooks?.at?.('update', trained);
        const stats = await update;
        if (saved(stats.step)) saves.set(stats.step, trainer.snapshot());
        const shift = await logprobShift(base, score);
        return { ...stats, advantages: advantageStats(batch.advantages), shift };
      },
      publish: (version) => policy.setWeights(trainer.params, version),
      // the learner stats' subscribers: the step line, validation, checkpoint, the history and live writers
      afterStep: async ({ step, records, rolloutSeconds, started: t0, stats }) => {
        const entry = stepEntry(
          step,
          (Date.now() - t0) / 1000,
          rolloutSeconds,
          await summarize(records, plan.attempts),
          stats,
        );
        line(io, stepLine(c, entry, stats, Date.now() - t0));
        if (step % c.validation.every === 0 || step === c.steps) {
          const validation = validationOf(step);
          hooks?.at?.('validation', step);
          entry.validation = await validation;
        }
        // The step's line reaches the disk before its checkpoint: every step a checkpoint covers has its line.
        const at = saves.get(step);
        if (at) entry.checkpoint = join(files.checkpoints, checkpointDirName(step));
        history.push(entry);
        await writeHistory(files.history, history, writesAt(hooks, 'history', step));
        if (at) {
          await trainer.checkpoint({ at, write: writesAt(hooks, 'checkpoint', step) });
          await setup.saved(at.state.params);
          saves.delete(step);
        }
        live?.publish({ kind: 'step', entry }, { step, policyVersion: stats.policyVersion });
      },
    });
  } finally {
    rollouts.stop();
    validations.stop();
    await policy.dispose();
    await trainer.dispose();
  }
  const report: TrainReport = {
    config: c,
    envId,
    params,
    plan,
    trajGamma,
    ...(warm ? { warmStart: { ...warm.report, dir: warm.dir } } : {}),
    model: setup.label,
    floor,
    history,
    seconds: (Date.now() - started) / 1000,
  };
  const reportPaths = await writeReport(out, report);
  line(io, `report: ${reportPaths.html} and ${reportPaths.json}`);
  return { out, report, reportPaths };
}
