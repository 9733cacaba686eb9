/**
 * Format-error rate: a collapse detector for replies that lost the required
 * output format. A reply has a format error when it lacks its phase's tag
 * pair: play replies need `<action>` followed later by `</action>`, reflect
 * replies `<remark>` followed later by `</remark>` (reference §4). Unlike the
 * invalid-action rate this looks at the text only: a well-tagged but illegal
 * move is not a format error.
 *
 * Input: turn samples. Emits after every sample `format_error_rate` overall
 * and for the sample's phase (`tags.phase`), count = replies in that rate.
 */
import { defer, mergeMap, type OperatorFunction } from 'rxjs';
import { extractBetween } from '../envs/core/tags.js';
import { type MetricEvent, metric, ratio } from '../streams/metric.js';
import type { Phase, TurnSample } from '../streams/types.js';

/** The opening and closing tag a reply of each phase must contain. */
export type RequiredTags = Record<Phase, readonly [open: string, close: string]>;

/** The reference's tags: `<action>…</action>` for play replies, `<remark>…</remark>` for reflections. */
export const DEFAULT_REQUIRED_TAGS: RequiredTags = {
  play: ['<action>', '</action>'],
  reflect: ['<remark>', '</remark>'],
};

/** True when the text has the phase's opening tag and, after it, the closing tag. */
export function hasRequiredTags(
  text: string,
  phase: Phase,
  tags: RequiredTags = DEFAULT_REQUIRED_TAGS,
): boolean {
  const [open, close] = tags[phase];
  return extractBetween(text, open, close, 'first', 'last') !== null;
}

/**
 * Operator over turn samples: the share of replies missing their phase's tag
 * pair, emitted after every sample as `format_error_rate` overall and for the
 * sample's phase (`tags.phase`). Looks at the text only.
 */
export function formatErrorRate(
  tags: RequiredTags = DEFAULT_REQUIRED_TAGS,
): OperatorFunction<TurnSample, MetricEvent> {
  return (source) =>
    defer(() => {
      const seen = { all: 0, play: 0, reflect: 0 };
      const errors = { all: 0, play: 0, reflect: 0 };
      return source.pipe(
        mergeMap((sample) => {
          const bad = hasRequiredTags(sample.response, sample.phase, tags) ? 0 : 1;
          seen.all += 1;
          seen[sample.phase] += 1;
          errors.all += bad;
          errors[sample.phase] += bad;
          const step = seen.all;
          return [
            metric('format_error_rate', ratio(errors.all, seen.all), {
              step,
              scope: 'turn',
              count: seen.all,
            }),
            metric(
              'format_error_rate',
              ratio(errors[sample.phase], seen[sample.phase]),
              { step, scope: 'turn', count: seen[sample.phase] },
              { phase: sample.phase },
            ),
          ];
        }),
      );
    });
}
