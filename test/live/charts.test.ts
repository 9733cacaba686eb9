import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { liveMetrics } from '../../src/live/log.js';
import { startEval } from '../../src/live/run.js';
import { chartModel } from './chart-module.js';

const quiet = { write: () => true, isTTY: false };

describe('a live eval: startEval + liveMetrics, and the charts drawn from its events', () => {
  it('streams the run, turn batches and trial summaries; the last summary equals the final report', async () => {
    const run = startEval(
      {
        env: 'minesweeper',
        policy: 'random',
        tasks: 6,
        attempts: 3,
        memory: 'reflection_only',
        seed: 5,
        trialsPerTask: 2,
        concurrency: 4,
        out: join(mkdtempSync(join(tmpdir(), 'lamer-live-')), 'eval.jsonl'),
        live: false,
      },
      { out: quiet, live: quiet },
    );
    const events$ = lastValueFrom(liveMetrics(run).pipe(toArray()));
    const result = await run.done;
    const events = await events$;
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(events[0]).toMatchObject({
      kind: 'run',
      run: { command: 'eval', envId: 'MineSweeper-v0', attempts: 3, trials: 12 },
    });
    expect(events.at(-1)).toMatchObject({ kind: 'end' });
    const batches = events.filter((e) => e.kind === 'turns');
    const trials = events.filter((e) => e.kind === 'trial');
    const turns = result.records.reduce((n, r) => n + r.samples.length, 0);
    expect(batches.reduce((n, b) => n + (b.kind === 'turns' ? b.turns : 0), 0)).toBe(turns);
    expect(Math.max(...batches.map((b) => (b.kind === 'turns' ? b.turns : 0)))).toBeLessThanOrEqual(4);
    expect(trials).toHaveLength(12);
    const last = trials.at(-1)!;
    const final = Object.fromEntries(
      result.metrics.filter((m) => Object.keys(m.tags).length === 0).map((m) => [m.name, m.value]),
    );
    if (last.kind !== 'trial') throw new Error('not a trial');
    for (const name of [
      'pass@1',
      'pass@2',
      'pass@3',
      'entropy',
      'invalid_action_rate',
      'format_error_rate',
      'episode_return',
    ])
      expect(last.metrics[name]).toBeCloseTo(final[name]!, 12);

    // the dashboard's charts of an eval: pass@k and entropy by trials, the per-batch chart by turns
    const charts = Object.fromEntries(chartModel(events).map((c) => [c.id, c]));
    expect(charts['eval-pass']!.x).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(charts['eval-pass']!.series.map((s) => s.label)).toEqual(['pass@1', 'pass@2', 'pass@3']);
    expect(charts['eval-pass']!.series[2]!.values.at(-1)).toBeCloseTo(final['pass@3']!, 12);
    expect(charts.turns!.x).toHaveLength(batches.length);
    expect(charts.turns!.x.at(-1)).toBe(turns);
    for (const c of Object.values(charts))
      for (const s of c.series) expect(s.values).toHaveLength(c.x.length);
    // training charts stay empty
    expect(charts.losses!.x).toEqual([]);
  });
});
