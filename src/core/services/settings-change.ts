import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { storageErrorFrom, UsageError } from '../errors.js';
import { acquireLock } from '../system/lock.js';
import { layout } from '../system/paths.js';
import { inDir, namedInError, openDirBeneath, writeFileAt } from '../system/safe-write.js';
import type { LoadedRegistration } from './registry.js';
import {
  invalid,
  judgeSettings,
  type SettingsView,
  settingsFile,
  settingsView,
  storedSettings,
} from './settings.js';

/*
 * Changing a module's settings (`service config`, the dashboard): the lock and the crash-safe write.
 * Apart from settings.ts, which every service plan reads, so the start path loads neither the lock
 * (node:crypto, node:fs/promises) nor the writer (test/services/start-modules, test/tui/paint-builtins).
 */

/**
 * Sets and unsets settings of an installed module, judged first (nothing is written when one is
 * refused). `--unset` takes a stored key even when the installed version no longer declares it.
 * Returns the view after, and whether the file changed. `dryRun`: judged, and the view it would
 * give, but nothing written (the dashboard's confirmation page).
 */
export async function changeSettings(
  root: string,
  reg: LoadedRegistration,
  set: Record<string, string>,
  unset: string[],
  dryRun = false,
): Promise<{ view: SettingsView; changed: boolean }> {
  // One change at a time: two at once each read the old file and the last write would drop the
  // other's keys. A lock file in the state folder holding the pid (a dead holder's is taken over).
  return withSettingsLock(root, async () => {
    const stored = storedSettings(root, reg.name);
    const declared = reg.spec.settings ?? {};
    const unknown = unset.filter((k) => !(k in declared) && !(k in stored));
    if (unknown.length)
      throw new UsageError(
        `${reg.name} has no setting ${unknown.join(', ')} to unset`,
        `\`blueprint service config ${reg.name}\` lists its settings.`,
      );
    const judged = judgeSettings(reg, set);
    const next = { ...stored };
    for (const k of unset) delete next[k];
    Object.assign(next, judged);
    const changed = JSON.stringify(next) !== JSON.stringify(stored);
    if (changed && !dryRun) await writeSettings(root, reg.name, next);
    return { view: settingsView(root, reg, next), changed };
  });
}

/**
 * An appliance file's `settings:` (apply -f): `set` and `unset` made in the file as it is now,
 * under the same lock, so a `service config` at the same moment keeps its keys too. The values
 * were judged by the plan (a module not installed yet: written as given, judged at its start).
 */
export async function mergeSettings(
  root: string,
  name: string,
  set: Record<string, string>,
  unset: string[],
): Promise<void> {
  await withSettingsLock(root, async () => {
    const stored = storedSettings(root, name);
    const next = { ...stored };
    for (const k of unset) delete next[k];
    Object.assign(next, set);
    if (JSON.stringify(next) !== JSON.stringify(stored)) await writeSettings(root, name, next);
  });
}

/** Runs `fn` holding the settings lock of `root` (a pid file in the state folder; waited for). */
async function withSettingsLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  const release = await acquireLock(path.join(layout(root).stateDir, 'settings.lock'), 'settings', {
    waitMs: 30_000,
  });
  try {
    return await fn();
  } finally {
    await release();
  }
}

/**
 * Writes the file crash-safe (readers see the old or the new one), root's, mode 0644, through its
 * folder's descriptor: each folder opened with O_NOFOLLOW (a link only where root alone could have
 * put it), the new file made O_EXCL|O_NOFOLLOW beside the old one, synced and renamed over it. A
 * link at the file's name is refused (as the read refuses it), never written through nor replaced.
 */
export async function writeSettings(
  root: string,
  name: string,
  values: Record<string, string>,
): Promise<void> {
  const file = settingsFile(root, name);
  const top = layout(root).root;
  const dir = await openDirBeneath(top, path.relative(top, path.dirname(file)), true).catch((err) => {
    throw storageErrorFrom(err, `writing ${file}`);
  });
  if (!dir) return; // never: the folders are made (create)
  try {
    const at = `${name}.json`;
    const st = await lstat(inDir(dir, at)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (st?.isSymbolicLink()) throw invalid(file, 'it is a symbolic link');
    await writeFileAt(dir, at, `${JSON.stringify(values, null, 2)}\n`, { mode: 0o644 });
  } catch (err) {
    throw storageErrorFrom(namedInError(err, file), `writing ${file}`);
  } finally {
    await dir.close();
  }
}
