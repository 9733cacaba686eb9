/** The browser chart module (src/live/assets/charts.js) evaluated in a Node VM context, for its data model. */
import { runInNewContext } from 'node:vm';
import { pageAssets } from '../../src/live/assets.js';
import type { LiveEvent } from '../../src/live/events.js';

export interface ChartView {
  id: string;
  title: string;
  xLabel: string;
  x: number[];
  series: { label: string; values: (number | null)[] }[];
}

export function chartModel(events: readonly LiveEvent[]): ChartView[] {
  const context: Record<string, unknown> = {};
  runInNewContext(pageAssets().chartsJs, context);
  const module = context.LamerCharts as { model: (e: unknown) => ChartView[] };
  // JSON round trip: the page gets the events as JSON (NaN becomes null)
  return JSON.parse(JSON.stringify(module.model(JSON.parse(JSON.stringify(events)))));
}
