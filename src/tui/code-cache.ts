// The console's compiled modules kept between runs (issue 20's first paint); runtime.ts holds the
// rest of how its process loads, with built-ins only (its tests load it in a bare Node process).
import { lstatSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { otherWriter } from '../app/folders.js';

/**
 * Where V8 keeps the console's compiled modules between runs: the user's own
 * `~/.cache/blueprint/v8` (made 0700). Compiling the console's modules is a large part of its first
 * paint, and Node's compile cache takes it from there on the next login. V8 runs what it finds in
 * that folder without further checks beyond a hash of the source, so it is used only where no one
 * else can write: every folder from the home down is this user's (not a link) and writable by no
 * other, and no one else can change a folder above the home; otherwise (another user's HOME kept
 * by sudo, a shared home, a home under another user's folder) there is no cache.
 */
export function codeCacheDir(home: string): string | undefined {
  const uid = process.geteuid?.();
  if (uid === undefined) return undefined;
  // This user's own (V8 writes there), and no one else's to change: no allowance, for a sticky
  // folder's files are anyone's to add and a group may hold other users.
  const ours = (dir: string) => {
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (st?.isDirectory() !== true || st.uid !== uid) return false;
    return otherWriter(st, { stickyIsFine: false, ownGroupIsFine: false }) === undefined;
  };
  if (!ours(home)) return undefined;
  // And the folders above it, as given and as they really are: whoever can change one can rename
  // the home away and put a folder of their own at its name (a sticky one only lets them move theirs).
  const above = (from: string) => {
    for (let at = path.dirname(from); ; at = path.dirname(at)) {
      if (otherWriter(statSync(at), { stickyIsFine: true, ownGroupIsFine: false })) return false;
      if (path.dirname(at) === at) return true;
    }
  };
  if (!above(path.resolve(home)) || !above(realpathSync.native(home))) return undefined;
  let dir = home;
  for (const part of ['.cache', 'blueprint', 'v8']) {
    dir = path.join(dir, part);
    try {
      mkdirSync(dir, { mode: 0o700 }); // one level at a time: never through a link
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
    }
    if (!ours(dir)) return undefined;
  }
  return dir;
}

/** Turns Node's compile cache on for the modules loaded from now on (a no-op where it is on). */
export function enableCodeCache(): void {
  try {
    const dir = codeCacheDir(os.homedir());
    if (dir) process.getBuiltinModule('node:module').enableCompileCache(dir);
  } catch {
    // Speed only: without a cache the console compiles its modules as before.
  }
}

/** Writes what was compiled so far (Node also writes at exit; a killed console would lose it). */
export function flushCodeCache(): void {
  process.getBuiltinModule('node:module').flushCompileCache?.();
}
