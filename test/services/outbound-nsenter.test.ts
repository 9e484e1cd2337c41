import { spawn, spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { initWithOutbound, MODULE_TABLE, nftInNetns } from '../../src/core/services/outbound.js';
import { until } from '../helpers/until.js';

/** The network namespace of process `pid` (its /proc link), or '' while it cannot be read. */
const netnsOf = (pid: number) => {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return '';
  }
};

/**
 * A container whose process is gone by the time its rules are loaded (it exited, or was stopped
 * meanwhile): nsenter fails at once, before it reads the rules written to its input. That must be
 * the refusal with a hint, never an EPIPE thrown from the pipe (an uncaught exception that ends
 * the whole program).
 */
describe('nftInNetns when the process has gone', () => {
  it('rejects with outbound-rules, and the unread input is no uncaught EPIPE', async () => {
    const gone = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
    const rules = `# ${'x'.repeat(1 << 20)}\n`;
    await expect(nftInNetns(Number(gone), ['-f', '-'], rules)).rejects.toMatchObject({
      code: 'outbound-rules',
    });
    // Give the pipe's error, should there be one, the turn to surface as an unhandled error.
    await new Promise((r) => setTimeout(r, 200));
  });
});

/**
 * Seen in CI under load: the initialised container's first process was gone before its rules were
 * loaded, and once the retry's process was gone too (2026-12-01, cause not found: no OOM kill; a
 * process killed by hand is noticed by Podman's next init, a zombie not yet reaped would not be).
 * The start stops it, initialises it afresh and loads the rules into the new process's namespace;
 * a container whose process stays the same dead one is refused with the engine's state named.
 */
describe.skipIf(process.getuid?.() !== 0 || spawnSync('nft', ['--version']).status !== 0)(
  'initWithOutbound when the initialised process is lost',
  () => {
    const gone = () => Number(spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim());
    // An engine that holds the container as "created": init answers 304 and changes nothing (the
    // same pid, as for a zombie); stopped first, init makes a new process (the next pid).
    const fakeEngine = (pids: number[]) => {
      const calls: string[] = [];
      let made = 0;
      let created = false;
      return {
        calls,
        libpod: async (method: string, url: string) => {
          calls.push(`${method} ${url.split('/').pop()?.split('?')[0]}`);
          if (url.includes('/stop')) created = false;
          if (url.endsWith('/init') && !created) {
            made++;
            created = true;
          }
          return { State: { Pid: pids[Math.min(made, pids.length) - 1] ?? 0, Status: 'created' } } as never;
        },
      };
    };

    it('initialises again and loads the rules into the new namespace', async () => {
      // A process of its own network namespace stands for the container (never the host's).
      const child = spawn('unshare', ['-n', 'sleep', '30'], { stdio: 'ignore' });
      try {
        const live = child.pid!; // unshare without --fork execs sleep: the same process
        // In its own namespace by now (before: a 300 ms sleep; a loaded machine could give the
        // host's namespace to the rules).
        const own = readlinkSync('/proc/self/ns/net');
        await until('the stand-in in its own network namespace', () => netnsOf(live) !== own);
        const engine = fakeEngine([gone(), live]);
        const out = await initWithOutbound(engine, 'c', ['192.0.2.7:443']);
        expect(out.pid).toBe(live);
        expect(engine.calls.filter((c) => c === 'POST init')).toHaveLength(2);
        expect(engine.calls.filter((c) => c.startsWith('POST')).slice(-2)).toEqual([
          'POST stop',
          'POST init',
        ]);
        const rules = await nftInNetns(live, ['list', 'table', 'inet', MODULE_TABLE]);
        expect(rules).toContain('192.0.2.7');
      } finally {
        child.kill('SIGKILL');
      }
    });

    it('refuses, naming the state, when the process stays lost', async () => {
      const dead = gone();
      const engine = fakeEngine([dead, dead]);
      await expect(initWithOutbound(engine, 'c', ['192.0.2.7:443'])).rejects.toMatchObject({
        code: 'outbound-rules',
        message: expect.stringContaining(`pid ${dead} was ${dead}`),
      });
    });
  },
);
