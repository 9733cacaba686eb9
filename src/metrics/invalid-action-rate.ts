/**
 * Invalid-action rate: play turns whose reply did not project to an action
 * (`valid: false`, reference §8: a no-op step, penalised) over all play turns.
 * Reflection turns are counted separately: `reflection_format_error_rate` =
 * reflect turns whose reply had no parseable `<remark>` over reflect turns.
 *
 * Input: turn samples. Emits the rate of the phase of each sample (value =
 * rate so far, count = turns of that phase so far, step = turns so far).
 */
import { defer, map, type OperatorFunction } from 'rxjs';
import { type MetricEvent, metric, ratio } from '../streams/metric.js';
import type { TurnSample } from '../streams/types.js';

/**
 * Operator over turn samples: `invalid_action_rate` (play replies that did not
 * project to an action, over play turns) and `reflection_format_error_rate`
 * (reflections without a parseable `<remark>`), emitted for each sample's phase.
 */
export function invalidActionRate(): OperatorFunction<TurnSample, MetricEvent> {
  return (source) =>
    defer(() => {
      const seen = { play: 0, reflect: 0 };
      const invalid = { play: 0, reflect: 0 };
      let step = 0;
      return source.pipe(
        map((sample) => {
          step += 1;
          const phase = sample.phase;
          seen[phase] += 1;
          if (!sample.valid) invalid[phase] += 1;
          const name = phase === 'play' ? 'invalid_action_rate' : 'reflection_format_error_rate';
          return metric(name, ratio(invalid[phase], seen[phase]), {
            step,
            scope: 'turn',
            count: seen[phase],
          });
        }),
      );
    });
}
