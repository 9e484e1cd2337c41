// When a crashed service comes back: the watcher's decisions as a pure function of the restart
// policy, what the engine reports, the record on disk and the time.
import { describe, expect, it } from 'vitest';
import {
  type Backoff,
  backoffDelay,
  decide,
  EMPTY_RECORD,
  type Observed,
  type RestartRecord,
} from '../../src/core/services/restarts.js';

const b: Backoff = { baseMs: 1000, maxMs: 8000, resetAfterMs: 60_000, onFailureTries: 3 };
const T0 = Date.parse('2026-11-29T10:00:00Z');
const exit = (at: number, code = 1, ranMs = 500): Observed => ({
  running: false,
  exitCode: code,
  startedAt: at - ranMs,
  finishedAt: at,
  finishedAtText: new Date(at).toISOString(),
});
const running = (since: number): Observed => ({
  running: true,
  exitCode: 0,
  startedAt: since,
  finishedAt: 0,
  finishedAtText: '0001-01-01T00:00:00Z',
});

/** Feeds crash after crash, each one just after the restart the watcher asked for. */
function crashLoop(policy: 'on-failure' | 'always', crashes: number) {
  let record: RestartRecord = { ...EMPTY_RECORD };
  let at = T0;
  const starts: number[] = [];
  for (let i = 0; i < crashes; i++) {
    at += 100;
    const seen = exit(at);
    record = decide(policy, seen, record, at, T0 - 1, b).record;
    if (!record.restartAt) continue;
    const due = Date.parse(record.restartAt);
    // Nothing before the delay is over; a restart once it is.
    expect(decide(policy, seen, record, due - 1, T0 - 1, b).start).toBe(false);
    const step = decide(policy, seen, record, due, T0 - 1, b);
    record = step.record;
    if (step.start) starts.push(due);
    at = due;
  }
  return { record, starts };
}

describe('restart backoff', () => {
  it('doubles from the base up to the cap', () => {
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, b))).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('on-failure: restarts after 1, 2, 4 s, then leaves a fourth crash stopped', () => {
    const { record, starts } = crashLoop('on-failure', 4);
    expect(record.delaysMs).toEqual([1000, 2000, 4000]);
    expect(record.restarts).toBe(3);
    expect(starts).toHaveLength(3);
    expect(record.gaveUp).toBe(true);
    expect(record.restartAt).toBeUndefined();
  });

  it('always: keeps restarting at the capped delay', () => {
    const { record } = crashLoop('always', 6);
    expect(record.delaysMs).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(record.gaveUp).toBeUndefined();
  });

  it('counts one exit once, however often the watcher looks', () => {
    const seen = exit(T0 + 10);
    const first = decide('on-failure', seen, EMPTY_RECORD, T0 + 20, T0, b).record;
    expect(decide('on-failure', seen, first, T0 + 30, T0, b).record).toEqual(first);
    expect(first.crashes).toBe(1);
  });

  it('on-failure leaves a clean exit alone; no never restarts', () => {
    expect(decide('on-failure', exit(T0 + 10, 0), EMPTY_RECORD, T0 + 5000, T0, b).start).toBe(false);
    const r = decide('no', exit(T0 + 10, 1), EMPTY_RECORD, T0 + 5000, T0, b);
    expect(r.start).toBe(false);
    expect(r.record.crashes).toBe(0);
  });

  it('an admin stop holds the service; a gave-up service stays down', () => {
    expect(decide('always', exit(T0 + 10), { ...EMPTY_RECORD, held: true }, T0 + 9e6, T0, b).start).toBe(
      false,
    );
    expect(decide('always', exit(T0 + 10), { ...EMPTY_RECORD, gaveUp: true }, T0 + 9e6, T0, b).start).toBe(
      false,
    );
  });

  it('exits from before the watcher started are a shutdown, not a crash: only always starts again', () => {
    const old = exit(T0 - 5000, 143);
    const always = decide('always', old, EMPTY_RECORD, T0, T0, b);
    expect(always).toMatchObject({ start: true, record: { crashes: 0 } });
    const onFailure = decide('on-failure', old, EMPTY_RECORD, T0, T0, b);
    expect(onFailure).toMatchObject({ start: false, record: { crashes: 0 } });
  });

  it('a long enough run clears the count, whether seen running or after it exits', () => {
    const crashed: RestartRecord = { ...EMPTY_RECORD, crashes: 2, restarts: 2, delaysMs: [1000, 2000] };
    expect(decide('on-failure', running(T0), crashed, T0 + 60_000, T0, b).record.crashes).toBe(0);
    const late = decide('on-failure', exit(T0 + 70_000, 1, 65_000), crashed, T0 + 70_000, T0, b).record;
    expect(late).toMatchObject({ crashes: 1, delaysMs: [1000] });
  });
});
