import type { UpdateOutcome } from '../core/pkg/repos.js';
import { updateUnchanged } from '../core/pkg/update-fast.js';

export type { SearchHit } from '../core/pkg/manager.js';
export { quickSearch } from './search.js';
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
