/**
 * Signatures stored by hash (by-hash/SHA256/HEX.asc: repo build for a folder, repo publish for a
 * bucket) are there for a reader that gets a signed file and a `.asc` of different versions: the
 * new index with the old .asc (a copy or publish stopped between the two: the current index's,
 * always kept) or an older index with the new .asc (a cache or a copy still serving an older
 * index.json: that index's). One was added every build and publish and none removed. Kept now: the
 * current index's and key rotation notice's, the newest `versions`, and every one younger than
 * `ms`; older ones are removed. Ten versions and a day: a CDN or proxy caches index.json for
 * minutes to hours (its max-age), and an rsync of a big pool for hours, across at most a few
 * builds; a repository rebuilt every few minutes by CI still keeps a day's. Exported to be changed
 * by tests (test/security/by-hash-prune).
 */

import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';

export const byHashKeep = { versions: 10, ms: 86_400_000 };

/** A stored signature: `hex` (the signed file's SHA-256) and when it was stored (ms since 1970). */
export interface ByHashEntry {
  hex: string;
  stored: number;
}

/**
 * Which of `entries` to remove: none in `current` (kept whatever their age: a bucket's publish
 * stores the rotation notice's again each time); of the others, newest first, those past the
 * byHashKeep.versions - 1 that with the current index make the last `versions` index versions, and
 * older than byHashKeep.ms.
 */
export function staleByHash(entries: ByHashEntry[], current: Set<string>, now = Date.now()): string[] {
  const newestFirst = entries
    .filter((e) => !current.has(e.hex))
    .sort((a, b) => b.stored - a.stored || (a.hex < b.hex ? 1 : -1));
  return newestFirst
    .filter((e, i) => i >= byHashKeep.versions - 1 && now - e.stored > byHashKeep.ms)
    .map((e) => e.hex);
}

export const BY_HASH_NAME = /^([0-9a-f]{64})\.asc$/;

/** The SHA-256 of the repository's signed files now (index.json, keys/rotation.json if any). */
export async function currentSigned(repoDir: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const rel of ['index.json', 'keys/rotation.json']) {
    const bytes = await readFile(path.join(repoDir, rel)).catch(() => undefined);
    if (bytes) out.add(createHash('sha256').update(bytes).digest('hex'));
  }
  return out;
}

/**
 * Removes a built folder's stale signatures by hash. `repoDir` is the real path repo build judged
 * (build-output.ts: only the publisher can change it), and only regular files named HEX.asc go.
 */
export async function pruneByHashFolder(repoDir: string): Promise<void> {
  const dir = path.join(repoDir, 'by-hash', 'SHA256');
  const entries: ByHashEntry[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const hex = BY_HASH_NAME.exec(name)?.[1];
    const st = hex ? await lstat(path.join(dir, name)) : undefined;
    if (hex && st?.isFile()) entries.push({ hex, stored: st.mtimeMs });
  }
  for (const hex of staleByHash(entries, await currentSigned(repoDir)))
    await unlink(path.join(dir, `${hex}.asc`));
}
