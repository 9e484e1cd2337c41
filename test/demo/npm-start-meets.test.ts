/**
 * Two `npm start` at once (BUILDRACE): the second deleted the demo folder the first was making (its
 * repository half-written, its box gone under it) and ran its own build of dist/ beside the first's.
 * Now the demo holds a lock in its folder (scripts/build-lock.mjs) while it makes the demo: a second
 * waits and says so, Ctrl-C ends it while it waits, and a lock whose npm start was killed outright
 * is taken over. The holder here is a stand-in process (the lock names its PID), so no demo is made
 * twice; run as the npm-start tests run it: no terminal, after the host setup, into a temporary folder.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/pkg.js';
import { demoProcess } from './demo-process.js';

/** Another npm start at work on `dir`: a live process named by the demo's lock, and a file of its demo. */
function otherDemoAt(dir: string) {
  const holder = spawn('sleep', ['600'], { stdio: 'ignore' });
  writeFileSync(path.join(dir, '.lock'), `${holder.pid}\n`);
  writeFileSync(path.join(dir, 'being-made'), 'the other npm start’s\n');
  return holder;
}

describe('npm start while another makes the same demo', () => {
  it('waits, saying so, and touches nothing of it; Ctrl-C ends the wait with 130', async () => {
    const dir = tempDir('bp-demo-meet-');
    const holder = otherDemoAt(dir);
    const run = demoProcess({ BLUEPRINT_DEMO_DIR: dir });
    // The holder lives until the waiter has ended: killed beside the Ctrl-C, under load the waiter
    // could find its lock stale and take it over before the signal ended it (REVIEW12 saw it twice).
    try {
      try {
        await run.saidOrEnded('waiting', 120_000);
        expect(run.stderr()).toContain(`another npm start is running (pid ${holder.pid}), waiting…`);
        await new Promise((r) => setTimeout(r, 1_000));
        expect(run.done(), run.stderr()).toBe(false);
        expect(run.stderr()).not.toContain('Making the demo box');
      } finally {
        run.interrupt();
      }
      expect(await run.ended, run.stderr()).toBe(130);
      expect(run.stderr()).toMatch(/==> Interrupted \(SIGINT\)/);
      expect(existsSync(path.join(dir, 'being-made')), 'the other demo’s file').toBe(true);
      expect(existsSync(path.join(dir, '.lock')), 'the other’s lock').toBe(true);
    } finally {
      holder.kill();
    }
  }, 180_000);

  it('a lock whose npm start was killed outright is taken over: the demo is made anew', async () => {
    const dir = tempDir('bp-demo-stale-');
    const holder = otherDemoAt(dir);
    holder.kill('SIGKILL');
    await new Promise((r) => holder.on('close', r));
    const run = demoProcess({ BLUEPRINT_DEMO_DIR: dir });
    await run.interruptOnceSaid('Preparing module', 240_000);
    await run.ended;
    expect(run.stderr()).not.toContain('waiting');
    expect(run.stderr()).toContain('Making the demo box');
    expect(existsSync(path.join(dir, 'being-made')), 'the dead one’s demo, made anew').toBe(false);
    expect(existsSync(path.join(dir, '.lock')), 'released when it ended').toBe(false);
  }, 300_000);
});
