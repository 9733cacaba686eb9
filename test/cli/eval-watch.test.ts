import { describe, expect, it } from 'vitest';
import {
  BROKEN_POLICY_TRIALS,
  EvalWatch,
  FailedTrialsError,
  type PolicyNotWorkingError,
  RETRY_LINE_MS,
} from '../../src/cli/eval-watch.js';
import type { TrialRecord } from '../../src/streams/types.js';

const record = (i: number, failed?: string): TrialRecord => ({
  taskId: `t${i}`,
  groupId: `g${i}`,
  trialId: `t${i}#0`,
  envId: 'X-v0',
  taskType: 'X-v0',
  seed: i,
  attempts: 1,
  samples: [],
  wonAt: null,
  ...(failed !== undefined ? { failed } : {}),
});

function watch(total: number, maxFailed?: number) {
  const lines: string[] = [];
  let now = 0;
  const broken: PolicyNotWorkingError[] = [];
  const w = new EvalWatch({
    err: { write: (t: string) => lines.push(t) },
    total,
    ...(maxFailed !== undefined ? { maxFailed } : {}),
    onBroken: (e) => broken.push(e),
    now: () => now,
  });
  return { w, lines, broken, tick: (ms: number) => (now += ms) };
}

const notice = (key: string) => ({
  key,
  reason: 'server answered 503: busy',
  try: 1,
  tries: 6,
  delayMs: 1500,
});

describe('EvalWatch', () => {
  it('says a retry at once, then at most one line per interval counting the others', () => {
    const { w, lines, tick } = watch(10);
    w.retry(notice('a'));
    for (let i = 0; i < 63; i++) w.retry(notice(`b${i}`));
    expect(lines).toEqual([
      'lamer eval: retrying a in 1.5 s: try 1 of 6 failed: server answered 503: busy\n',
    ]);
    tick(RETRY_LINE_MS);
    w.retry(notice('c'));
    expect(lines[1]).toMatch(/retrying c .*\(and 63 other retries in the last 10\.0 s\)/);
    w.retry(notice('d'));
    w.flush();
    expect(lines[2]).toBe('lamer eval: 1 more retries since the last line\n');
    expect(w.retries).toBe(66);
  });

  it('says each failed trial once and stops the run when the first ones all failed', () => {
    const { w, lines, broken } = watch(100);
    for (let i = 0; i < BROKEN_POLICY_TRIALS; i++) w.trial(record(i, `HttpReplyFormatError: bad ${i}`));
    expect(lines).toHaveLength(BROKEN_POLICY_TRIALS);
    expect(broken).toHaveLength(1);
    expect(broken[0]?.exitCode).toBe(3);
    expect(broken[0]?.message).toMatch(/first 16 trials all failed.*stopped before the other 84/);
    w.trial(record(99, 'again'));
    expect(broken).toHaveLength(1);
  });

  it('lets the run go on when one of the first trials worked', () => {
    const { w, broken } = watch(100);
    w.trial(record(0));
    for (let i = 1; i < 40; i++) w.trial(record(i, 'fail'));
    expect(broken).toHaveLength(0);
  });

  it('judges the failed share against maxFailed and names the most common cause', () => {
    const { w } = watch(10, 0.2);
    w.trial(record(0, 'HttpBadRequestError: request "k/0/1" has 1048 tokens'));
    w.trial(record(1, 'HttpBadRequestError: request "k/1/3" has 1050 tokens'));
    for (let i = 2; i < 10; i++) w.trial(record(i));
    expect(() => w.judge(10)).not.toThrow();
    w.trial(record(10, 'timeout'));
    let error: unknown;
    try {
      w.judge(10);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FailedTrialsError);
    expect((error as Error).message).toMatch(
      /3 of 10 trials failed \(above --max-failed 0\.2\).*\(2×.*\): HttpBadRequestError: request "…" has N tokens/,
    );
    expect(w.summary(10)).toMatch(/^failed trials: 3 of 10 \(30\.0%\)/);
  });
});
