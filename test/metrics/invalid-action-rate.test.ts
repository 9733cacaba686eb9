import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { invalidActionRate } from '../../src/metrics/invalid-action-rate.js';
import { collect, finals, turn } from './fixtures.js';

describe('invalidActionRate', () => {
  it('divides invalid play turns by play turns and keeps reflection format errors apart', async () => {
    const turns = [
      turn({ valid: true }),
      turn({ valid: false }),
      turn({ phase: 'reflect', valid: false }),
      turn({ valid: false }),
      turn({ valid: true }),
      turn({ phase: 'reflect', valid: true }),
    ];
    const events = await collect(from(turns).pipe(invalidActionRate()));
    expect(events).toHaveLength(6);
    const f = await finals(from(turns).pipe(invalidActionRate()));
    expect(f['invalid_action_rate']).toBe(0.5);
    expect(f['reflection_format_error_rate']).toBe(0.5);
    expect(events.at(-2)).toMatchObject({ name: 'invalid_action_rate', count: 4, step: 5, scope: 'turn' });
  });

  it('is 0, not NaN, before any turn of a phase', async () => {
    const events = await collect(from([turn({ valid: true })]).pipe(invalidActionRate()));
    expect(events).toEqual([
      { name: 'invalid_action_rate', value: 0, step: 1, scope: 'turn', count: 1, tags: {} },
    ]);
  });
});
