import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { formatErrorRate, hasRequiredTags } from '../../src/metrics/format-error-rate.js';
import { finals, turn } from './fixtures.js';

describe('hasRequiredTags', () => {
  it('needs the phase tag pair in order', () => {
    expect(hasRequiredTags('think <action>up</action>', 'play')).toBe(true);
    expect(hasRequiredTags('</action>up<action>', 'play')).toBe(false);
    expect(hasRequiredTags('<action>up', 'play')).toBe(false);
    expect(hasRequiredTags('<remark>r</remark>', 'play')).toBe(false);
    expect(hasRequiredTags('<remark>r</remark>', 'reflect')).toBe(true);
  });
});

describe('formatErrorRate', () => {
  it('counts missing tags overall and per phase, not illegal but well-tagged moves', async () => {
    const turns = [
      turn({ response: '<action>fly</action>', valid: false }),
      turn({ response: 'up' }),
      turn({ phase: 'reflect', response: 'no tags here' }),
      turn({ phase: 'reflect', response: '<remark>ok</remark>' }),
    ];
    const f = await finals(from(turns).pipe(formatErrorRate()));
    expect(f['format_error_rate']).toBe(0.5);
    expect(f['format_error_rate{phase=play}']).toBe(0.5);
    expect(f['format_error_rate{phase=reflect}']).toBe(0.5);
  });
});
