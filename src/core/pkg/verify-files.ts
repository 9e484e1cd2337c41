import { lstat, readlink } from 'node:fs/promises';
import path from 'node:path';
import { VerificationError } from '../errors.js';
import { resolveInside } from '../system/beneath.js';
import type { FileRecord } from './archive.js';
import { sameDepends } from './constraints.js';
import { type IndexEntry, type Manifest, parseJsonBytes, parseManifest, requirements } from './format.js';
import { sha256File } from './transport.js';

export interface VerifyProblem {
  path: string;
  /**
   * `link-escapes`: the path, with every link on it followed, lands outside the package.
   * `unsatisfied-dependency`: `path` is a dependency (as written) that the installed set breaks.
   * `damaged`: `path` is the version's file list, not what blueprint wrote (damaged-file.ts).
   * `signer-revoked`: `path` is the fingerprint of the key that signed it, revoked on this box.
   * `signer-unrecorded`: `path` is a revoked signing subkey of its signer's key, which may have
   * signed it: the version was installed by an older blueprint, which did not record which key did.
   * `signer-untrusted`: `path` is the fingerprint of the key that signed it, no longer trusted here.
   * `signer-wrong-repository`: `path` is the fingerprint of the trusted key that signed it, which is
   * not trusted for the repository it came from (a key trusted for one signs nothing of another's).
   */
  problem:
    | 'missing'
    | 'modified'
    | 'link-changed'
    | 'link-escapes'
    | 'not-current'
    | 'unsatisfied-dependency'
    | 'damaged'
    | 'signer-revoked'
    | 'signer-unrecorded'
    | 'signer-untrusted'
    | 'signer-wrong-repository';
}

export interface VerifyReport {
  name: string;
  version: string;
  ok: boolean;
  problems: VerifyProblem[];
}

/**
 * One installed file, directory or link against its record from install time (like debsums).
 * Judged where it really leads: a link (or a folder swapped for one) whose resolution, through
 * every link on the way, leaves `base` is reported even when its text is the recorded one.
 */
export async function checkFile(base: string, f: FileRecord): Promise<VerifyProblem[]> {
  const full = path.join(base, f.path);
  // Install refuses entries through links, so a link met on the way to any record was planted.
  if (!resolveInside(base, f.path).inside) return [{ path: f.path, problem: 'link-escapes' }];
  const st = await lstat(full).catch(() => undefined);
  if (st?.isSymbolicLink() && f.link === undefined)
    return [{ path: f.path, problem: f.dir ? 'missing' : 'modified' }];
  if (f.dir) return st?.isDirectory() ? [] : [{ path: f.path, problem: 'missing' }];
  if (f.link !== undefined) {
    const target = await readlink(full).catch(() => undefined);
    if (target === undefined) return [{ path: f.path, problem: 'missing' }];
    return target === f.link ? [] : [{ path: f.path, problem: 'link-changed' }];
  }
  const hash = await sha256File(full).catch(() => undefined);
  if (hash === undefined) return [{ path: f.path, problem: 'missing' }];
  return hash === f.sha256 ? [] : [{ path: f.path, problem: 'modified' }];
}

/** The manifest's `files` map (e.g. model weights) must match what was unpacked. */
/**
 * The manifest an archive carries, parsed and held to the signed index entry it was fetched by:
 * name, version, arch and the depends/uses must be what the index said (a package cannot name
 * itself or its needs differently from what its publisher signed in the index). `outcome` ends
 * each hint: "nothing was installed", "nothing was used".
 */
export function manifestMatchingIndex(
  manifestBytes: Uint8Array,
  entry: IndexEntry,
  outcome: string,
): Manifest {
  const manifest = parseManifest(
    parseJsonBytes(manifestBytes, `${entry.name} manifest.json`, 'bad-manifest'),
  );
  for (const field of ['name', 'version', 'arch'] as const)
    if (manifest[field] !== entry[field])
      throw new VerificationError(
        `${entry.name}: manifest ${field} "${manifest[field]}" does not match the index ("${entry[field]}")`,
        'manifest-mismatch',
        `The repository or package is inconsistent; ${outcome}.`,
      );
  if (!sameDepends(requirements(manifest), entry.depends))
    throw new VerificationError(
      `${entry.name}: manifest depends and uses [${requirements(manifest).join(', ')}] do not match the index ([${entry.depends.join(', ')}])`,
      'manifest-mismatch',
      `The index entry must list the same depends as the manifest; ${outcome}. Publishers: the index entry lists the manifest depends and uses (blueprint repo build writes them).`,
    );
  return manifest;
}

export function checkDeclaredHashes(manifest: Manifest, files: FileRecord[]): void {
  for (const [rel, sha] of Object.entries(manifest.files ?? {})) {
    const f = files.find((x) => x.path === rel);
    // `payload/x` for `x`: the publisher's path form, not tampering; say which form is right.
    const within = rel.replace(/^(\.\/)*payload\//, '');
    if (!f && within !== rel)
      throw new VerificationError(
        `${manifest.name}: files.${rel} names no file: paths in files are relative to payload/, so payload/${within} is written "${within}"`,
        'bad-manifest',
        `Write "${within}" in the manifest's files and rebuild the package.`,
      );
    if (!f || f.sha256 !== sha)
      throw new VerificationError(
        `${manifest.name}: payload file ${rel} ${f ? 'does not match its SHA-256 in the manifest' : 'is missing'} (files.${rel})`,
        'hash-mismatch',
        'The package is corrupt or was tampered with; nothing was installed.',
      );
  }
}
