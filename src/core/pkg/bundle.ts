/**
 * `bpkg bundle NAMES… --out DIR`: a self-contained, signed subset of the repositories for a box
 * with no network (a USB stick). For each repository it draws from, DIR/REPO holds the publisher's
 * own signed index (index.json and index.json.asc exactly as verified at the last update), the
 * chosen packages with their dependencies (each checked against that index and its own signature,
 * then copied with that signature), and the publisher's public key. Nothing is re-signed here: the
 * air-gapped box trusts the publisher's key, as an online one would. Packages the index names but
 * the bundle lacks are simply not installable from it.
 */
import { constants } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { ConflictError, NotFoundError } from '../errors.js';
import { trackTemp } from '../system/exit-cleanup.js';
import { ensureDir, exists } from '../system/fs.js';
import { fetchPackage, fetchSignatureBytes } from './fetch.js';
import { packageFileName } from './format.js';
import { hostArch } from './install.js';
import type { ManagerParts } from './parts.js';
import { type Candidate, parseRequest, resolve } from './resolve.js';
import { verifyDetached } from './signature.js';
import { candidates } from './states.js';
import { joinUrl } from './transport.js';

export interface BundleResult {
  out: string;
  repositories: { name: string; dir: string; packages: string[]; keys: string[] }[];
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
  await emptyFolder(out);
  // A bundle that does not finish (Ctrl-C, a refused package) leaves nothing: half a stick, no
  // index, was refused as 'not empty' when the same command ran again. What it made is removed:
  // the folder when it made it, else each repository folder it made in it; also when the process
  // is ended at once (a second Ctrl-C: exit-cleanup).
  const made: string[] = [];
  const untrack = madeOut ? [trackTemp(out)] : [];
  try {
    return await fill(p, plan, out, (dir) => {
      made.push(dir);
      if (!madeOut) untrack.push(trackTemp(dir));
    });
  } catch (err) {
    for (const dir of madeOut ? [out] : made) await rm(dir, { recursive: true, force: true }).catch(() => {});
    throw err;
  } finally {
    for (const u of untrack) u();
  }
}

async function fill(
  p: ManagerParts,
  plan: Candidate[],
  out: string,
  /** Each folder it made in `out`, once made. */
  onMade: (dir: string) => void,
): Promise<BundleResult> {
  const states = new Map((await p.repos.states()).map((s) => [s.name, s]));
  const byRepo = new Map<string, Candidate[]>();
  for (const c of plan) byRepo.set(c.repo, [...(byRepo.get(c.repo) ?? []), c]);
  const trusted = await p.fetchContext.trusted();
  const result: BundleResult = { out: path.resolve(out), repositories: [] };
  for (const [repo, chosen] of byRepo) {
    const state = states.get(repo)!;
    const dir = path.join(out, repo);
    await mkdir(dir);
    onMade(dir);
    for (const c of chosen) {
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
    for (const k of trusted.filter((k) => state.keys.includes(k.getFingerprint())))
      await writeNew(path.join(dir, 'keys', `${k.getFingerprint()}.pub.asc`), k.armor());
    result.repositories.push({
      name: repo,
      dir: path.resolve(dir),
      packages: chosen.map((c) => `${c.entry.name}@${c.entry.version}`),
      keys: state.keys,
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

/** The bundle goes into a new or empty folder: nothing on the stick is overwritten or merged. */
async function emptyFolder(out: string): Promise<void> {
  await ensureDir(out); // one level at a time: never spins where no folder can be made (/proc)
  if ((await readdir(out)).length > 0)
    throw new ConflictError(`${out} is not empty`, 'bundle-target-not-empty', 'Give a new or empty folder.');
}

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
