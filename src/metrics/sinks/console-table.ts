/**
 * Live console table of metric events. Keeps the latest value of every
 * series (name + tags) and redraws at most once per `throttleMs` (leading and
 * trailing, RxJS `throttleTime`), plus once at the end.
 *
 * On a TTY the table is redrawn in place (cursor moved up over the previous
 * drawing), box-drawn, coloured unless NO_COLOR. Elsewhere (CI logs, pipes)
 * each redraw prints plain lines, one per series that changed since the last
 * one, and the end prints the full table once in plain aligned columns.
 * Events pass through unchanged.
 */
import {
  asyncScheduler,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  Subject,
  throttleTime,
} from 'rxjs';
import { type MetricEvent, metricKey } from '../../streams/metric.js';
import { colorEnabled, type TableStyle, type TextOut, textTable } from './text-table.js';

export type { TextOut } from './text-table.js';

/** Options of {@link consoleTable}. */
export interface ConsoleTableOptions {
  /** Where to draw (default `process.stdout`). */
  out?: TextOut;
  /** Minimum time between redraws in ms (default 500). */
  throttleMs?: number;
  /** Force TTY (in-place) or plain-line mode; default: `out.isTTY`. */
  tty?: boolean;
  /** Draw the table when the stream ends (default true). */
  final?: boolean;
  /** On a TTY, erase the live table when the stream ends, e.g. before a final report (default false). */
  clear?: boolean;
  /** Which series to show (default all); every event still passes through. */
  show?: (event: MetricEvent) => boolean;
  /** Scheduler for the throttle (tests pass a TestScheduler). */
  scheduler?: SchedulerLike;
}

/** A value as shown: integers as is, others to 4 decimals. */
export function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}

/**
 * The table of the latest events (one row per series, in first-seen order): box-drawn by default,
 * plain aligned columns with `{ box: false }` (see `tableStyle` for a stream's).
 */
export function renderMetricsTable(
  latest: Iterable<MetricEvent>,
  style: TableStyle = { box: true, color: false },
): string {
  const rows = [...latest].map((e) => {
    const tags = Object.entries(e.tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return [e.name, tags, formatValue(e.value), String(e.count)];
  });
  return textTable(['metric', 'tags', 'value', 'n'], rows, style);
}

/** One plain line per event: `name{tags} = value (n=count)`. */
export function plainLine(e: MetricEvent): string {
  return `${metricKey(e)} = ${formatValue(e.value)} (n=${e.count})`;
}

/**
 * Pass-through operator drawing the latest value of every metric series as a
 * table: redrawn in place on a TTY (coloured unless `NO_COLOR`), plain lines
 * elsewhere; at most once per `throttleMs`, and once at the end.
 */
export function consoleTable(options: ConsoleTableOptions = {}): OperatorFunction<MetricEvent, MetricEvent> {
  const out: TextOut = options.out ?? process.stdout;
  const tty = options.tty ?? out.isTTY === true;
  const style: TableStyle = { box: tty, color: tty && colorEnabled(out) };
  const throttleMs = options.throttleMs ?? 500;
  return (source) =>
    new Observable<MetricEvent>((subscriber) => {
      const latest = new Map<string, MetricEvent>();
      const changed = new Set<string>();
      let drawnLines = 0;
      const draw = (final: boolean) => {
        if (tty) {
          const text = `${renderMetricsTable(latest.values(), style)}\n`;
          // ESC[nF: cursor to the start of the line n lines up; ESC[0J: clear to the end of the screen.
          out.write((drawnLines > 0 ? `\x1b[${drawnLines}F\x1b[0J` : '') + text);
          drawnLines = text.split('\n').length - 1;
        } else if (final) {
          if (latest.size > 0) out.write(`${renderMetricsTable(latest.values(), style)}\n`);
        } else if (changed.size > 0) {
          out.write(`${[...changed].map((k) => plainLine(latest.get(k)!)).join('\n')}\n`);
        }
        changed.clear();
      };
      const ticks = new Subject<void>();
      const redraws = ticks
        .pipe(
          throttleTime(throttleMs, options.scheduler ?? asyncScheduler, { leading: true, trailing: true }),
        )
        .subscribe(() => draw(false));
      const end = () => {
        redraws.unsubscribe();
        if (tty && options.clear && drawnLines > 0) {
          out.write(`\x1b[${drawnLines}F\x1b[0J`);
          drawnLines = 0;
        }
        if (options.final !== false) draw(true);
      };
      const subscription = source.subscribe({
        next: (event) => {
          if (options.show?.(event) !== false) {
            const key = metricKey(event);
            latest.set(key, event);
            changed.add(key);
            ticks.next();
          }
          subscriber.next(event);
        },
        error: (err) => {
          end();
          subscriber.error(err);
        },
        complete: () => {
          end();
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        redraws.unsubscribe();
      };
    });
}
