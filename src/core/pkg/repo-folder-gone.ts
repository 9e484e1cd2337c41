import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { NotFoundError } from '../errors.js';
import type { RepoConfig } from './repo-config.js';

/**
 * A folder repository whose index was not found: the transport's hint ("Check the repository
 * path.") named no path and no way on. Now the folder is named, whether it is there at all (a stick
 * not mounted) or holds no index, and the commands for a repository moved or gone for good
 * (there is no set-url: `repo add` refuses another URL for a name configured).
 */
export async function folderGoneHint(repo: RepoConfig, err: unknown): Promise<unknown> {
  if (!(err instanceof NotFoundError) || err.code !== 'not-found-remote' || !repo.url.startsWith('file:'))
    return err;
  const dir = fileURLToPath(repo.url);
  const there = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  const keys = repo.keys?.length ? repo.keys.map((k) => `--key ${k}`).join(' ') : '--key FPR';
  const ways = `Moved: \`bpkg repo remove ${repo.name}\`, then \`bpkg repo add ${repo.name} NEW-PATH ${keys}\`. Gone for good: \`bpkg repo remove ${repo.name}\`.`;
  return new NotFoundError(
    err.message,
    there
      ? `The folder ${dir} is there but holds no repository index: is it the right folder (\`bpkg repo list\` shows each one's)? ${ways}`
      : `The folder ${dir} is not there (a stick or disk not mounted?): mount what holds it, then \`bpkg update\` again. ${ways}`,
    'not-found-remote',
  );
}
