/**
 * The folders a secret file is judged in (setup's recovery key, writeSecretFile): one another
 * user owns, one root's but open to all, and the two a root file may go in (root's own, sticky).
 * Made as root under a fresh temporary folder (0755) that each test gets from `perTestRoot`.
 */
import { chmod, chown, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { tempRoot } from '../setup/helpers.js';

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
