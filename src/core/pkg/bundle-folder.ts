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

/**
 * The repository folder a level down when `url` (a folder's path, or file://) names the top of what
 * `bpkg bundle` wrote (`/media/stick`, whose repository is stick/main), not a repository itself;
 * undefined for anything else, another scheme or a file: URL that names no path included.
 */
export async function repositoryBelowTop(url: string): Promise<string | undefined> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme && scheme !== 'file') return undefined;
  const { fileURLToPath } = await import('node:url');
  let dir: string;
  try {
    dir = scheme ? fileURLToPath(url) : path.resolve(url);
  } catch {
    return undefined; // its own error comes where it is used
  }
  const inner = await bundledRepository(dir);
  return inner && inner !== dir ? inner : undefined;
}
