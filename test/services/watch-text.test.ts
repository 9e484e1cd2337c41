// The watcher's events in words (`blueprint service watch` without --json): an unhealthy service
// is not reported as an exit, and a service brought back at boot is not called a restart.
import { describe, expect, it } from 'vitest';
import { eventText } from '../../src/present/services.js';

describe('service watch event text', () => {
  it('says why a service is restarted', () => {
    expect(
      eventText({ kind: 'scheduled', name: 'x', cause: 'exit', exitCode: 137, crashes: 2, delayMs: 2000 }),
    ).toBe('x exited with 137 (crash 2 in a row); restarting in 2 s');
    expect(
      eventText({
        kind: 'scheduled',
        name: 'x',
        cause: 'unhealthy',
        exitCode: 0,
        failures: 3,
        crashes: 1,
        delayMs: 1000,
      }),
    ).toBe('x failed its health check 3 times in a row; stopped (crash 1 in a row), restarting in 1 s');
    expect(eventText({ kind: 'gave-up', name: 'x', cause: 'unhealthy', exitCode: 0, crashes: 6 })).toMatch(
      /^x stayed unhealthy after 5 restarts in a row; left stopped/,
    );
    expect(eventText({ kind: 'started', name: 'x' })).toBe(
      'x started again (it was running before the shutdown)',
    );
  });
});
