import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../errors.js';
import { readKeptJson } from '../system/damaged-file.js';
import { writeJsonAtomic } from '../system/fs.js';
import type { Layout } from '../system/paths.js';
import { stateFolderNames } from '../system/state-file.js';
import { parseOciUrl, parseS3Url } from './transports/urls.js';

/** A repository's configuration: one `repos.d/NAME.json` file (read and written by repos.ts). */
export interface RepoConfig {
  name: string;
  url: string;
  /**
   * Further URLs serving the same repository (any scheme). Every URL is tried at each update and
   * the newest index that verifies wins: a mirror that is down, stale or hostile is skipped.
   */
  mirrors?: string[];
  /**
   * Fingerprints of the trusted keys allowed to sign this repository (apt's Signed-By). A key
   * trusted for one repository vouches for nothing in another. Absent in configurations written
   * before keys were bound: see `RepoTrust.bindingFor`.
   */
  keys?: string[];
  /** The `repository` its index must name: given at `repo add`, else pinned at the first update. */
  repository?: string;
}

/** What `repo add` may say beyond name and URL. */
export interface RepoAddOptions {
  keys?: string[];
  /** Mirror URLs of the same repository. */
  mirrors?: string[];
  /**
   * `mirrors` is the whole list (apply's declarative repositories): none given takes the ones
   * configured off. Without it, none given keeps them (`repo add` again without --mirror).
   */
  exactMirrors?: boolean;
  repository?: string;
}

export function normalizeRepoUrl(url: string): string {
  if (/^(https?|file):\/\//.test(url)) return url.replace(/\/+$/, '');
  if (url.startsWith('oci://')) {
    parseOciUrl(url);
    return url;
  }
  if (url.startsWith('s3://')) {
    parseS3Url(url.replace(/\/+$/, ''));
    return url.replace(/\/+$/, '');
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url))
    throw new UsageError(
      `Unsupported repository URL ${url}`,
      'Use https://…, http://…, oci://…, s3://…, file:///… or a local folder path.',
    );
  return pathToFileURL(path.resolve(url)).href;
}

/** A repository's URLs: its own first, then its mirrors. */
export function urlsOf(repo: RepoConfig): string[] {
  return [repo.url, ...(repo.mirrors ?? []).filter((m) => m !== repo.url)];
}

/** Refuses a name `repo add` must not take (it names files and folders, and package origins). */
export function checkRepoNames(name: string, repository: string | undefined): void {
  // `local` and `file` are origins of packages installed from files (local-key.ts): a repository
  // so named would be where they upgrade from.
  if (name === 'local' || name === 'file')
    throw new UsageError(
      `A repository cannot be named ${name}`,
      `${name} is the origin of packages installed from files; choose another name.`,
    );
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(name))
    throw new UsageError(
      `Bad repository name ${name}`,
      'Use lower-case letters, digits, dot, dash, underscore.',
    );
  if (repository !== undefined && !/^\S.{0,99}$/.test(repository))
    throw new UsageError(
      `Bad published repository name ${JSON.stringify(repository)}`,
      'Give the name its index says (`repository`): 1 to 100 characters on one line, not starting with a space.',
    );
}

/**
 * Every configured repository, by file name; none when the folder cannot be read. Below another
 * user's tree (`status`: state-file.ts readStatesBeneath) listed through descriptors: repos.d a link
 * there (swapped in after status judged the way) is refused, named, where the folder it led to was
 * listed as the tree's (an empty one: "no repositories"; test/security/status-tree-repos).
 */
export async function readRepoConfigs(paths: Layout): Promise<RepoConfig[]> {
  const files = (
    await stateFolderNames(paths.reposDir, (dir) => readdir(dir).catch(() => [] as string[]))
  ).filter((f) => f.endsWith('.json'));
  const out: RepoConfig[] = [];
  for (const f of files.sort()) {
    const c = await readKeptJson<RepoConfig>(path.join(paths.reposDir, f));
    if (c) out.push(c);
  }
  return out;
}

/** The same URL, mirrors, keys and pinned name (keys and mirrors in any order). */
export function sameRepoConfig(a: RepoConfig, b: RepoConfig): boolean {
  const key = (c: RepoConfig) =>
    JSON.stringify([
      c.name,
      c.url,
      [...(c.mirrors ?? [])].sort(),
      [...(c.keys ?? [])].map((k) => k.toLowerCase()).sort(),
      c.repository ?? null,
    ]);
  return key(a) === key(b);
}

export function writeRepoConfig(paths: Layout, config: RepoConfig): Promise<void> {
  return writeJsonAtomic(path.join(paths.reposDir, `${config.name}.json`), config);
}
