/**
 * A lock left by a power cut, whose pid the next boot gave to another program. blueprint's locks
 * (lock.ts) hold their holder's pid and are taken over only when no process has it; they live in
 * /var/lib/blueprint, which a reboot keeps. A box that lost power while `bpkg install`, `service
 * config` or a model import held one booted with that pid in use by some daemon, so every later
 * package operation was refused ("Another package operation is running (pid N)") and every
 * settings change or model import waited and failed, as long as that daemon ran. No process of
 * this boot can hold a lock of the last one: the image's tmpfiles.d removes them at boot, before
 * any service starts (systemd-tmpfiles-setup: --remove --boot), as the tool itself runs it here.
 * Only the locks and the names lock.ts makes beside them go, and the dashboard's partial model
 * uploads of the last boot (none is being received yet) and the model room's account of them
 * (boot-clears-model-room): the state files stay.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { acquireLock } from '../../src/core/system/lock.js';
import { clearAsAtBoot } from '../helpers/boot-tmpfiles.js';
import { tempDir } from '../helpers/pkg.js';

it("removes at boot the locks a power cut left, whose pid another program has now, and nothing else of blueprint's state", async () => {
  const tree = tempDir('bp-boot-locks-');
  const state = path.join(tree, 'var/lib/blueprint');
  mkdirSync(path.join(state, 'pkg'), { recursive: true });
  mkdirSync(path.join(state, 'modules/notes'), { recursive: true });
  mkdirSync(path.join(tree, 'etc'), { recursive: true });
  // Each lock names a live process that is not its holder (the test runner's parent stands for
  // the daemon that got the pid), and one has a taker's temporary name beside it.
  const other = String(process.ppid);
  const locks = [
    'var/lib/blueprint/pkg/lock',
    'var/lib/blueprint/settings.lock',
    'var/lib/blueprint/model-room.lock',
    'var/lib/blueprint/setup.lock',
    'var/lib/blueprint/client-tokens.lock',
    'etc/.crypttab.blueprint-lock',
  ];
  for (const l of locks) writeFileSync(path.join(tree, l), other);
  writeFileSync(path.join(state, `settings.lock.${other}.0123456789ab.new`), other);
  // Holder names (lock.ts since 2026-12-07: the holder's start time and boot beside its lock).
  const named = [
    `var/lib/blueprint/pkg/lock.${other}.123.${'f'.repeat(32)}.holder`,
    `var/lib/blueprint/settings.lock.${other}.123.${'f'.repeat(32)}.holder`,
  ];
  for (const n of named) writeFileSync(path.join(tree, n), other);
  // A dashboard's partial model upload of the last boot (src/app/model-upload.ts): no process of
  // this boot receives it, and until the next dashboard upload it held its gigabytes.
  const uploads = path.join(tree, 'var/cache/blueprint/model-uploads');
  mkdirSync(uploads, { recursive: true });
  const partial = path.join(uploads, `${other}-00000000-0000-4000-8000-000000000000.gguf`);
  writeFileSync(partial, Buffer.alloc(4096));
  // What must stay: state files, and a module's own file of that shape in its data folder.
  const kept = [
    'var/lib/blueprint/pkg/installed.json',
    'var/lib/blueprint/modules/notes/db.lock',
    'etc/crypttab',
    'var/cache/blueprint/model-uploads/notes.txt',
  ];
  for (const k of kept) writeFileSync(path.join(tree, k), '{}');

  // As it was: the settings lock is judged held by that live pid. A box not built from the image
  // (no tmpfiles.d) keeps it: the refusal says how to tell that pid is no blueprint command now.
  const held = await acquireLock(path.join(state, 'settings.lock'), 'settings').catch((e: unknown) => e);
  expect(held).toMatchObject({ code: 'locked' });
  const hint = (held as { hint?: string }).hint ?? '';
  expect(hint).toContain(`ps -p ${other} -o args=`);
  expect(hint).toContain('after a reboot');
  expect(hint).toContain(path.join(state, 'settings.lock'));

  clearAsAtBoot(tree);
  for (const l of [...locks, ...named]) expect(existsSync(path.join(tree, l)), l).toBe(false);
  expect(existsSync(path.join(state, `settings.lock.${other}.0123456789ab.new`))).toBe(false);
  expect(existsSync(partial)).toBe(false);
  for (const k of kept) expect(existsSync(path.join(tree, k)), k).toBe(true);

  // And the next `service config` takes the lock at once.
  const release = await acquireLock(path.join(state, 'settings.lock'), 'settings');
  await release();
});
