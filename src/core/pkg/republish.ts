import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ReadEntry } from 'tar';
import { ConflictError } from '../errors.js';
import { ensureDir, syncDir } from '../system/fs.js';
import { type Manifest, packageFileName } from './format.js';
import { sha256File } from './transport.js';

/**
 * What a package holds, however its archive was written (entry order, mtimes, owners): each
 * entry's path, type, executable bit, link and data, hashed. A package built before builds were
 * reproducible has other bytes than the same source built now, and the same contents.
 */
async function contentsOf(file: string): Promise<string> {
  const { Parser } = await import('tar');
  const lines: string[] = [];
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      const hash = createHash('sha256');
      entry.on('data', (c: Buffer) => hash.update(c));
      entry.on('end', () =>
        lines.push(
          [
            entry.path.replace(/\/$/, ''),
            entry.type,
            (entry.mode ?? 0) & 0o111 ? 'x' : '-',
            entry.linkpath ?? '',
          ]
            .concat(hash.digest('hex'))
            .join('\0'),
        ),
      );
    },
  });
  await pipeline(createReadStream(file), parser);
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex');
}

/** A package just built (in the pool's .incoming) and where it goes in the pool. */
export interface BuiltPackage {
  manifest: Manifest;
  incoming: string;
  dest: string;
  /** `rel` (the pool path) as the index names it. */
  rel: string;
  /**
   * Against what is published under its name, version and architecture (the pool's file, else the
   * index's entry): `new`; the same bytes; the same contents in other bytes (a pool file built
   * before builds were reproducible); or other contents.
   */
  against: 'new' | 'same-bytes' | 'same-contents' | 'changed';
}

/**
 * How the package just built of `manifest` (in `pool`/.incoming) stands against what is published
 * at its place in the pool (`published`: the index's SHA-256 by path).
 */
export async function judgeBuilt(
  pool: string,
  manifest: Manifest,
  published: Map<string, string>,
  repoDir: string,
): Promise<BuiltPackage> {
  const incoming = path.join(pool, '.incoming', packageFileName(manifest));
  const dest = path.join(pool, manifest.name, packageFileName(manifest));
  const rel = path.relative(repoDir, dest).split(path.sep).join('/');
  const built = await sha256File(incoming);
  const inPool = await sha256File(dest).catch(() => undefined);
  const before = inPool ?? published.get(rel);
  const against =
    before === undefined
      ? 'new'
      : before === built
        ? 'same-bytes'
        : inPool !== undefined &&
            (await contentsOf(incoming)) === (await contentsOf(dest).catch(() => 'unreadable'))
          ? 'same-contents'
          : 'changed';
  return { manifest, incoming, dest, rel, against };
}

/**
 * The refusal of packages built with other contents under a name, version and architecture already
 * published (reprepro and aptly refuse it too): boxes that installed that version keep what they
 * have (no newer version to upgrade to), and a mirror or box one index behind reads "SHA-256
 * differs". Builds are reproducible (a module's image as well), so an unchanged source never meets
 * it. `--force-replace` replaces them anyway, with a warning.
 */
export function republishRefusal(changed: BuiltPackage[]): ConflictError | undefined {
  if (changed.length === 0) return undefined;
  const what = changed.map((b) => `${b.rel} (version ${b.manifest.version})`).join(', ');
  return new ConflictError(
    `${what}: built with other contents under a version already published; nothing was written to the repository's index`,
    'version-published',
    `Give a changed package a new version in its manifest.json: boxes that installed the published one keep it (bpkg upgrade sees no newer version), and a mirror or box with the index before refuses other bytes (SHA-256 differs). An unchanged source builds the same bytes: if yours did not change, something in its build (a build.sh) writes the time or random bytes. To replace it anyway: blueprint repo build --force-replace …`,
  );
}

/**
 * Puts the package just built at its place in the pool. The same contents as the pool's file in
 * other bytes: that file stays, and with it the SHA-256 the index already gives. Other contents
 * (only with --force-replace: republishRefusal): replaced, and said (`warn`).
 */
async function placeInPool(
  b: BuiltPackage,
  at: { info: (line: string) => void; warn?: ((line: string) => void) | undefined },
): Promise<void> {
  if (b.against === 'same-contents') {
    await rm(b.incoming, { force: true });
    at.info(`${b.rel}: the same contents as the pool's file, kept (its SHA-256 unchanged)`);
    return;
  }
  const { version } = b.manifest;
  if (b.against === 'changed')
    at.warn?.(
      `${b.rel} replaced (--force-replace) with other contents under the version ${version} already published: boxes that installed ${version} keep the one they have (bpkg upgrade sees no newer version), and a mirror or box with the index before refuses it (SHA-256 differs).`,
    );
  await rename(b.incoming, b.dest);
}

/**
 * Puts every package just built in the pool (placeInPool), each synced and signed (`sign`), once
 * all were judged: a refusal (republishRefusal, unless `forceReplace`) leaves the pool and the index
 * as they were, the packages built removed. Returns the last package signed.
 */
export async function placeAll(
  built: BuiltPackage[],
  at: {
    pool: string;
    forceReplace: boolean;
    info: (line: string) => void;
    warn?: ((line: string) => void) | undefined;
    sign: (file: string) => Promise<void>;
  },
): Promise<string> {
  const refused = !at.forceReplace && republishRefusal(built.filter((b) => b.against === 'changed'));
  if (refused) {
    await rm(path.join(at.pool, '.incoming'), { recursive: true, force: true });
    throw refused;
  }
  let signed = '';
  for (const b of built) {
    await ensureDir(path.dirname(b.dest));
    await placeInPool(b, at);
    // On the disk before index.json names it (a power cut must not leave an index naming a package
    // the disk lost): the package was synced before its first rename, these are the folders.
    await syncDir(path.dirname(b.dest));
    await syncDir(at.pool);
    await at.sign(b.dest);
    signed = b.dest;
    at.info(`built ${b.rel}`);
  }
  return signed;
}
