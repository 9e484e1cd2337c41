import type { UpdateOutcome } from '../core/pkg/repos.js';
import { updateUnchanged } from '../core/pkg/update-fast.js';

export type { SearchHit } from '../core/pkg/manager.js';
export { quickSearch, unindexedRepositories } from './search.js';
export type { UpdateOutcome };

/**
 * `bpkg update` when every repository serves the index the box already keeps, without opening the
 * box's package manager (src/core/pkg/update-fast.ts). Undefined when that path cannot give the
 * whole answer, or fails in any way: then `openBox(root).packages.update()` gives it, with its
 * errors. Nothing but the meta.json files of an unchanged update is written here.
 */
export async function quickUpdate(
  root: string,
  now = () => new Date(),
): Promise<UpdateOutcome[] | undefined> {
  try {
    return await updateUnchanged(root, now);
  } catch {
    return undefined;
  }
}

/**
 * `bpkg update` when the quick path declines (a box's first update, a new index, anything
 * quickUpdate leaves): the package manager's own update, updateBox, which is what
 * `openBox(root).packages.update()` runs, called without loading the pkg command's modules and the
 * box's (the CLI's lazy part): ~15-20 ms of a first update's CPU (issue 20). Its errors are the
 * package manager's own.
 */
export async function fullUpdate(root: string, signal?: AbortSignal): Promise<UpdateOutcome[]> {
  return (await import('../core/pkg/update.js')).updateBox(root, signal);
}
