// When a crashed service comes back: the watcher's decisions as a pure function of the restart
// policy, what the engine reports, the record on disk and the time.
import { describe, expect, it } from 'vitest';
import {
  type Backoff,
  backoffDelay,
  decide,
  EMPTY_RECORD,
  freshStart,
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
  it('a run first seen gone (its process dead behind the engine), then reported exited, is one crash', () => {
    // inspectContainer gives a gone container's start as its exit (no exit code); the engine's own
    // exit comes later, when its conmon is only slow (a loaded box): the same run, the same crash.
    const started = '2026-11-29T10:00:00.123456789Z';
    const gone: Observed = {
      running: false,
      exitCode: -1,
      startedAt: Date.parse(started),
      startedAtText: started,
      finishedAt: Date.parse(started),
      finishedAtText: started,
    };
    const first = decide('on-failure', gone, { ...EMPTY_RECORD }, T0 + 1000, T0 - 1, b);
    expect(first.crashed).toBe(true);
    expect(first.record.crashes).toBe(1);
    const exited: Observed = {
      ...gone,
      exitCode: 3,
      finishedAt: Date.parse(started) + 50,
      finishedAtText: '2026-11-29T10:00:00.173456789Z',
    };
    const second = decide('on-failure', exited, first.record, T0 + 1050, T0 - 1, b);
    expect(second.crashed).toBe(false);
    expect(second.record.crashes).toBe(1);
    expect(second.record.restartAt).toBe(first.record.restartAt);
    expect(second.record.lastExitCode).toBe(3);
    // A later run's exit is a crash of its own.
    const next: Observed = {
      ...exited,
      startedAtText: '2026-11-29T10:00:02Z',
      startedAt: T0 + 2000,
      finishedAt: T0 + 2100,
      finishedAtText: '2026-11-29T10:00:02.100Z',
    };
    expect(decide('on-failure', next, second.record, T0 + 2100, T0 - 1, b).record.crashes).toBe(2);
  });

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

  it('exits from before this boot are a shutdown, not a crash: the service comes back once, uncounted', () => {
    const booted = T0;
    const old = exit(T0 - 5000, 143);
    for (const policy of ['always', 'on-failure'] as const) {
      const first = decide(policy, old, EMPTY_RECORD, T0 + 1000, booted, b);
      expect(first).toMatchObject({ start: true, crashed: false, record: { crashes: 0, restarts: 0 } });
      // Tried once per boot: a start that fails is not retried every second.
      expect(decide(policy, old, first.record, T0 + 2000, booted, b).start).toBe(false);
      // Already seen in the previous boot (a clean exit under on-failure): it comes back all the same.
      const seenBefore = { ...EMPTY_RECORD, lastExit: old.finishedAtText, lastExitCode: 143 };
      expect(decide(policy, old, seenBefore, T0 + 1000, booted, b).start).toBe(true);
    }
    expect(decide('no', old, EMPTY_RECORD, T0 + 1000, booted, b).start).toBe(false);
    expect(decide('always', old, { ...EMPTY_RECORD, held: true }, T0 + 1000, booted, b).start).toBe(false);
    expect(decide('always', old, { ...EMPTY_RECORD, gaveUp: true }, T0 + 1000, booted, b).start).toBe(false);
  });

  it('a container the engine reset at boot (configured, started before) comes back like a shutdown exit', () => {
    const lost: Observed = { ...exit(T0 - 9000, 0), lost: true };
    // Its FinishedAt is an older exit the watcher already counted: still started again.
    const counted = { ...EMPTY_RECORD, crashes: 1, restarts: 1, lastExit: lost.finishedAtText };
    expect(decide('on-failure', lost, counted, T0 + 1000, T0, b)).toMatchObject({
      start: true,
      crashed: false,
      record: { crashes: 1, restarts: 1 },
    });
  });

  it('a crash after boot that no watcher saw (it started later) is counted and restarted at once', () => {
    const booted = T0;
    const watcherStarts = T0 + 60_000;
    const missed = exit(T0 + 10_000, 137);
    const r = decide('on-failure', missed, EMPTY_RECORD, watcherStarts, booted, b);
    expect(r).toMatchObject({
      start: true,
      crashed: true,
      record: { crashes: 1, restarts: 1, lastExitCode: 137 },
    });
    // A clean exit under on-failure stays down, as it would have with the watcher running.
    expect(decide('on-failure', exit(T0 + 10_000, 0), EMPTY_RECORD, watcherStarts, booted, b).start).toBe(
      false,
    );
  });

  it('a running service that fails its health check N times in a row is stopped and restarted with backoff', () => {
    const since = T0;
    const hw = { intervalMs: 10_000, failures: 3 };
    let record: RestartRecord = { ...EMPTY_RECORD };
    const check = (health: 'ok' | 'failed', at: number) => {
      const r = decide('on-failure', { ...running(since), health }, record, at, T0 - 1, b, hw);
      record = r.record;
      return r;
    };
    expect(check('failed', T0 + 1000)).toMatchObject({ stop: false, crashed: false });
    expect(check('ok', T0 + 2000)).toMatchObject({ stop: false });
    expect(record.healthFailures ?? 0).toBe(0); // a pass breaks the run
    check('failed', T0 + 3000);
    check('failed', T0 + 4000);
    const third = check('failed', T0 + 5000);
    expect(third).toMatchObject({ stop: true, crashed: true, start: false });
    expect(record).toMatchObject({ crashes: 1, lastCause: 'unhealthy', delaysMs: [1000] });
    expect(Date.parse(record.restartAt!)).toBe(T0 + 5000 + 1000);
    // The stop's own exit is not one more crash; the restart comes when the delay is over.
    const stopped = exit(T0 + 5500, 0);
    record = { ...record, lastExit: stopped.finishedAtText, lastExitCode: 0 };
    expect(decide('on-failure', stopped, record, T0 + 5900, T0 - 1, b, hw).start).toBe(false);
    const due = decide('on-failure', stopped, record, T0 + 6000, T0 - 1, b, hw);
    expect(due).toMatchObject({ start: true, crashed: false, record: { crashes: 1, restarts: 1 } });
    expect(due.record.healthFailures ?? 0).toBe(0);
  });

  it('unhealthy under on-failure gives up like a crash loop; no, held and gave-up are left alone', () => {
    const hw = { intervalMs: 10_000, failures: 1 };
    const tired: RestartRecord = { ...EMPTY_RECORD, crashes: 3, restarts: 3 };
    const r = decide('on-failure', { ...running(T0), health: 'failed' }, tired, T0 + 1000, T0 - 1, b, hw);
    expect(r).toMatchObject({ stop: true, crashed: true, record: { gaveUp: true, lastCause: 'unhealthy' } });
    expect(r.record.restartAt).toBeUndefined();
    for (const [policy, rec] of [
      ['no', EMPTY_RECORD],
      ['always', { ...EMPTY_RECORD, held: true }],
      ['always', { ...EMPTY_RECORD, gaveUp: true }],
    ] as const) {
      const x = decide(policy, { ...running(T0), health: 'failed' }, rec, T0 + 1000, T0 - 1, b, hw);
      expect(x).toMatchObject({ stop: false, crashed: false });
    }
  });

  it('a long enough run clears the count, whether seen running or after it exits', () => {
    const crashed: RestartRecord = { ...EMPTY_RECORD, crashes: 2, restarts: 2, delaysMs: [1000, 2000] };
    expect(decide('on-failure', running(T0), crashed, T0 + 60_000, T0, b).record.crashes).toBe(0);
    const late = decide('on-failure', exit(T0 + 70_000, 1, 65_000), crashed, T0 + 70_000, T0, b).record;
    expect(late).toMatchObject({ crashes: 1, delaysMs: [1000] });
  });
  it("an admin's start acknowledges the exit it starts over: a watcher looking meanwhile neither counts nor starts it", () => {
    for (const seen of [exit(T0 + 10, 3), exit(T0 - 5000, 143), { ...exit(T0 - 5000, 0), lost: true }]) {
      const record = freshStart(seen, T0);
      expect(record).toMatchObject({ crashes: 0, restarts: 0 });
      for (const policy of ['always', 'on-failure'] as const)
        expect(decide(policy, seen, record, T0 + 9e6, T0, b)).toMatchObject({ start: false, crashed: false });
    }
    expect(freshStart(undefined, T0)).toEqual(EMPTY_RECORD);
  });
});
