/**
 * One package staged: its bytes (streamed from its repository, or a local file's private copy)
 * checked against the signed index and its own signature, unpacked into a staging folder and
 * renamed into NAME/VERSION with its file list (the signature kept with it); a kept version made
 * current again is checked, not unpacked. installLocked (install.ts) commits what this stages.
 */
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { storageErrorFrom, VerificationError } from '../errors.js';
import { ensureDir, exists, syncDir } from '../system/fs.js';
import { type Extracted, extractPackage } from './archive.js';
import { type Database, saveFileList } from './db.js';
import { checkPackageSignature, fetchPackage } from './fetch.js';
import { packageFileName } from './format.js';
import { streamPackage } from './install-stream.js';
import { readFileList } from './installed-db.js';
import { MAX_PACKAGE_BYTES } from './limits.js';
import type { ManagerParts } from './parts.js';
import type { RepoState } from './repos.js';
import type { Candidate } from './resolve.js';
import { refuseRevokedSigner } from './revoked-first.js';
import { signingKeyOf } from './signer-revoked.js';
import { verifyVersion } from './states.js';
import { stagingRoot, versionDir } from './transaction.js';
import { checkDeclaredHashes, manifestMatchingIndex } from './verify-files.js';

/** Limits applied to every package archive (MAX_PACKAGE_BYTES: the bound every other size bound follows). */
const LIMITS = { maxUnpackedBytes: MAX_PACKAGE_BYTES, maxEntries: 200_000 };
const bombLimit = (size: number) => Math.min(LIMITS.maxUnpackedBytes, Math.max(256 * 1024 ** 2, size * 200));

/** Where a package's bytes come from: a local file read once into a private copy, or its repository. */
export type Source = ({ file: string } & Checked) | { state: RepoState };

/** Who signed a package: the trusted key (`signer`) and the key of it that made the signature. */
export type Signed = { signer: string; signingKey: string };

/** Signed, with the detached signature checked (kept in the version's file list: signer-revoked.ts keptSigning). */
type Checked = Signed & { signature: Uint8Array };

/** A version's file list keeps the signature checked when it was installed (FileList.signature). */
const keptText = (signature: Uint8Array): string => Buffer.from(signature).toString('base64');

/**
 * Unpacks one package into NAME/VERSION through a staging directory and records its files;
 * resolves with the key that signed it (Signed). Nothing leaves staging until its size,
 * SHA-256 and signature have passed.
 */
export async function stage(
  p: ManagerParts,
  c: Candidate,
  source: Source,
  db: Database,
  n: number,
): Promise<Signed> {
  const { entry } = c;
  const target = versionDir(p.paths, entry.name, entry.version);
  const had = db.packages[entry.name];
  if (await exists(target)) {
    if (had?.previous === entry.version || had?.version === entry.version) {
      const report = await verifyVersion(p, entry.name, entry.version);
      // Re-activating a kept version: its files are still as recorded; its signature is checked again.
      if (report.ok) {
        const { signer, signingKey, signature } = await ('file' in source
          ? source
          : signatureOnly(p, c, source.state));
        // A reinstall of the installed version, or the kept previous one made current again, still
        // runs the hooks: what they made outside the files (a module's image in the engine, its
        // service registration) may be gone or damaged, and the reinstall is what their errors
        // name as the fix.
        const list = await readFileList(p.paths, entry.name, entry.version);
        if (list) {
          // The signature just checked, kept with the version (one an older blueprint installed has none).
          if (list.signature !== keptText(signature))
            await saveFileList(p.paths, { ...list, signature: keptText(signature) });
          p.progress({ phase: 'prepare', name: entry.name });
          await p.hooks.prepare?.(
            { name: entry.name, version: entry.version, manifest: list.manifest, prefix: target },
            p.hookOpts,
          );
        }
        return { signer, signingKey };
      }
    }
    await rm(target, { recursive: true, force: true });
  }
  const staging = path.join(stagingRoot(p.paths), `${n}-${entry.name}`);
  await rm(staging, { recursive: true, force: true });
  const limits = { ...LIMITS, maxUnpackedBytes: bombLimit(entry.size) };
  const { out, signature, ...signer } = await unpacked(p, c, source, staging, limits).catch((err) => {
    throw storageErrorFrom(err, `unpacking ${entry.name}`);
  });
  const manifest = manifestMatchingIndex(out.manifestBytes, entry, 'nothing was installed');
  p.hooks.validateManifest?.(manifest);
  checkDeclaredHashes(manifest, out.files);
  await ensureDir(path.dirname(target));
  await ensureDir(path.join(staging, 'payload'));
  try {
    await rename(path.join(staging, 'payload'), target);
    // The rename on the disk before the commit, and the folders above it where ensureDir made them.
    for (const dir of [path.dirname(target), p.paths.optDir, path.dirname(p.paths.optDir)])
      await syncDir(dir);
  } catch (err) {
    throw storageErrorFrom(err, `installing ${entry.name}`);
  }
  await saveFileList(p.paths, {
    name: entry.name,
    version: entry.version,
    manifest,
    files: out.files,
    signature: keptText(signature),
  });
  p.progress({ phase: 'prepare', name: entry.name });
  await p.hooks.prepare?.({ name: entry.name, version: entry.version, manifest, prefix: target }, p.hookOpts);
  return signer;
}

/**
 * The package's bytes unpacked into `staging`, checked against the signed index and its own
 * signature, which must be by one of its repository's keys (a key trusted for another repository
 * signs nothing here). From a repository the bytes are read once, streamed (install-stream.ts);
 * a local file's private copy, or a signature whose shape needs the data, is unpacked from a file.
 */
async function unpacked(
  p: ManagerParts,
  c: Candidate,
  source: Source,
  staging: string,
  limits: typeof LIMITS,
): Promise<{ out: Extracted } & Checked> {
  const name = packageFileName(c.entry);
  if (!('file' in source)) {
    p.progress({ phase: 'download', name: c.entry.name, bytes: 0, total: c.entry.size });
    const { state } = source;
    const streamed = await streamPackage(p.fetchContext, c, state, staging, limits, () =>
      p.keyring.fastKeys(state.keys),
    );
    if (streamed)
      return {
        out: streamed.out,
        signer: p.repos.requireOwnSigner(source.state, streamed.signer, name),
        signingKey: streamed.signingKey,
        signature: streamed.signature,
      };
  }
  const file = 'file' in source ? source.file : await fetchPackage(p.fetchContext, c, source.state);
  const signed: Promise<Checked> =
    'file' in source ? Promise.resolve(source) : signatureOnly(p, c, source.state, file);
  signed.catch(() => {}); // awaited below, whatever unpacking does
  p.progress({ phase: 'unpack', name: c.entry.name });
  let out: Extracted;
  try {
    const written = p.written;
    out = await extractPackage(
      file,
      staging,
      limits,
      p.signal,
      written && ((bytes) => written({ step: 'unpack', name: c.entry.name, bytes })),
    );
    if (out.archiveSize !== c.entry.size || out.archiveSha256 !== c.entry.sha256)
      throw new VerificationError(
        `${name}: ${out.archiveSize} bytes with SHA-256 ${out.archiveSha256}, the signed index says ${c.entry.size} bytes, ${c.entry.sha256}`,
        out.archiveSize !== c.entry.size ? 'size-mismatch' : 'hash-mismatch',
        'The file changed or the mirror is out of date; nothing was installed.',
      );
  } catch (err) {
    await signed; // a bad signature is the better answer for a tampered package: it wins
    throw err;
  }
  const { signer, signingKey, signature } = await signed;
  return { out, signer, signingKey, signature };
}

/** The package's own signature checked on a copy in the cache (`file`: one made already, else fetched unless revoked). */
async function signatureOnly(
  p: ManagerParts,
  c: Candidate,
  state: RepoState,
  file?: string,
): Promise<Checked> {
  if (!file) await refuseRevokedSigner(p.fetchContext, c, state);
  const copy = file ?? (await fetchPackage(p.fetchContext, c, state));
  const check = await checkPackageSignature(p.fetchContext, c, state, copy);
  return {
    signer: p.repos.requireOwnSigner(state, check.signer, packageFileName(c.entry)),
    signingKey: signingKeyOf(check),
    signature: check.signature,
  };
}
