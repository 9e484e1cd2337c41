import type { SearchHit } from '../core/pkg/manager.js';
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

/** Whether any repository is configured (`bpkg search`'s empty answer on a fresh box says to add one). */
export async function hasRepository(root: string): Promise<boolean> {
  const { readRepoConfigs } = await import('../core/pkg/repo-config.js');
  return (await readRepoConfigs(layout(root))).length > 0;
}
