/**
 * A run's live metric stream as an RxJS Observable (`liveMetrics(run)`), the
 * same stream `lamer train --live` and `lamer eval --live` serve to the
 * browser dashboard.
 *
 *   npm run example examples/live-metrics.ts   (in a clone; in your project: npx tsx file.ts)
 *
 * It starts an evaluation of the noisy expert on MineSweeper, prints pass@k
 * as trials finish, counts the policy batches' turns and invalid replies, then
 * shows that a subscriber arriving after the run still gets every event. For
 * a training run, `startTraining(config, { io })` returns the same kind of
 * handle, with `step` and `validation` events besides.
 */

import { liveMetrics, startEval } from 'lamer-ts';
import { filter, lastValueFrom, toArray } from 'rxjs';

const quiet = { write: () => true, isTTY: false };
const run = startEval(
  {
    env: 'minesweeper',
    policy: 'expert:0.3',
    tasks: 16,
    attempts: 3,
    memory: 'reflection_only',
    seed: 1,
    trialsPerTask: 2,
    concurrency: 8,
    out: 'runs/example-live-metrics.jsonl',
    live: false,
  },
  { out: quiet, live: quiet },
);

// Trial summaries: the run's pass@k so far, computed by the project's metric operators.
liveMetrics(run)
  .pipe(filter((e) => e.kind === 'trial'))
  .subscribe((e) => {
    if (e.kind !== 'trial' || e.trials % 8 !== 0) return;
    const pass = [1, 2, 3].map((k) => e.metrics[`pass@${k}`]!.toFixed(3)).join(' / ');
    console.log(`after ${e.trials} trials: pass@1/2/3 ${pass}`);
  });

// Turn batches: one event per batched policy call (at most `concurrency` turns), with its invalid replies.
let batches = 0;
let invalid = 0;
liveMetrics(run)
  .pipe(filter((e) => e.kind === 'turns'))
  .subscribe((e) => {
    if (e.kind !== 'turns') return;
    batches += 1;
    invalid += e.invalid;
  });

const result = await run.done;
const all = await lastValueFrom(liveMetrics(run).pipe(toArray()));
console.log(`${batches} turn batches, ${invalid} invalid play replies`);
console.log(`${result.records.length} trials; a subscriber after the end still got all ${all.length} events`);
