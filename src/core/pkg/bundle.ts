/**
 * `bpkg bundle NAMES… --out DIR`: a self-contained, signed subset of the repositories for a box
 * with no network (a USB stick). For each repository it draws from, DIR/REPO holds the publisher's
 * own signed index (index.json and index.json.asc exactly as verified at the last update), the
 * chosen packages with their dependencies (each checked against that index and its own signature,
 * then copied with that signature), and the publisher's public key. Nothing is re-signed here: the
 * air-gapped box trusts the publisher's key, as an online one would. Packages the index names but
 * the bundle lacks are simply not installable from it.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  rmdirSync,
  unlinkSync,
} from 'node:fs';
import { copyFile, type FileHandle, mkdir, open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConflictError, NotFoundError, VerificationError } from '../errors.js';
import { trackUndo } from '../system/exit-cleanup.js';
import { ensureDir, exists } from '../system/fs.js';
import { fetchPackage, fetchSignatureBytes } from './fetch.js';
import { packageFileName } from './format.js';
import { hostArch } from './install.js';
import type { ManagerParts } from './parts.js';
import { type Candidate, parseRequest, resolve } from './resolve.js';
import { refuseRevokedSigner } from './revoked-first.js';
import { verifyDetached } from './signature.js';
import { candidates } from './states.js';
import { joinUrl } from './transport.js';

export interface BundleResult {
  out: string;
  /** `keys`: those the repository is bound to; `keyFiles`: those written as keys/FPR.pub.asc (the trusted ones). */
  repositories: { name: string; dir: string; packages: string[]; keys: string[]; keyFiles: string[] }[];
}

export async function bundle(
  p: ManagerParts,
  names: string[],
  out: string,
  opts: { arch?: string } = {},
): Promise<BundleResult> {
  if (names.length === 0)
    throw new NotFoundError('Name the packages to bundle', 'Example: bpkg bundle llm --out /media/usb');
  const plan = resolve(names.map(parseRequest), await candidates(p, true), {}, opts.arch ?? hostArch());
  const madeOut = !(await exists(out));
  // Held open once judged: everything is made, written and removed through this descriptor, never
  // by the path again. The folder is often another user's (a stick mounted with its owner's files,
  // a folder in /tmp), who may rename it and put a link at its name meanwhile: by path, root's
  // clean-up then deleted the repository's name in any folder of the box (test/security/
  // bundle-cleanup-links).
  const held = await emptyFolder(out);
  // A bundle that does not finish (Ctrl-C, a refused package) leaves nothing: half a stick, no
  // index, was refused as 'not empty' when the same command ran again. What it made is removed:
  // each repository folder it made (emptied through its own descriptor), and the folder when it
  // made it; also when the process is ended at once (a second Ctrl-C: exit-cleanup).
  const made: Made[] = [];
  const undo = () => removeMade(held, made, madeOut ? out : undefined);
  const untrack = trackUndo(() => {
    undo();
    return undefined;
  });
  try {
    return await fill(p, plan, out, held, (m) => made.push(m));
  } catch (err) {
    undo();
    throw shownError(err, held, made, out);
  } finally {
    untrack();
    for (const m of made) await m.fh.close().catch(() => {});
    await held.close().catch(() => {});
  }
}

/** A repository folder the bundle made in the held folder, held open itself. */
interface Made {
  name: string;
  fh: FileHandle;
  dev: number;
  ino: number;
}

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;
const byFd = (fd: number) => `/proc/self/fd/${fd}`;

/**
 * Removes what the bundle made (synchronously: also from exit-cleanup): each repository folder's
 * contents through its descriptor, then its name in the held folder only while that name is still
 * the folder made (else the folder's owner moved it: it stays there, emptied); and `out` itself,
 * when the bundle made it, on the same condition. Errors are passed over: the clean-up is best-effort.
 */
function removeMade(held: FileHandle, made: readonly Made[], out: string | undefined): void {
  const still = (at: string, id: { dev: number; ino: number }) => {
    const st = lstatSync(at, { throwIfNoEntry: false });
    return st?.isDirectory() === true && st.dev === id.dev && st.ino === id.ino;
  };
  for (const m of made)
    try {
      emptyHeld(m.fh.fd);
      const at = path.join(byFd(held.fd), m.name);
      if (still(at, m)) rmdirSync(at);
    } catch {}
  if (out === undefined) return;
  try {
    if (still(out, fstatSync(held.fd))) rmdirSync(out);
  } catch {}
}

/**
 * Empties the folder held by `fd`, never following a link: each folder in it opened O_NOFOLLOW and
 * emptied through its own descriptor, anything else unlinked by name (a link itself, not its target).
 */
function emptyHeld(fd: number): void {
  for (const name of readdirSync(byFd(fd))) {
    const at = path.join(byFd(fd), name);
    let sub: number | undefined;
    try {
      sub = openSync(at, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch {
      try {
        unlinkSync(at);
      } catch {}
      continue;
    }
    try {
      emptyHeld(sub);
    } finally {
      closeSync(sub);
    }
    try {
      rmdirSync(at);
    } catch {}
  }
}

/** An error naming a /proc/self/fd path of the bundle's named as the admin knows it. */
function shownError(err: unknown, held: FileHandle, made: readonly Made[], out: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.path !== 'string' || !e.path.startsWith('/proc/self/fd/')) return err;
  const places = [
    ...made.map((m) => [byFd(m.fh.fd), path.join(out, m.name)] as const),
    [byFd(held.fd), out] as const,
  ];
  for (const [fdPath, shown] of places)
    if (e.path === fdPath || e.path.startsWith(`${fdPath}/`)) {
      const named = shown + e.path.slice(fdPath.length);
      e.message = e.message.replaceAll(e.path, named);
      e.path = named;
      break;
    }
  return err;
}

async function fill(
  p: ManagerParts,
  plan: Candidate[],
  out: string,
  /** `out`, held open: what is made and written goes through it. */
  held: FileHandle,
  /** Each folder it made in `out`, once made. */
  onMade: (made: Made) => void,
): Promise<BundleResult> {
  const states = new Map((await p.repos.states()).map((s) => [s.name, s]));
  const byRepo = new Map<string, Candidate[]>();
  for (const c of plan) byRepo.set(c.repo, [...(byRepo.get(c.repo) ?? []), c]);
  const trusted = await p.fetchContext.trusted();
  const result: BundleResult = { out: path.resolve(out), repositories: [] };
  for (const [repo, chosen] of byRepo) {
    const state = states.get(repo)!;
    await mkdir(path.join(byFd(held.fd), repo));
    const fh = await open(path.join(byFd(held.fd), repo), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    const st = await fh.stat().catch(async (err) => {
      await fh.close();
      throw err;
    });
    onMade({ name: repo, fh, dev: st.dev, ino: st.ino });
    // The folder just made, through its descriptor: its name in `out` may be swapped meanwhile.
    const dir = byFd(fh.fd);
    for (const c of chosen) {
      await refuseRevokedSigner(p.fetchContext, c, state); // before the download, as an install
      const file = await fetchPackage(p.fetchContext, c, state);
      // The signature is read once, checked on the cached package, and those bytes are written.
      const sig = await firstSignature(p, c, state.urls ?? [state.url], file, trusted);
      p.repos.requireOwnSigner(state, sig.signer, packageFileName(c.entry));
      // Recursive, and fine: inside `dir`, made just above by this bundle (a plain mkdir, which fails
      // if anything is there); the entry's path is a checked repository path (no `..`, no empty part).
      await mkdir(path.dirname(path.join(dir, c.entry.path)), { recursive: true });
      await copyFile(file, path.join(dir, c.entry.path), constants.COPYFILE_EXCL);
      await writeNew(path.join(dir, `${c.entry.path}.asc`), sig.bytes);
    }
    // The publisher's index as accepted (re-checked: it is what the box will verify).
    const lists = path.join(p.paths.listsDir, repo);
    const index = await readFile(path.join(lists, 'index.json'));
    const indexSig = await readFile(path.join(lists, 'index.json.asc'));
    const check = await verifyDetached(index, indexSig, trusted, `The index of repository ${repo}`, p.now());
    p.repos.requireOwnSigner(state, check.signer, 'index.json');
    await writeNew(path.join(dir, 'index.json'), index);
    await writeNew(path.join(dir, 'index.json.asc'), indexSig);
    await mkdir(path.join(dir, 'keys'));
    const shipped = trusted.filter((k) => state.keys.includes(k.getFingerprint()));
    for (const k of shipped)
      await writeNew(path.join(dir, 'keys', `${k.getFingerprint()}.pub.asc`), k.armor());
    result.repositories.push({
      name: repo,
      dir: path.resolve(out, repo),
      packages: chosen.map((c) => `${c.entry.name}@${c.entry.version}`),
      keys: state.keys,
      keyFiles: shipped.map((k) => k.getFingerprint()),
    });
  }
  return result;
}

async function firstSignature(
  p: ManagerParts,
  c: Candidate,
  urls: string[],
  file: string,
  trusted: Awaited<ReturnType<ManagerParts['fetchContext']['trusted']>>,
): Promise<{ bytes: Uint8Array; signer: string }> {
  let first: unknown;
  for (const base of urls) {
    try {
      const bytes = await fetchSignatureBytes(`${joinUrl(base, c.entry.path)}.asc`, p.signal);
      const { signer } = await verifyDetached({ file }, bytes, trusted, packageFileName(c.entry), p.now());
      return { bytes, signer };
    } catch (err) {
      if (p.signal?.aborted) throw err;
      first ??= err;
    }
  }
  throw first;
}

/**
 * The bundle goes into a new or empty folder: nothing on the stick is overwritten or merged. The
 * folder is returned held open: its links resolved only where root (or we) put them (namedRealPath:
 * a link in another user's folder is refused), opened O_NOFOLLOW, and judged empty on that
 * descriptor.
 */
async function emptyFolder(out: string): Promise<FileHandle> {
  await ensureDir(out); // one level at a time: never spins where no folder can be made (/proc)
  const { namedRealPath, othersCanSwap } = await import('../system/named-path.js');
  const real = await namedRealPath(out);
  const held = await open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ELOOP' || err.code === 'ENOTDIR') throw changed(out);
    throw err;
  });
  try {
    const { pathOfFd } = await import('../system/read-bounded.js');
    if ((await othersCanSwap(real)) && pathOfFd(held.fd) !== real) throw changed(out);
    if ((await readdir(byFd(held.fd))).length > 0)
      throw new ConflictError(
        `${out} is not empty`,
        'bundle-target-not-empty',
        'Give a new or empty folder.',
      );
    return held;
  } catch (err) {
    await held.close();
    throw err;
  }
}

const changed = (out: string) =>
  new VerificationError(
    `${out} was replaced by a link while it was checked`,
    'changed',
    'Look at who can change the folder above it, and run the command again.',
  );

/** Creates a file that must not exist yet, never through a link planted on the stick. */
async function writeNew(file: string, bytes: Uint8Array | string): Promise<void> {
  const fh = await open(
    file,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o644,
  );
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
