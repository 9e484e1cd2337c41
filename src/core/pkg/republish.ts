import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ReadEntry } from 'tar';
import type { Manifest } from './format.js';
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

/**
 * Puts the package just built (`incoming`) at `dest` in the pool of the repository `at.repoDir`.
 * Under a name, version and architecture already published (the pool's file, or the index's entry)
 * with other contents, it says so (`warn`): boxes that installed that version keep what they have
 * (no newer version to upgrade to), and a mirror or box one index behind gets "SHA-256 differs".
 * reprepro and aptly refuse that; here it is a warning while a module's image is rebuilt with new
 * timestamps each time (podman build), so that a module built again always differs. The same
 * contents in the pool's file (built before builds were reproducible): that file stays, and with
 * it the SHA-256 the index already gives.
 */
export async function placeInPool(
  incoming: string,
  dest: string,
  published: Map<string, string>,
  at: {
    repoDir: string;
    manifest: Manifest;
    info: (line: string) => void;
    warn?: ((line: string) => void) | undefined;
  },
): Promise<void> {
  const rel = path.relative(at.repoDir, dest).split(path.sep).join('/');
  const { version } = at.manifest;
  const built = await sha256File(incoming);
  const inPool = await sha256File(dest).catch(() => undefined);
  const before = inPool ?? published.get(rel);
  if (before !== undefined && before !== built) {
    if (
      inPool !== undefined &&
      (await contentsOf(incoming)) === (await contentsOf(dest).catch(() => 'unreadable'))
    ) {
      await rm(incoming, { force: true });
      at.info(`${rel}: the same contents as the pool's file, kept (its SHA-256 unchanged)`);
      return;
    }
    at.warn?.(
      `${rel} was built with other contents under the version ${version} already published: boxes that installed ${version} keep the one they have (bpkg upgrade sees no newer version), and a mirror or box with the index before refuses it (SHA-256 differs). Give a changed package a new version in its manifest.json${at.manifest.service !== undefined ? "; a module's image is rebuilt with new timestamps each time, so a module built again differs even unchanged" : '; the same source builds the same bytes'}.`,
    );
  }
  await rename(incoming, dest);
}
