/**
 * The folders a secret file is judged in (setup's recovery key, writeSecretFile): one another
 * user owns, one root's but open to all, and the two a root file may go in (root's own, sticky).
 * Made as root under a fresh temporary folder (0755) that each test gets from `perTestRoot`.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { chmod, chown, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { tempRoot } from '../setup/helpers.js';
import { tempDir } from './pkg.js';

export const NOBODY = 65534;

/** A fresh 0755 folder for each test in this file; the getter reads the current test's. */
export function perTestRoot(tag: string): () => string {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  beforeEach(async () => {
    ({ root: dir, cleanup } = await tempRoot(tag));
    await chmod(dir, 0o755);
  });
  afterEach(() => cleanup());
  return () => dir;
}

/** `dir/theirs` (with this mode, and `sub` made inside it first, as root), owned by NOBODY. */
export async function theirFolder(dir: string, mode: number, sub?: string): Promise<string> {
  const theirs = path.join(dir, 'theirs');
  await mkdir(sub ? path.join(theirs, sub) : theirs, { recursive: true, mode });
  await chown(theirs, NOBODY, NOBODY);
  return theirs;
}

/** `dir/open`: root's, 0777, no sticky bit. */
export async function openFolder(dir: string): Promise<string> {
  const open = path.join(dir, 'open');
  await mkdir(open);
  await chmod(open, 0o777);
  return open;
}

/** `dir/root-only` (0700) and `dir/sticky` (01777): where a root 0600 file may be written. */
export async function safeFolders(dir: string): Promise<string[]> {
  const made: string[] = [];
  for (const [name, mode] of [
    ['root-only', 0o700],
    ['sticky', 0o1777],
  ] as const) {
    const where = path.join(dir, name);
    await mkdir(where);
    await chmod(where, mode);
    made.push(where);
  }
  return made;
}

/** What a root-only file holds in the named-path link tests (named-file-links, rag-ingest-named-links). */
export const SECRET = 'root-only: the recovery key is cbdefghi-jklnrtuv\n';

/**
 * The folders of the named-path link tests, under a fresh temporary folder (`base`): root's private one
 * (`root-only`, 0700), another user's (`theirs`: the test fills it, then chowns it to NOBODY),
 * root's own (`mine`, 0755) and one open to all with the sticky bit (`sticky`, /tmp's 01777).
 * `make` creates all but `theirs`, with `secrets` in the private one (0600, holding SECRET).
 */
export function linkFolders(tag: string) {
  const base = tempDir(tag);
  const privateDir = path.join(base, 'root-only');
  const mine = path.join(base, 'mine');
  const sticky = path.join(base, 'sticky');
  return {
    base,
    privateDir,
    theirs: path.join(base, 'theirs'),
    mine,
    sticky,
    make(secrets: string[]): void {
      mkdirSync(privateDir, { mode: 0o700 });
      for (const name of secrets) writeFileSync(path.join(privateDir, name), SECRET, { mode: 0o600 });
      mkdirSync(mine);
      chmodSync(mine, 0o755);
      mkdirSync(sticky);
      chmodSync(sticky, 0o1777);
    },
  };
}
