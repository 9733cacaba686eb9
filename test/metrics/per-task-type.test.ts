import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { invalidActionRate } from '../../src/metrics/invalid-action-rate.js';
import { passAtK } from '../../src/metrics/pass-at-k.js';
import { perTaskType } from '../../src/metrics/per-task-type.js';
import { trajectoryEntropy } from '../../src/metrics/trajectory-entropy.js';
import { finals, trial, turn } from './fixtures.js';

describe('perTaskType', () => {
  it('runs the operator per task type and tags its events', async () => {
    const trials = [
      trial([['a']], { wonAt: 0, taskType: 'pick' }),
      trial([['a']], { taskType: 'pick' }),
      trial([['a']], { wonAt: 0, taskType: 'cool' }),
    ];
    const f = await finals(from(trials).pipe(perTaskType(passAtK({ k: 1 }))));
    expect(f).toEqual({
      'pass@1{taskType=pick}': 0.5,
      'failed_trials{taskType=pick}': 0,
      'pass@1{taskType=cool}': 1,
      'failed_trials{taskType=cool}': 0,
    });
  });

  it('groups turn samples and task groups too, unknown when untyped', async () => {
    const turns = [turn({ taskType: 'a', valid: false }), turn({ valid: true })];
    expect(await finals(from(turns).pipe(perTaskType(invalidActionRate())))).toEqual({
      'invalid_action_rate{taskType=a}': 1,
      'invalid_action_rate{taskType=unknown}': 0,
    });
    const groups = [
      { taskId: 't', records: [trial([['a']], { taskType: 'x' }), trial([['b']], { taskType: 'x' })] },
    ];
    const f = await finals(from(groups).pipe(perTaskType(trajectoryEntropy())));
    expect(f['entropy{taskType=x}']).toBeCloseTo(Math.log(2), 12);
  });
});
