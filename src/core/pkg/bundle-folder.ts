import { opendir } from 'node:fs/promises';
import path from 'node:path';
import { exists } from '../system/fs.js';

/**
 * The repository folder in `dir` as `bpkg bundle` writes one (OUT/REPO, holding a signed
 * index.json): `dir` itself when it holds an index.json, else the first of its folders (by name;
 * its first 10,000 entries looked at: a stick's folder may hold millions) that does, else
 * undefined. For the errors of a bundle given where a package file or a repository's top was meant.
 */
export async function bundledRepository(dir: string): Promise<string | undefined> {
  const isRepo = (d: string) => exists(path.join(d, 'index.json'));
  if (await isRepo(dir)) return dir;
  const subs: string[] = [];
  try {
    for await (const d of await opendir(dir)) {
      if (d.isDirectory()) subs.push(d.name);
      if (subs.length >= 10_000) break;
    }
  } catch {
    return undefined;
  }
  for (const name of subs.sort()) if (await isRepo(path.join(dir, name))) return path.join(dir, name);
  return undefined;
}
