import { access } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError, UsageError } from '../errors.js';
import { shellWord } from '../system/shell-word.js';

// What `bpkg repo add` checks of a repository given as a folder (Repositories.add, repos.ts).

/**
 * `bpkg repo add usb /media/stick`: the folder `bpkg bundle` wrote, whose repository is a folder in
 * it (stick/main). Taken, it failed only at update ('STICK/index.json not found', 'Check the
 * repository path'). A folder (a path, or file://) with no index.json of its own but a folder in it
 * that has one is refused, naming the folder to add.
 */
export async function notBundleTop(name: string, url: string, keys: string[] | undefined): Promise<void> {
  const { repositoryBelowTop } = await import('./bundle-folder.js');
  const inner = await repositoryBelowTop(url);
  if (!inner) return;
  throw new UsageError(
    `${url} holds its repository in ${inner}, not at its top (as \`bpkg bundle\` writes it)`,
    `Add that folder: \`bpkg repo add ${shellWord(name)} ${shellWord(inner)}${(keys ?? []).map((k) => ` --key ${shellWord(k)}`).join('')}\``,
  );
}

/**
 * A repository given as a path (no scheme) must be there: `example.org/blueprint`, a host typed
 * without https://, was taken for a folder beside the working directory and failed only at update.
 */
export async function pathThere(url: string): Promise<void> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return;
  const dir = path.resolve(url);
  if (
    await access(dir).then(
      () => true,
      () => false,
    )
  )
    return;
  throw new NotFoundError(
    `${dir} does not exist`,
    // A path from / or ./ is a folder: no host was typed without its scheme.
    /^\.{0,2}\//.test(url)
      ? 'A repository given as a path is a folder that is there: check the path (is the stick mounted?).'
      : `A repository is a folder that is there (is the stick mounted?) or a URL with its scheme: https://${url}, s3://…, oci://…`,
  );
}
