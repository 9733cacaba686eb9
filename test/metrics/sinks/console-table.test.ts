import { of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { consoleTable, renderMetricsTable } from '../../../src/metrics/sinks/console-table.js';
import { type MetricEvent, metric } from '../../../src/streams/metric.js';

const ev = (name: string, value: number, step: number): MetricEvent =>
  metric(name, value, { step, scope: 'trial', count: step });

function recorder() {
  const writes: string[] = [];
  return { writes, out: { write: (t: string) => writes.push(t) } };
}

describe('consoleTable', () => {
  it('redraws at most once per throttle window (leading + trailing) and once at the end', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    const { writes, out } = recorder();
    scheduler.run(({ cold, expectObservable, flush }) => {
      const values = {
        a: ev('pass@1', 0, 1),
        b: ev('pass@1', 0.5, 2),
        c: ev('pass@1', 1 / 3, 3),
        d: ev('x', 1, 1),
      };
      // a at 0 (leading draw), b and c inside the 10 ms window (one trailing draw at 10), d at 30 (leading draw)
      const source = cold('a 2ms b 2ms c 20ms d 5ms |', values);
      const piped = source.pipe(consoleTable({ out, tty: false, throttleMs: 10, scheduler }));
      expectObservable(piped).toBe('a 2ms b 2ms c 20ms d 5ms |', values);
      flush();
    });
    expect(writes[0]).toBe('pass@1 = 0 (n=1)\n');
    expect(writes[1]).toBe('pass@1 = 0.3333 (n=3)\n');
    expect(writes[2]).toBe('x = 1 (n=1)\n');
    // The final table has both series with their latest values.
    expect(writes).toHaveLength(4);
    expect(writes[3]).toContain('pass@1');
    expect(writes[3]).toContain('0.3333');
    // plain aligned columns off a terminal: no box drawing
    expect(writes[3]).toMatch(/^x\s+1\s+1$/m);
    expect(writes[3]).not.toMatch(/[│┌\x1b]/);
  });

  it('redraws in place on a TTY', () => {
    const { writes, out } = recorder();
    of(ev('pass@1', 0, 1), ev('pass@1', 1, 2))
      .pipe(consoleTable({ out, tty: true, throttleMs: 60_000 }))
      .subscribe();
    // leading draw, then the end draw moves the cursor up over the first table
    expect(writes).toHaveLength(2);
    const firstLines = writes[0]!.split('\n').length - 1;
    expect(writes[0]!.startsWith('\x1b[')).toBe(false);
    expect(writes[1]!.startsWith(`\x1b[${firstLines}F\x1b[0J`)).toBe(true);
    expect(writes[1]).toContain(' 1 ');
  });

  it('erases the live table at the end on a TTY when asked', () => {
    const { writes, out } = recorder();
    of(ev('pass@1', 0, 1))
      .pipe(consoleTable({ out, tty: true, throttleMs: 60_000, final: false, clear: true }))
      .subscribe();
    const lines = writes[0]!.split('\n').length - 1;
    expect(writes).toEqual([writes[0], `\x1b[${lines}F\x1b[0J`]);
  });

  it('shows only the selected series but passes every event on', () => {
    const { writes, out } = recorder();
    const passed: string[] = [];
    of(ev('pass@1', 0, 1), ev('hidden', 1, 1))
      .pipe(consoleTable({ out, tty: false, show: (e) => e.name !== 'hidden' }))
      .subscribe((e) => passed.push(e.name));
    expect(passed).toEqual(['pass@1', 'hidden']);
    expect(writes.join('')).not.toContain('hidden');
  });

  it('renders tags and counts', () => {
    const text = renderMetricsTable([
      metric('entropy', 1.0397207708, { step: 2, scope: 'task', count: 2 }, { attempt: '1' }),
    ]);
    expect(text).toMatch(/entropy\s+│\s+attempt=1\s+│\s+1\.0397\s+│\s+2/);
  });
});
