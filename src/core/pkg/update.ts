import path from 'node:path';
import { NotFoundError } from '../errors.js';
import { ensureDir } from '../system/fs.js';
import { type Layout, layout } from '../system/paths.js';
import { Keyring } from './keyring.js';
import { LocalKey } from './local-key.js';
import { Repositories, type UpdateOutcome } from './repos.js';
import { checkRoot } from './update-fast.js';

/**
 * `bpkg update`: every repository's index fetched and verified (repos.ts). Shared by the package
 * manager and by `updateBox`, which runs it without the package manager's other modules (the
 * installer, the transactions, the services hooks, zod: ~40 ms of loading for an update).
 */
export async function updateAll(
  paths: Layout,
  repos: Repositories,
  signal?: AbortSignal,
): Promise<UpdateOutcome[]> {
  const list = await repos.list();
  if (list.length === 0)
    throw new NotFoundError(
      'No repositories configured',
      'Add one (`bpkg repo add NAME URL --key FPR`, its key trusted first with `bpkg key add FILE --fingerprint FPR`), then run `bpkg update`.',
    );
  // Made now, inside the judged root: the keyring cache is only ever written into an existing
  // lists folder (keyring-cache.ts), so a first update keeps the keys it judged.
  await ensureDir(paths.listsDir).catch(() => {});
  const out: UpdateOutcome[] = [];
  for (const r of list) out.push(await repos.updateOne(r, signal));
  return out;
}

export { checkRoot };

/** The box's trusted keys as the package manager holds them: its own local key left out, the cache kept. */
export function boxKeyring(paths: Layout, localKey: LocalKey, now: () => Date): Keyring {
  return new Keyring(paths.keysDir, () => localKey.fingerprint(), {
    paths,
    localKeyFile: path.join(localKey.dir, 'public.asc'),
    now,
  });
}

/** `bpkg update` on the box at `root`, as PackageManager.update does it. */
export async function updateBox(root: string, signal?: AbortSignal): Promise<UpdateOutcome[]> {
  const paths = layout(root);
  const now = () => new Date();
  checkRoot(paths);
  return updateAll(paths, new Repositories(paths, boxKeyring(paths, new LocalKey(paths), now), now), signal);
}
