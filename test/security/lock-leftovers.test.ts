/**
 * A process killed while taking a lock (core/system/lock.ts: the package lock, the consumer-token
 * lock, setup's) left its temporary file (`LOCK.PID.HEX.new`, written whole before it is linked at
 * the lock's name) or the claim it held while taking a dead holder's lock over (`LOCK.INODE.break`)
 * in the state folder for good: nothing ever removed them, so each kill added a file
 * (docs/security-audit.md, 2026-12-02 "Left open"). Now the holder of a lock removes them, and only
 * those no live process may still use: a temporary file only when the pid in its name is dead (its
 * random name no other process makes), a `.break` claim only by taking it over as any dead lock is
 * (its own claim, its inode and pid judged again), never a link's target. Before the fix the first
 * test found the killed processes' files still there after the next holder's release.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/core/system/lock.js';
import { bundleChild } from '../helpers/node-child.js';
import { deadPid } from '../helpers/power-cut.js';
import { tempDir } from '../setup/temp-registry.js';

const CHILD = `
import { link, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { acquireLock } from './src/core/system/lock.ts';
const dir = process.argv[2];
const deadPid = Number(process.argv[3]);
const file = path.join(dir, 'pkg.lock');
process.stdout.write('ready\\n');
for (;;) {
  let release;
  try {
    release = await acquireLock(file, 'package operation');
  } catch (err) {
    if (err.code !== 'locked') throw err;
    await new Promise((r) => setImmediate(r));
    continue;
  }
  await release();
  // The lock left as a killed holder leaves it: the next takes it over (a .break claim).
  const tmp = path.join(dir, 'dead.' + process.pid);
  await writeFile(tmp, String(deadPid));
  await link(tmp, file).catch(() => {});
  await unlink(tmp);
}
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Four children taking the lock in a loop, each killed (SIGKILL) a few ms after it began. */
async function killMidAcquire(child: string, locks: string, dead: number): Promise<void> {
  const kids: ChildProcess[] = [1, 2, 3, 4].map(() =>
    spawn(process.execPath, [child, locks, String(dead)], { stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  await Promise.all(kids.map((k) => new Promise((r) => k.stdout!.once('data', r))));
  await sleep(5 + Math.random() * 40);
  await Promise.all(
    kids.map((k) => {
      const gone = new Promise((r) => k.on('exit', r));
      k.kill('SIGKILL');
      return gone;
    }),
  );
}

const leftovers = (locks: string) =>
  readdirSync(locks).filter((n) => n !== 'pkg.lock' && !n.startsWith('dead.'));

describe('what a process killed while taking a lock leaves', () => {
  it("is removed by the lock's next holder", async () => {
    const dir = tempDir('lock-left-');
    const child = path.join(dir, 'child.mjs');
    await bundleChild(CHILD, child);
    const locks = path.join(dir, 'locks');
    mkdirSync(locks);
    const dead = await deadPid();
    // Killed until some were caught mid-way; here 1-3 rounds left all three kinds: LOCK.PID.HEX.new,
    // LOCK.INODE.break and LOCK.INODE.break.PID.HEX.new.
    const seen = new Set<string>();
    for (let round = 0; round < 40 && seen.size < 3; round++) {
      await killMidAcquire(child, locks, dead);
      for (const n of leftovers(locks)) seen.add(n.replace(/[0-9a-f]{12}/, 'HEX').replace(/\d+/g, 'N'));
    }
    expect(seen.size).toBeGreaterThan(0);
    // The test child's own file (dead.PID, killed before it removed it) is not the lock's.
    const release = await acquireLock(path.join(locks, 'pkg.lock'), 'package operation');
    await release();
    expect(readdirSync(locks).filter((n) => !n.startsWith('dead.'))).toEqual([]);
  }, 120_000);

  it("leaves a live process's temporary file and claim, and a link's target, alone", async () => {
    const locks = tempDir('lock-left-');
    const file = path.join(locks, 'pkg.lock');
    const live = spawn('sleep', ['30']);
    await new Promise((r) => live.on('spawn', r));
    const dead = await deadPid();
    const outside = path.join(tempDir('lock-left-out-'), 'keep');
    writeFileSync(outside, 'keep');
    try {
      const liveTmp = `pkg.lock.${live.pid}.0123456789ab.new`;
      const liveClaim = 'pkg.lock.4242.break';
      writeFileSync(path.join(locks, liveTmp), String(live.pid));
      writeFileSync(path.join(locks, liveClaim), String(live.pid));
      // Named as a dead process's temporary file, a link to a file elsewhere: the name goes, not the file.
      symlinkSync(outside, path.join(locks, `pkg.lock.${dead}.0123456789ab.new`));
      // Another lock's files in the same folder are not this lock's to judge.
      writeFileSync(path.join(locks, `setup.lock.${dead}.0123456789ab.new`), String(dead));
      const release = await acquireLock(file, 'package operation');
      await release();
      expect(readdirSync(locks).sort()).toEqual(
        [liveClaim, liveTmp, `setup.lock.${dead}.0123456789ab.new`].sort(),
      );
      expect(readFileSync(outside, 'utf8')).toBe('keep');
      expect(readFileSync(path.join(locks, liveClaim), 'utf8')).toBe(String(live.pid));
    } finally {
      live.kill('SIGKILL');
      await new Promise((r) => live.on('exit', r));
    }
    // Its holder gone, the next holder removes them.
    const release = await acquireLock(file, 'package operation');
    await release();
    expect(readdirSync(locks)).toEqual([`setup.lock.${dead}.0123456789ab.new`]);
  }, 30_000);
});
