/**
 * The folder `repo build` writes into (pool/, by-hash/, keys/, index.json and their .asc). The
 * build writes by name (the tar of each package, gpg's --output, folders made on the way), and a
 * name there that is a link is followed: whoever could put one there (by-hash/ to a folder of
 * theirs, pool/.incoming/NAME.bpkg.tmp to one of the publisher's files) chose where the publisher's
 * build writes (test/security/repo-build-links). So before anything is written the folder is judged
 * where it really is (links on the way to it resolved): it and every folder in it must be ones only
 * the publisher (or root) can change, as must the folders above it (a sticky one such as /tmp is
 * fine: others may add names there but not move ours), and nothing in it may be a link (the build
 * makes none). Then nobody else can put a link there while the build runs, and the build writes
 * under the real path judged, not the name given.
 */
import { lstat, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { VerificationError } from '../errors.js';
import { otherWriter, otherWriterOnTheWay } from '../system/folder-writers.js';
import { ensureDir } from '../system/fs.js';

function shared(folder: string, why: string): VerificationError {
  return new VerificationError(
    `${folder} is ${why}: a repository is not built in a folder another user can change`,
    'shared-folder',
    'They could put a link there and have the build write wherever it leads. Build in a folder only you can write (chmod go-w, owned by you), or into a new one.',
  );
}

/** The output folder's real path, once it and everything in it are judged safe to write in. */
export async function judgeBuildOutput(repoDir: string): Promise<string> {
  await ensureDir(repoDir);
  const root = await realpath(repoDir);
  const above = await otherWriterOnTheWay(path.dirname(root), { stickyIsFine: true, ownGroupIsFine: true });
  if (above) throw shared(above.at, above.who);
  const walk = async (dir: string): Promise<void> => {
    const who = otherWriter(await lstat(dir), { stickyIsFine: false, ownGroupIsFine: true });
    if (who) throw shared(dir, who);
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const at = path.join(dir, e.name);
      if (e.isSymbolicLink())
        throw new VerificationError(
          `${at} is a link: repo build writes nothing through a link in its output folder`,
          'link-in-repository',
          `repo build makes no links. Remove it (and check who put it there), or build into a new folder; to keep the repository on another disk, give its real path as --repo.`,
        );
      if (e.isDirectory()) await walk(at);
    }
  };
  await walk(root);
  return root;
}
