/**
 * A system bundle that travels as a `bpkg` package (issue 21): the package `system-bundle`, built
 * for the box's architecture, whose payload is one file, `bundle.raucb`, hashed in its manifest.
 * Two signatures, checked in this order, neither standing in for the other:
 * 1. our OpenPGP one, which says where the bundle comes from: the repository's index and the
 *    package, each signed by a key bound to that repository (fetch-verified.ts); a key trusted for
 *    another repository signs nothing here;
 * 2. RAUC's X.509 one over the bundle, against the box's keyring, which says the bundle may be
 *    installed at all (installBundle: `rauc info`, then `rauc install`, which verifies again).
 * The package's version, from the signed index, is judged (only up) before a byte is downloaded,
 * and must be the version the bundle's own signed manifest names.
 */
import { copyFile, link, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BlueprintError, UsageError, VerificationError } from '../errors.js';
import type { FetchedPackage, FetchVerifiedOptions } from '../pkg/fetch-verified.js';
import { isSemver } from '../pkg/format.js';
import { ensureDir } from '../system/fs.js';
import { type InstallResult, installBundle, systemStatus, type UpdateDeps } from './index.js';
import { parseBundleInfo, type RaucRunner, raucReason } from './rauc.js';
import { notUpward } from './version-order.js';

/** The package name a system bundle travels under, whatever the repository. */
export const SYSTEM_PACKAGE = 'system-bundle';
/** The one payload file of a `system-bundle` package. */
export const BUNDLE_FILE = 'bundle.raucb';

/** The bpkg architecture of a RAUC compatible (`blueprintos-x86_64` → `x86_64`). */
export function archOfCompatible(compatible: string): 'x86_64' | 'aarch64' {
  const arch = /-(x86_64|aarch64)$/.exec(compatible)?.[1];
  if (arch === 'x86_64' || arch === 'aarch64') return arch;
  throw new UsageError(
    `the compatible "${compatible}" names no architecture (x86_64 or aarch64)`,
    'Bundles for bpkg repositories are built with a compatible ending in -x86_64 or -aarch64.',
  );
}

/** What `--from REPO` needs of the package manager (PackageManager.fetchVerified). */
export interface PackageFetcher {
  fetchVerified(opts: FetchVerifiedOptions): Promise<FetchedPackage>;
}

export interface RepoInstallResult extends InstallResult {
  package: { repo: string; version: string; signer: string };
}

/**
 * `blueprint system update --from REPO`: the newest `system-bundle` of REPO for this box (or
 * `version` exactly: `apply`'s `system.version`), checked
 * as above, into the other slot. `workDir` is the box's own scratch folder (on the data partition):
 * emptied first (what a crash left) and removed after, so a bundle is never kept twice.
 */
export async function installFromRepo(
  deps: UpdateDeps,
  fetcher: PackageFetcher,
  repo: string,
  opts: { force?: boolean; workDir: string; version?: string },
): Promise<RepoInstallResult> {
  const before = await systemStatus(deps);
  const arch = archOfCompatible(before.compatible);
  await rm(opts.workDir, { recursive: true, force: true });
  try {
    const fetched = await fetcher.fetchVerified({
      repo,
      name: SYSTEM_PACKAGE,
      arch,
      into: opts.workDir,
      ...(opts.version !== undefined ? { version: opts.version } : {}),
      accept(entry) {
        const down =
          before.version && !opts.force
            ? notUpward(
                entry.version,
                before.version,
                `system ${entry.version} from repository ${repo}`,
                'downloaded',
              )
            : undefined;
        if (down) throw down;
      },
    });
    if (!fetched.manifest.files?.[BUNDLE_FILE])
      throw new VerificationError(
        `${SYSTEM_PACKAGE} ${fetched.entry.version} from ${repo} has no hashed ${BUNDLE_FILE}`,
        'bundle-package',
        'Publishers: wrap a bundle with `blueprint repo build REPO_DIR BUNDLE.raucb`; nothing was written.',
      );
    const result = await installBundle(deps, path.join(fetched.payload, BUNDLE_FILE), {
      ...(opts.force ? { force: true } : {}),
      expectVersion: fetched.entry.version,
      // fetchVerified read it once into workDir and checked it against the signed manifest.
      ownCopy: true,
    });
    return { ...result, package: { repo, version: fetched.entry.version, signer: fetched.signer } };
  } finally {
    await rm(opts.workDir, { recursive: true, force: true });
  }
}

/** What a bundle says of itself, read without verifying (the publisher's side: no keyring there). */
async function readBundleInfo(rauc: RaucRunner, file: string) {
  const r = await rauc.run(['info', '--no-verify', '--output-format=json', file]);
  if (r.code !== 0)
    throw new BlueprintError(
      `RAUC cannot read ${file}: ${raucReason(r.stderr, r.stdout)}`,
      'bundle-unreadable',
      'Give a bundle made by `scripts/build-image.sh --bundle` (RAUC and squashfs-tools must be installed).',
    );
  return parseBundleInfo(r.stdout);
}

/**
 * A bundle as a package source folder in `dir` (manifest.json and payload/bundle.raucb, a hard link
 * where the file system allows), for `blueprint repo build` to sign and index like any package.
 */
export async function wrapBundle(rauc: RaucRunner, file: string, dir: string): Promise<string> {
  const info = await readBundleInfo(rauc, file);
  if (!isSemver(info.version))
    throw new UsageError(
      `the bundle's version "${info.version}" is not a semantic version like 2.0.0`,
      'Build the bundle with `--system-version X.Y.Z`: a package version must be one.',
    );
  const source = path.join(dir, `${SYSTEM_PACKAGE}-${info.version}`);
  const payload = path.join(source, 'payload');
  // One level at a time (ensureDir): mkdir's recursion spins for ever under /proc (`--repo /proc/x`),
  // and `dir` lies in the developer's repository folder, which may not be there yet.
  await ensureDir(payload);
  const dest = path.join(payload, BUNDLE_FILE);
  await link(file, dest).catch(() => copyFile(file, dest));
  const { sha256File } = await import('../pkg/transport.js');
  const manifest = {
    name: SYSTEM_PACKAGE,
    version: info.version,
    arch: archOfCompatible(info.compatible),
    summary: `BlueprintOS system ${info.version} (${info.compatible}): an A/B system update`,
    description:
      'Install with `blueprint system update --from REPO`: RAUC verifies the bundle against the box keyring.',
    files: { [BUNDLE_FILE]: await sha256File(dest) },
  };
  await writeFile(path.join(source, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return source;
}
