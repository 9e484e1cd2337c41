/**
 * REVIEW13 (attack on e57d40ae, the build lock's start time): the lock's taker is judged by its PID
 * and its start time, read from /proc/PID/stat's 22nd field. That line starts `PID (NAME) STATE …`,
 * and NAME is the process's name as the kernel keeps it (15 bytes; process.title sets it, npm's
 * `npm run build` too): spaces and parentheses included, so a reader that splits the line at spaces, or cuts at the first ')', reads another
 * field, calls a live build stale and takes its lock over (two builds writing dist/ at once). A
 * build whose process name holds `) ` and spaces still makes the next build wait, and is taken over once killed.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processPlace } from '../../scripts/build-lock.mjs';
import { killLockTakers, lockTaker } from '../helpers/build-lock-taker.js';

afterEach(killLockTakers);

describe('the build lock of a live build whose program name holds spaces and parentheses', () => {
  it('its start time is read past the name: the next build waits, then takes it once the first is killed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bp-lock-name-'));
    const file = path.join(dir, '.build.lock');
    // The name the kernel keeps (15 bytes; npm names itself `npm run build` the same way).
    const first = lockTaker(file, 'a) R 1 2 3 (b)');
    expect(await first.says('taken', 20_000), first.output()).toBe(true);
    const stat = readFileSync(`/proc/${first.child.pid}/stat`, 'utf8');
    expect(stat).toContain('(a) R 1 2 3 (b)) ');
    // The lock holds the start time of the process itself (22nd field, counted past the name).
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    // …and where its PID means something (the place line: test/build/arm64-fetch-shared).
    expect(readFileSync(file, 'utf8')).toBe(`${first.child.pid} ${start}\nplace ${processPlace()}\n`);
    const next = lockTaker(file);
    expect(await next.says('is running', 10_000), next.output()).toBe(true);
    expect(await next.says('taken', 1_500)).toBe(false);
    first.child.kill('SIGKILL');
    expect(await next.says('taken', 8_000), next.output()).toBe(true);
  }, 40_000);
});
