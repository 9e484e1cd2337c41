import path from 'node:path';
import { StorageError, storageErrorFrom } from '../errors.js';
import { trackTemp } from './exit-cleanup.js';
import { alive } from './process-alive.js';

/**
 * node:fs when first used, not imported: this module is in the executable's start part (the quick
 * pkg commands), where an import would copy node:fs's hundred exports at start (esbuild's CommonJS
 * interop) and `fs.promises` would load node:fs/promises for every command.
 */
const nodeFs = () => process.getBuiltinModule('node:fs');
const fsp = () => nodeFs().promises;

/**
 * Makes `dir` and the missing folders above it. A link to a folder at a name is taken as the folder
 * (as mkdir -p and Node's recursion do); judged safe, not an oversight (test/security/ensure-dir-links):
 * every caller makes names in folders only root, or the user who named the path, can change. The
 * box's folders (etc, var/lib, run under --root) are root's, and those the package manager writes
 * are fenced first (checkRoot / assertInsideRoot: a link leading out of --root is refused); an
 * admin's link inside the box (var/lib/blueprint on a bigger disk) must keep working. The callers
 * whose folder another user could reach judge it themselves after: the dashboard's run and token
 * folders (lstat, otherWriter), writeSecretFile (onlyRootChanges on the real path). A link to a
 * file, or a dangling one, is refused (typed: a dangling one's stat is no raw ENOENT).
 */
export async function ensureDir(dir: string, mode = 0o755): Promise<void> {
  const target = path.resolve(dir);
  // The folders made here, top first.
  const made: string[] = [];
  // The folders this call tried to make: claimed before its mkdir (see claims).
  const claimed: string[] = [];
  // When the folders made here are in their parents for good (or their sync failed): what another
  // call that meets one of them waits for. Only this call's own syncs, so two calls that each made
  // a folder on the other's path never wait for each other.
  let settle = () => {};
  const ownSynced = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const claim = (abs: string) => {
    const set = claims.get(abs) ?? new Set<Promise<void>>();
    claims.set(abs, set);
    set.add(ownSynced);
    claimed.push(abs);
  };
  // One level at a time, not mkdir's recursive: Node's retries for ever, at 100 % CPU, where mkdir
  // answers ENOENT for a parent that exists (/proc: `--root /proc/x pkg install x` never ended).
  const make = async (abs: string): Promise<void> => {
    const up = path.dirname(abs);
    claim(abs);
    await fsp()
      .mkdir(abs, { mode })
      .catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT' || up === abs) throw err;
        await make(up);
        await fsp()
          .mkdir(abs, { mode })
          .catch((e: NodeJS.ErrnoException) => {
            if (e.code !== 'ENOENT') throw e;
            throw new StorageError(
              `Cannot create ${dir}: ${up} cannot hold folders`,
              'not-writable',
              'Give a folder on a writable disk (check --root).',
            );
          });
      })
      .then(
        () => {
          made.push(abs);
        },
        (err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST' || !nodeFs().statSync(abs, { throwIfNoEntry: false })?.isDirectory())
            throw storageErrorFrom(err, `creating ${dir}`);
        },
      );
  };
  try {
    await make(target);
    // Folders on the path that another call of this process may have made and not synced yet: this
    // call's caller would write in a folder a power cut can still lose, so it waits for them as for
    // its own. Every call that tried to make one, not only the one whose mkdir succeeded: that one's
    // answer can come after the other's EEXIST (two thread-pool threads post in either order), and a
    // call that met EEXIST settles as soon as its own syncs (if any) are done.
    const others = new Set<Promise<void>>();
    for (let d = target; ; d = path.dirname(d)) {
      for (const other of claims.get(d) ?? []) if (other !== ownSynced) others.add(other);
      if (path.dirname(d) === d) break;
    }
    const mine = syncMade(made);
    mine.then(settle, settle);
    await Promise.all([mine, ...others]);
  } finally {
    settle();
    for (const c of claimed) {
      const set = claims.get(c);
      set?.delete(ownSynced);
      if (set?.size === 0) claims.delete(c);
    }
  }
}

/**
 * For each folder an ensureDir call of this process is trying to make, or has made and is syncing
 * into its parent: when each such call's own syncs end (a sync that fails is that call's error; a
 * waiter goes on). Claimed before the mkdir, kept until the call returns. Empty whenever no call is
 * under way.
 */
const claims = new Map<string, Set<Promise<void>>>();

async function syncMade(made: string[]): Promise<void> {
  if (made.length === 0) return; // A folder that was there is left alone (no sync to pay).
  // Made here: synced, and each one's parent (its entry), or a power cut can lose it and all that a
  // commit wrote in it. Each folder once: a folder made here is the parent of the next, and was
  // synced twice when each level synced itself and its parent (a box's first `bpkg update` made
  // var/ … lists: 10 syncs, 5 of them again, issue 20). After every mkdir and before returning, all
  // at once: a sync makes durable what its folder holds by then, whatever the others' order, and
  // nothing is written in these folders until they are all done.
  const syncs = new Set([made[made.length - 1]!, ...made.map((m) => path.dirname(m))]);
  await Promise.all([...syncs].map((d) => syncDir(d)));
}

/** fsync a directory so a rename inside it survives power loss. */
export async function syncDir(dir: string): Promise<void> {
  const { O_RDONLY, O_DIRECTORY } = nodeFs().constants;
  const fh = await fsp().open(dir, O_RDONLY | O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Removes the temporary files in `dir` whose writer died before its rename (SIGKILL, a power cut):
 * nothing else would, and each kill left one more (a key in etc/blueprint/keys, a repository's
 * file, a 2.6 MB index or cache in lists/NAME). Those of `name` (`.NAME.PID.STAMP.tmp`, or
 * `.NAME.PID.tmp` as sealed-write.ts names them), or with no name every such file in `dir` (a
 * folder only the writer's program writes). Never one of a live process, nor of this one.
 */
export async function removeDeadTemps(dir: string, name?: string): Promise<void> {
  removeDeadTempsSync(dir, name);
}

/**
 * removeDeadTemps made synchronously (a folder's few names, listed and removed in microseconds):
 * the quick pkg commands call it without node:fs/promises, whose load costs 1.5-2.4 ms of CPU a
 * start (14 internal modules: readline's interface, the REPL's history; issue 20), and a first
 * update's sweeps take no thread-pool turns.
 */
export function removeDeadTempsSync(dir: string, name?: string): void {
  const fs = nodeFs();
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {}
  for (const n of names) {
    // The name (itself dotted), the writer's PID, a stamp or none.
    const m = /^\.(.+?)\.(\d+)(?:\.[0-9a-z]+)?\.tmp$/.exec(n);
    const pid = Number(m?.[2]);
    if (m && (name === undefined || m[1] === name) && pid !== process.pid && !alive(pid))
      try {
        fs.rmSync(path.join(dir, n), { force: true });
      } catch {}
  }
}

/**
 * Write a file so readers see the old content or the new content, never a mix: write a temporary
 * sibling, fsync it, rename over the target, fsync the directory.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = path.dirname(file);
  let tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  let made = false;
  let untrack = () => {};
  try {
    await ensureDir(dir);
    await removeDeadTemps(dir, path.basename(file));
    // Made new ('wx': O_EXCL, which never follows a link at the name): the folder may be one
    // another user writes (a recovery key file the admin named), and this name is easy to guess.
    // A name already taken is left alone and another tried.
    let fh: import('node:fs/promises').FileHandle | undefined;
    for (let attempt = 0; !fh; attempt++) {
      try {
        fh = await fsp().open(tmp, 'wx', mode);
        made = true;
        // Removed if the process is ended part-way (SIGTERM to `repo sign`): no catch runs then.
        untrack = trackTemp(tmp);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 8) throw err;
        tmp = path.join(
          dir,
          `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`,
        );
      }
    }
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp().rename(tmp, file);
    await syncDir(dir);
  } catch (err) {
    // Only a temporary file this call made (never one it found at a taken name).
    if (made)
      await fsp()
        .rm(tmp, { force: true })
        .catch(() => {});
    throw storageErrorFrom(err, `writing ${file}`);
  } finally {
    untrack();
  }
}

export async function writeJsonAtomic(file: string, value: unknown, mode = 0o644): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, mode);
}

/**
 * writeJsonAtomic into an existing folder, with the same steps made synchronously (write, fsync,
 * rename, fsync the folder): for a small file written by the quick pkg commands, where the file
 * handles and the thread pool's hand-offs cost ~3 ms of CPU and this well under one (issue 20).
 */
/**
 * `syncFolder: false` leaves the rename unsynced: a power cut may then keep the old file (never a
 * torn one: the bytes are synced before the rename). Only for a file whose old content is as good,
 * e.g. meta.json's `fetched` time after an update that found the index unchanged.
 */
export function writeJsonAtomicSync(file: string, value: unknown, mode = 0o644, syncFolder = true): void {
  const fs = nodeFs();
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'w', mode);
    try {
      fs.writeFileSync(fd, `${JSON.stringify(value, null, 2)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    if (!syncFolder) return;
    const d = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    try {
      fs.fsyncSync(d);
    } finally {
      fs.closeSync(d);
    }
  } catch (err) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {}
    throw storageErrorFrom(err, `writing ${file}`);
  }
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fsp()
      .open(p, 'r')
      .then((fh) => fh.close());
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EISDIR';
  }
}

export async function removeIfExists(p: string): Promise<void> {
  await fsp()
    .unlink(p)
    .catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
}

const missing = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/** Whether nothing, not even a dangling link, is at `p` (ENOENT); false on any other answer or error. */
function absent(p: string): boolean {
  try {
    return nodeFs().lstatSync(p, { throwIfNoEntry: false }) === undefined;
  } catch {
    return false;
  }
}

/**
 * Where `p` really is: the kernel's real path (`realpathSync.native` is realpath(3), not the
 * JavaScript walk of plain realpathSync) of its deepest existing ancestor, with the names that do
 * not exist yet appended. `undefined` when a dangling symlink is on the way: writing through it
 * would create its target, wherever that is.
 */
export function realPathOfExistingSync(p: string): string | undefined {
  const rest: string[] = [];
  for (let cur = path.resolve(p); ; ) {
    // A name that is not there is passed over without realpath(3)'s and lstat's exceptions (~15 of
    // them, ~15-30 us each cold, in an unchanged `bpkg update` of a box with no packages, issue 20).
    if (absent(cur) && path.dirname(cur) !== cur) {
      rest.push(path.basename(cur));
      cur = path.dirname(cur);
      continue;
    }
    try {
      return path.join(nodeFs().realpathSync.native(cur), ...rest.reverse());
    } catch (err) {
      if (!missing(err)) throw err;
      let link = false;
      try {
        link = nodeFs().lstatSync(cur).isSymbolicLink();
      } catch {}
      if (link) return undefined;
      const parent = path.dirname(cur);
      if (parent === cur) throw err;
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

/**
 * Refuses, before anything is written, when one of `dirs` (folders under `root` that the caller
 * writes) really lies outside `root`: a symlink on the way (`ROOT/opt/blueprint -> /srv`) would
 * carry every write, rename and recursive delete there. Links that stay inside the root are fine
 * (judged after resolving them). With `children`, the entries of those folders that are symlinks
 * are judged too (package folders under opt/blueprint).
 */
export async function assertInsideRoot(
  root: string,
  dirs: string[],
  opts: { children?: string[] } = {},
): Promise<void> {
  assertInsideRootSync(root, dirs, opts);
}

/**
 * assertInsideRoot, synchronously. Both are this one walk: a dozen realpath(3) and lstat calls
 * cost ~2 ms of CPU this way, against 5-8 through the thread pool's hand-offs and promises
 * (issue 20), so the async form no longer has its own.
 */
export function assertInsideRootSync(root: string, dirs: string[], opts: { children?: string[] } = {}): void {
  const judge = rootJudge(root, realPathOfExistingSync(root));
  for (const dir of dirs) judge(dir, realPathOfExistingSync(dir));
  for (const dir of opts.children ?? []) {
    let entries: import('node:fs').Dirent[] = [];
    try {
      if (!absent(dir)) entries = nodeFs().readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if (!missing(err)) throw err;
      entries = [];
    }
    for (const e of entries)
      if (e.isSymbolicLink()) judge(path.join(dir, e.name), realPathOfExistingSync(path.join(dir, e.name)));
  }
}

/** Throws when `p`, really at `real`, is not inside `root` (really at `realRoot`). */
function rootJudge(
  root: string,
  realRoot: string | undefined,
): (p: string, real: string | undefined) => void {
  const inside = (real: string | undefined) =>
    real !== undefined &&
    realRoot !== undefined &&
    (real === realRoot || real.startsWith(realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep));
  return (p, real) => {
    if (inside(real)) return;
    const rel = path.relative(path.resolve(root), path.resolve(p)) || '.';
    throw new StorageError(
      real === undefined
        ? `${p} goes through a dangling symbolic link inside ${root}`
        : `${p} is really ${real}, outside ${root}: a symbolic link on the way leads out of it`,
      'link-outside-root',
      `Make ${rel} a real folder inside ${root} (remove the link), or pass the intended --root; nothing was changed.`,
    );
  };
}
