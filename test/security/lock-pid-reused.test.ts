/**
 * A lock (core/system/lock.ts: bpkg's, settings', the model room's, setup's) was taken over only
 * when no process had the pid in it. Locks live in /var/lib/blueprint, kept across a reboot: after a
 * power cut while one was held, the next boot gives that pid to another program, and `bpkg` was
 * refused and `service config` / model imports waited and failed for as long as it ran (the image
 * clears them at boot, boxes not built from it did not: REVIEW7's finding 2). Now a holder also
 * names itself by its process start time and the boot id (a hard link beside the lock,
 * `LOCK.PID.START.BOOTID.holder`; the lock file still holds the pid alone, so an older version
 * still reads its holder), and a lock whose pid is alive but whose start time or boot differs is
 * taken over. A live holder's lock still blocks, and a lock of the old form (pid alone) is judged
 * as before. Before the fix both attack cases were refused: "Another package operation is running
 * (pid N)".
 */
import { spawn } from 'node:child_process';
import { linkSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/core/system/lock.js';
import { bundleChild } from '../helpers/node-child.js';
import { bootId, canShiftBoot, killedAfterEach, startOf } from '../helpers/proc-identity.js';
import { tempDir } from '../setup/temp-registry.js';

/** A process that takes the lock at argv[2], says so, and holds it until killed. */
const HOLD = `import { acquireLock } from './src/core/system/lock.ts';
await acquireLock(process.argv[2], 'package operation');
process.stdout.write('held\\n');
setInterval(() => {}, 1000);`;

const kids = killedAfterEach();

/** A live process unrelated to blueprint (what the next boot gives the dead holder's pid to). */
async function unrelated(): Promise<number> {
  const p = spawn('sleep', ['60']);
  kids.push(p);
  await new Promise((r) => p.on('spawn', r));
  return p.pid!;
}

/** A lock as a holder of this version leaves it when a power cut kills it: `pid`, and its start and boot. */
function planted(dir: string, pid: number, start: string, boot: string): string {
  const file = path.join(dir, 'pkg.lock');
  const tmp = path.join(dir, 'planted');
  writeFileSync(tmp, String(pid));
  linkSync(tmp, path.join(dir, `pkg.lock.${pid}.${start}.${boot}.holder`));
  linkSync(tmp, file);
  unlinkSync(tmp);
  return file;
}

describe("a lock whose pid is a live process that is not its holder (a power cut's, the pid given out again)", () => {
  it('is taken over when the lock was written in another boot', async () => {
    const dir = tempDir('lock-reused-');
    const pid = await unrelated();
    const file = planted(dir, pid, startOf(pid), 'f'.repeat(32));
    const release = await acquireLock(file, 'package operation');
    expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
    await release();
    // The dead holder's name beside the lock went with it.
    expect(readdirSync(dir)).toEqual([]);
  });

  it('is taken over when that pid is a process started after the holder (same boot)', async () => {
    const dir = tempDir('lock-reused-');
    const pid = await unrelated();
    const file = planted(dir, pid, String(Number(startOf(pid)) - 1), bootId);
    const release = await acquireLock(file, 'package operation');
    await release();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('a live holder', () => {
  it('still blocks, and its lock file holds its pid alone (what an older version reads)', async () => {
    const dir = tempDir('lock-reused-');
    const child = path.join(dir, 'child.mjs');
    await bundleChild(HOLD, child);
    const locks = path.join(dir, 'locks');
    const file = path.join(locks, 'pkg.lock');
    const holder = spawn(process.execPath, [child, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    kids.push(holder);
    await new Promise((r) => holder.stdout!.once('data', r));
    expect(readFileSync(file, 'utf8')).toMatch(/^[1-9][0-9]{0,9}$/);
    expect(readFileSync(file, 'utf8')).toBe(String(holder.pid));
    expect(readdirSync(locks)).toEqual([
      'pkg.lock',
      `pkg.lock.${holder.pid}.${startOf(holder.pid!)}.${bootId}.holder`,
    ]);
    await expect(acquireLock(file, 'package operation')).rejects.toMatchObject({
      code: 'locked',
      message: `Another package operation is running (pid ${holder.pid})`,
    });
  }, 60_000);

  // /proc shows start times shifted by the reader's time namespace: a holder whose boot time is
  // shifted (unshare --time --boottime) named a start the host never sees for it, and was taken
  // over while it lived. Such a holder names no start (its lock is judged by the pid alone).
  it.skipIf(!canShiftBoot)(
    'in a time namespace of its own still blocks',
    async () => {
      const dir = tempDir('lock-reused-');
      const child = path.join(dir, 'child.mjs');
      await bundleChild(HOLD, child);
      const file = path.join(dir, 'locks', 'pkg.lock');
      const holder = spawn('unshare', ['--time', '--boottime', '1000', process.execPath, child, file], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      kids.push(holder);
      await new Promise((r) => holder.stdout!.once('data', r));
      // unshare runs it in its own process (killed after the test), not in a child of its.
      expect(readFileSync(file, 'utf8')).toBe(String(holder.pid));
      await expect(acquireLock(file, 'package operation')).rejects.toMatchObject({ code: 'locked' });
    },
    60_000,
  );

  it("of the old form (pid alone: a running older version's) still blocks", async () => {
    const dir = tempDir('lock-reused-');
    const pid = await unrelated();
    const file = path.join(dir, 'pkg.lock');
    writeFileSync(file, String(pid));
    await expect(acquireLock(file, 'package operation')).rejects.toMatchObject({ code: 'locked' });
    expect(readFileSync(file, 'utf8')).toBe(String(pid));
  });
});
