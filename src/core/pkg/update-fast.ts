import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertInsideRootSync, removeDeadTempsSync, writeJsonAtomicSync } from '../system/fs.js';
import { type Layout, layout, managedDirs } from '../system/paths.js';
import { indexDateFault } from './index-dates.js';
import { type IndexHead, readHead } from './index-head.js';
import { joinUrl } from './join-url.js';
import { keptFastKeys } from './keyring-cache.js';
import { localKeyDir } from './local-key-path.js';
import {
  nodeCrypto,
  nodeFs,
  openServedSync,
  readAlongside,
  readJsonSync,
  repoConfigFiles,
} from './node-lazy.js';
import type { RepoConfig, UpdateOutcome } from './repos.js';
import { fastSignature } from './sig-fast.js';

const MAX_INDEX_BYTES = 64 * 1024 * 1024;
const MAX_SIG_BYTES = 64 * 1024;

/** What one repository's quick update found, before anything is written. */
interface Unchanged {
  repo: RepoConfig;
  url: string;
  signer: string;
  version: number;
  packages: number;
  /** meta.json already says all but `fetched`: its rename need not be synced. */
  sameMeta: boolean;
}

/**
 * `bpkg update` when every repository serves, from a local folder, exactly the index the box
 * already keeps (a periodic update with nothing new): the same checks as Repositories.updateOne
 * makes on that path (repos.ts), without loading the package manager, the transports or
 * OpenPGP.js, run from the executable's start part (issue 20). The signature is verified again
 * over the bytes just read (sig-fast.ts, keys from the sealed keyring cache), the bytes must equal
 * the kept index.json and hash to what the sealed head holds, the head must name the bound
 * repository, and freshness is judged as before. Then meta.json is written as updateOne writes it.
 * Unlike updateOne, it does not judge the verified cache and the search table (their readers do,
 * and write them again: see below), so a missing or changed one is made anew on first read.
 *
 * Undefined, with nothing written, whenever any of that does not hold or anything else is asked
 * (an HTTP, OCI or S3 URL, mirrors, a key rotation notice, a key not in the keyring cache, a
 * signature sig-fast.ts does not take, a new or changed index, an expired one, an unbound
 * repository): then updateBox runs as before and gives the answer, with its errors and warnings.
 * test/pkg/update-fast.test.ts holds the two to the same outcome.
 */
export async function updateUnchanged(root: string, now: () => Date): Promise<UpdateOutcome[] | undefined> {
  const paths = layout(root);
  const files = repoConfigFiles(paths.reposDir);
  if (files.length === 0) return undefined;
  // The cheap refusals first (no kept head: a box's first update), before any index is read and
  // hashed for nothing: the package manager then answers.
  const repos: { repo: RepoConfig; head: IndexHead }[] = [];
  for (const f of files) {
    const repo = readJsonSync<RepoConfig>(path.join(paths.reposDir, f));
    if (!repo) continue;
    const head = await readHead(paths, repo.name);
    if (!head || repo.repository === undefined || head.repository !== repo.repository) return undefined;
    repos.push({ repo, head });
  }
  // The root's folders judged before anything is written, as PackageManager judges them; a
  // refusal leaves the answer to the package manager, which refuses with its reasons.
  checkRoot(paths);
  const found: Unchanged[] = [];
  for (const { repo, head } of repos) {
    const one = await unchanged(paths, repo, head, now);
    if (!one) return undefined;
    found.push(one);
  }
  for (const u of found) {
    const dir = path.join(paths.listsDir, u.repo.name);
    // What a killed update left (its process gone), as updateOne's stager sweeps it; synchronously,
    // as meta.json is written: nothing else here needs node:fs/promises (removeDeadTempsSync).
    removeDeadTempsSync(dir);
    // When only `fetched` changes (the index is the one on disk), the folder is not synced after
    // the rename: a power cut can lose the new time alone, and the old meta.json it keeps is as
    // valid (~14 ms of wall a repository at load; test/pkg/update-unchanged-sync).
    writeJsonAtomicSync(
      path.join(dir, 'meta.json'),
      { name: u.repo.name, url: u.url, signer: u.signer, fetched: now().toISOString() },
      0o644,
      !u.sameMeta,
    );
  }
  return found.map((u) => ({
    repo: u.repo.name,
    ok: true,
    changed: false,
    version: u.version,
    packages: u.packages,
  }));
}

async function unchanged(
  paths: Layout,
  repo: RepoConfig,
  head: IndexHead,
  now: () => Date,
): Promise<Unchanged | undefined> {
  const keys = repo.keys ?? [];
  const { url } = repo;
  if (
    keys.length === 0 ||
    (repo.mirrors ?? []).some((m) => m !== url) ||
    typeof url !== 'string' ||
    !url.startsWith('file://')
  )
    return undefined;
  const fast = await keptFastKeys(paths, localKeyFile(paths), keys, now());
  if (!fast?.length) return undefined;
  // A rotation notice is judged by the package manager (it may trust a new key).
  if ((await readFromFolder(url, 'keys/rotation.json', MAX_SIG_BYTES * 4)) !== null) return undefined;
  const sig = await readFromFolder(url, 'index.json.asc', MAX_SIG_BYTES);
  if (!sig) return undefined;
  const signed = fastSignature(sig, fast, now());
  if (!signed) return undefined;
  // The served index read once, in pieces: each hashed for the signature (and for its SHA-256)
  // while it is compared with the kept index.json. No buffer of its own (2.6 MB to fault in), one
  // pass instead of a read, a hash and a compare (issue 20).
  const dir = path.join(paths.listsDir, repo.name);
  const { createHash } = nodeCrypto();
  const hash = createHash(signed.hash);
  const own = signed.hash === 'sha256' ? undefined : createHash('sha256');
  const sides = [{ file: path.join(dir, 'index.json'), before: NONE, after: NONE }];
  const served = fileURLToPath(joinUrl(url, 'index.json'));
  const same = readAlongside(served, MAX_INDEX_BYTES, sides, (piece) => {
    hash.update(piece);
    own?.update(piece);
  });
  if (!same) return undefined;
  const sha256 = (own ?? hash.copy()).digest('hex');
  const check = signed.verify(hash);
  if (!check || head.sha256 !== sha256 || head.signer !== check.signer) return undefined;
  // The kept index is the rollback baseline only when its signer is still bound (as updateOne).
  const meta = readJsonSync<{ name?: string; url?: string; signer?: string }>(path.join(dir, 'meta.json'));
  if (!keys.includes(meta?.signer?.toLowerCase() ?? '')) return undefined;
  // Expired or dated in the future: declined, and the package manager refuses it with its reason
  // (freshness.ts). The version is the kept one's: no rollback to judge.
  if (indexDateFault(now(), head)) return undefined;
  // The verified cache and the search table are not judged here (issue 20: 2.6 MB compared and
  // 0.65 MB through HMAC on every unchanged update, for nothing any reader trusts). Nothing reads
  // either without checking its seal first: the cache must also be the one the sealed head names
  // (readVerified), and a reader that finds it missing or changed verifies the kept index.json
  // against its signature again and writes it anew (Repositories.state); search declines a table
  // that does not hold, and the package manager's search writes it again (keepSearchTable).
  const sameMeta = meta?.name === repo.name && meta.url === url && meta.signer === check.signer;
  return { repo, url, signer: check.signer, version: head.version, packages: head.packages, sameMeta };
}

const NONE = new Uint8Array(0);

/**
 * The root's folders judged as PackageManager judges them before any write: every managed folder,
 * and every link among the package folders and the repositories' kept files (lists/NAME), where
 * its symlinks really lead, synchronously (assertInsideRootSync: ~2 ms of CPU, the thread
 * pool's way 5-8). When nothing below the root is a link (plainBelow), that judgement is known
 * without it: each folder really is the root's real path and the same names.
 */
export function checkRoot(paths: Layout): void {
  const dirs = managedDirs(paths);
  // Links among their entries judged too: package folders, and each repository's kept index files
  // (lists/NAME), which every update writes (a link there out of the root carried them out of it).
  const children = [paths.optDir, paths.listsDir];
  if (plainBelow(paths.root, dirs, children)) return;
  assertInsideRootSync(paths.root, dirs, { children });
}

/**
 * Whether the root is a folder and every name from it down to each of `dirs` is a real folder
 * (not a link) or absent with nothing below, and no entry of `children` is a link. Then each of
 * `dirs` really lies at the root's real path followed by the same names, inside it, which is all
 * assertInsideRootSync asks; a link anywhere (one that stays inside is legal), a file on the way or
 * a name it cannot judge leaves the answer to it. One lstat a name, shared by the folders that
 * have it on their way: 18 for a box's 12 folders, against a realpath(3) walk and path joins for
 * each (~1 ms of an unchanged `bpkg update`, issue 20).
 */
function plainBelow(root: string, dirs: string[], children: string[]): boolean {
  const fs = nodeFs();
  const base = root.endsWith('/') ? root : `${root}/`;
  try {
    // path.resolve'd by layout(): absolute, no `.` or `..` names (checked, not assumed).
    if (!path.isAbsolute(root) || !children.every((c) => dirs.includes(c))) return false;
    if (!fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) return false;
    const seen = new Map<string, boolean>(); // a name below the root: a real folder (true) or absent
    for (const dir of dirs) {
      if (!dir.startsWith(base) || dir.includes('//') || /\/\.\.?(\/|$)/.test(dir)) return false;
      for (let end = base.length; end <= dir.length; end++) {
        if (end < dir.length && dir[end] !== '/') continue;
        const name = dir.slice(0, end);
        let folder = seen.get(name);
        if (folder === undefined) {
          const st = fs.lstatSync(name, { throwIfNoEntry: false });
          if (st && !st.isDirectory()) return false;
          folder = st !== undefined;
          seen.set(name, folder);
        }
        if (!folder) break;
      }
    }
    // Unseen: a folder above it is absent, and so are its entries.
    for (const c of children)
      if (seen.get(c))
        for (const e of fs.readdirSync(c, { withFileTypes: true })) if (e.isSymbolicLink()) return false;
    return true;
  } catch {
    return false;
  }
}

/** The box's own public key, which the keyring cache is bound to (update.ts's boxKeyring). */
const localKeyFile = (paths: Layout) => path.join(localKeyDir(paths), 'public.asc');

/**
 * A file of a folder repository as the file transport reads it (transport.ts), judged by the same
 * `joinUrl`; null when it does not exist, undefined when it is not a regular file or is larger
 * than `max` (the package manager refuses it, with its error). Opened once (openServedSync: no
 * wait on a FIFO, no link followed at its name: one there is left to the package manager), then
 * read through that descriptor: at most the size it said and one byte more, so a 256 MB file is
 * never read and one that grew since is declined (issue 20).
 */
async function readFromFolder(base: string, rel: string, max: number): Promise<Buffer | null | undefined> {
  const file = fileURLToPath(joinUrl(base, rel));
  const fs = nodeFs();
  // An absent file (a rotation notice, most often) answered without an exception thrown and caught.
  if (!fs.lstatSync(file, { throwIfNoEntry: false })) return null;
  const served = openServedSync(file, max);
  if (!served) return undefined;
  const { fd, size } = served;
  try {
    const bytes = Buffer.allocUnsafe(size + 1);
    let n = 0;
    for (let got = 1; got > 0 && n < bytes.length; n += got)
      got = fs.readSync(fd, bytes, n, bytes.length - n, n);
    return n > size ? undefined : bytes.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}
