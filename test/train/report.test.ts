import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrainConfig, trainingPlan } from '../../src/train/config.js';
import type { RolloutSummary } from '../../src/train/evaluate.js';
import { reportEvents, reportHtml, type TrainReport, writeReport } from '../../src/train/report.js';
import { chartModel } from '../live/chart-module.js';

const summary = (pass: number[], entropy = 0.5): RolloutSummary => ({
  trials: 8,
  pass,
  entropy,
  entropyNorm: 0.5,
  entropyByAttempt: pass.map(() => entropy),
  invalidRate: 0.1,
  reflectionErrorRate: 0,
  episodeReturn: -1,
  failedTrials: 0,
});

const train = (loss: number) => ({
  loss,
  pgLoss: loss,
  entropy: 1,
  clipFrac: 0,
  approxKl: 0,
  gradNorm: 1,
  samples: 10,
  tokens: 100,
  updates: 1,
  stopped: false,
  policyVersion: 1,
});

function fakeReport(): TrainReport {
  const config = loadTrainConfig({ overrides: { env: 'minesweeper', algo: 'lamer' } });
  return {
    config,
    envId: 'MineSweeper-v0',
    params: {},
    plan: trainingPlan(config),
    trajGamma: 0.6,
    warmStart: {
      dir: 'w',
      envId: 'MineSweeper-v0',
      params: {},
      model: {} as never,
      tokenizer: 'x',
      seed: 0,
      demos: {} as never,
      examples: 1,
      steps: 2,
      losses: [3, 2],
      validation: summary([0.1, 0.2, 0.3]),
      seconds: 1,
    },
    history: [
      { step: 0, seconds: 1, validation: summary([0.1, 0.2, 0.25]) },
      { step: 1, seconds: 1, rollout: summary([0, 0, 0.5]), train: train(Number.NaN) },
      {
        step: 2,
        seconds: 1,
        rollout: summary([0.5, 0.5, 0.5]),
        train: train(0.25),
        validation: summary([0.2, 0.3, 0.4]),
      },
    ],
    seconds: 3,
  };
}

describe('training report', () => {
  it('charts: x values and every series aligned; missing and NaN values are gaps', () => {
    const charts = chartModel(reportEvents(fakeReport()));
    for (const c of charts) for (const s of c.series) expect(s.values).toHaveLength(c.x.length);
    const val = charts.find((c) => c.title.startsWith('Validation pass@k'))!;
    expect(val.x).toEqual([0, 2]);
    expect(val.series.map((s) => s.label)).toEqual(['pass@1', 'pass@2', 'pass@3']);
    expect(val.series[2]!.values).toEqual([0.25, 0.4]);
    const losses = charts.find((c) => c.title === 'Losses')!;
    expect(losses.series[0]!.values).toEqual([null, 0.25]);
    // the KL to the warm start is charted only when a run had the penalty on
    expect(losses.series.map((s) => s.label)).not.toContain('KL to the warm start (klCoef)');
    const withKl = fakeReport();
    withKl.history[2]!.train!.kl = 0.03;
    const klSeries = chartModel(reportEvents(withKl))
      .find((c) => c.title === 'Losses')!
      .series.find((s) => s.label === 'KL to the warm start (klCoef)');
    expect(klSeries?.values).toEqual([null, 0.03]);
  });

  it('html: one offline page with the data, the summary table and no external resources', () => {
    const r = fakeReport();
    r.envId = '<b>MineSweeper</b>';
    const html = reportHtml(r);
    expect(html).toContain('&lt;b&gt;MineSweeper&lt;/b&gt;');
    expect(html).not.toContain('<b>MineSweeper</b>');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/[^"'\s]*\.js/);
    expect(html).toContain('<td>0.400</td>'); // after RL, pass@3
  });

  it('writes report.json (NaN as null) and report.html', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lamer-report-'));
    const paths = await writeReport(dir, fakeReport());
    const json = JSON.parse(readFileSync(paths.json, 'utf8'));
    expect(json.history[1].train.loss).toBeNull();
    expect(readFileSync(paths.html, 'utf8').startsWith('<!doctype html>')).toBe(true);
  });
});
