/**
 * Metric events: what the metric operators (src/metrics/) emit and the sinks
 * (console table, JSONL) consume. One event = one named number about the run
 * so far, with the unit it counts in and free-form string tags
 * (`attempt`, `phase`, `taskType`, ...).
 */

/** What `step` counts: the inputs the operator has consumed so far. */
export type MetricScope = 'turn' | 'trial' | 'task';

/** One value of a metric operator, with what it was computed over. */
export interface MetricEvent {
  /** Metric name, e.g. `pass@1`, `entropy`, `invalid_action_rate`. */
  name: string;
  value: number;
  /** How many inputs (of `scope`) the operator had consumed when it emitted this value. */
  step: number;
  scope: MetricScope;
  /** Sample size of the value: the denominator of a rate or mean (0 when nothing was counted yet). */
  count: number;
  /** Breakdown labels; `{}` for the overall value. */
  tags: Record<string, string>;
}

/** Build an event with its tags in sorted key order (stable keys and JSON). */
export function metric(
  name: string,
  value: number,
  at: { step: number; scope: MetricScope; count: number },
  tags: Record<string, string> = {},
): MetricEvent {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(tags).sort()) sorted[key] = tags[key]!;
  return { name, value, step: at.step, scope: at.scope, count: at.count, tags: sorted };
}

/** Identity of a series: its name plus its tags, e.g. `pass@2{taskType=pick}`. */
export function metricKey(event: Pick<MetricEvent, 'name' | 'tags'>): string {
  const tags = Object.keys(event.tags)
    .sort()
    .map((k) => `${k}=${event.tags[k]}`)
    .join(',');
  return tags ? `${event.name}{${tags}}` : event.name;
}

/** The latest event of each series, keyed by `metricKey`, in first-seen order. */
export function latestByKey(events: Iterable<MetricEvent>, into = new Map<string, MetricEvent>()) {
  for (const event of events) into.set(metricKey(event), event);
  return into;
}

/** A rate or mean that is 0 (not NaN) when nothing was counted. */
export function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}
