import type { SearchHit } from '../core/pkg/manager.js';
import { nodeFs, repoConfigFiles } from '../core/pkg/node-lazy.js';
import { searchTables } from '../core/pkg/search-fast.js';
import { layout } from '../core/system/paths.js';

/**
 * `bpkg search WORD` from the sealed search tables `update` keeps, without opening the box's
 * package manager (zod, semver ranges, OpenPGP: most of what a search cost). Undefined when the
 * tables cannot give the whole answer; then `openBox(root).packages.search` gives it, with its
 * warnings and errors.
 */
export async function quickSearch(
  root: string,
  word: string,
  now = new Date(),
): Promise<SearchHit[] | undefined> {
  try {
    return await searchTables(layout(root), word, now);
  } catch {
    return undefined;
  }
}

/**
 * The configured repositories that have no verified index kept (never updated, or every update
 * refused), of how many: `bpkg search`'s empty answer names them rather than "run update" again.
 */
export function unindexedRepositories(root: string): { names: string[]; total: number } {
  const paths = layout(root);
  // Each repository's file is NAME.json (repo-config.ts writeRepoConfig).
  const repos = repoConfigFiles(paths.reposDir).map((f) => f.slice(0, -'.json'.length));
  const names = repos.filter((n) => !nodeFs().existsSync(`${paths.listsDir}/${n}/meta.json`));
  return { names, total: repos.length };
}
