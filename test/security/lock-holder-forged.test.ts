/**
 * REVIEW9 (a guard, found sound): can names planted beside a live holder's lock make another
 * process take that lock over? lock.ts judges a lock by the holder name `LOCK.PID.START.BOOTID.holder`
 * linked to the lock file's very inode; a lock whose named start or boot is not its live pid's is
 * a power cut's and is taken over. Names that claim the live holder's pid with another start or
 * boot, but are not the lock's inode (a file of their own, a symbolic link to the lock, a hard link
 * to another file), and an overlong name, are passed over: the lock is judged by the holder's own
 * name, and it still blocks. Only root can add names in the lock folders (/var/lib/blueprint, /etc;
 * a --root tree others can write is refused before a lock is taken: tree-owner.ts), so this holds
 * even for a writer who could, short of a hard link to the lock itself.
 */
import { spawn } from 'node:child_process';
import { linkSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { acquireLock } from '../../src/core/system/lock.js';
import { bundleChild } from '../helpers/node-child.js';
import { bootId, killedAfterEach } from '../helpers/proc-identity.js';
import { tempDir } from '../setup/temp-registry.js';

const HOLD = `import { acquireLock } from './src/core/system/lock.ts';
await acquireLock(process.argv[2], 'package operation');
process.stdout.write('held\\n');
setInterval(() => {}, 1000);`;

const kids = killedAfterEach();
const otherBoot = bootId.replace(/^./, (c) => (c === '0' ? '1' : '0'));

it("names planted beside a live holder's lock, claiming its pid with another start or boot, do not get it taken over", async () => {
  const dir = tempDir('lock-forged-');
  const child = path.join(dir, 'child.mjs');
  await bundleChild(HOLD, child);
  const file = path.join(dir, 'locks', 'pkg.lock');
  const holder = spawn(process.execPath, [child, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  kids.push(holder);
  await new Promise((r) => holder.stdout!.once('data', r));
  const pid = holder.pid!;
  const at = (name: string) => path.join(dir, 'locks', `pkg.lock.${name}`);
  // A file of its own naming a start long before the holder's (a pid reused, were it the lock's).
  writeFileSync(at(`${pid}.1.${bootId}.holder`), String(pid));
  // A symbolic link to the lock naming another boot.
  symlinkSync(file, at(`${pid}.2.${otherBoot}.holder`));
  // A hard link to another file of the same pid's content.
  writeFileSync(path.join(dir, 'other'), String(pid));
  linkSync(path.join(dir, 'other'), at(`${pid}.3.${otherBoot}.holder`));
  // An overlong start (past the 20 digits a holder name has).
  writeFileSync(at(`${pid}.${'9'.repeat(200)}.${bootId}.holder`), String(pid));
  await expect(acquireLock(file, 'package operation')).rejects.toMatchObject({
    code: 'locked',
    message: `Another package operation is running (pid ${pid})`,
  });
  expect(readFileSync(file, 'utf8')).toBe(String(pid));
}, 60_000);
