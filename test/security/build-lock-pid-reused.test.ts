/**
 * dist/.build.lock (scripts/build-lock.mjs) holds its taker's PID; a lock whose process is gone is
 * taken over. But a PID is reused: after a reboot, or a busy machine's wrap of pid_max, the number in
 * a lock left by a killed build (SIGKILL, a power cut) names another process, alive, and every later
 * `npm run build` (and `npm start`) waited forever saying "another build is running (pid N)". The lock
 * now also holds its taker's start time (/proc/PID/stat), and a PID alive under another start time is
 * a stale lock. A lock whose taker is alive still makes the next build wait.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killLockTakers, lockTaker, registerChild } from '../helpers/build-lock-taker.js';

afterEach(killLockTakers);

describe('the build lock of a killed build whose PID now names another live process', () => {
  it('is taken over (the next build does not wait forever)', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'bp-lock-reused-')), '.build.lock');
    const first = lockTaker(file);
    expect(await first.says('taken', 20_000)).toBe(true);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    // Its PID reused: the same lock, naming a process alive now that is no build.
    const other = spawn('sleep', ['60']);
    registerChild(other);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^\d+/, String(other.pid)));
    const next = lockTaker(file);
    expect(await next.says('taken', 8_000), next.output()).toBe(true);
  }, 40_000);

  it('a live taker still makes the next one wait, saying so', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'bp-lock-reused-')), '.build.lock');
    const first = lockTaker(file);
    expect(await first.says('taken', 20_000)).toBe(true);
    const next = lockTaker(file);
    expect(await next.says('is running', 10_000)).toBe(true);
    expect(await next.says('taken', 1_500)).toBe(false);
    first.child.kill('SIGKILL');
    expect(await next.says('taken', 8_000), next.output()).toBe(true);
  }, 40_000);
});
