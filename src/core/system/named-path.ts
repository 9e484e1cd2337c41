/**
 * The real path of a path an admin named, with the project's rule for links: never follow a link
 * in a folder another user can change. Used where root reads a file or folder named on its command
 * line: `rag ingest` (walk.ts), and every read of a named file through read-bounded.ts (`model
 * import`, `bpkg install ./x.bpkg` and its `.asc`, `system update FILE`, `setup --answers`, `apply
 * -f` and the key files they name, `bpkg key add FILE`). Loaded only by those (not by `service
 * start`: node:fs/promises).
 */
import { lstat, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { VerificationError } from '../errors.js';
import { otherWriter, otherWriterOnTheWay } from './folder-writers.js';
import { shellWord } from './shell-word.js';

/** Links resolved on the way to one path, at most (the kernel's own bound). */
const MAX_LINKS = 40;

/**
 * The real path of a path the admin named, its links resolved one by one as the kernel resolves
 * them: a link is followed only where it sits in a folder no one but root (or we) can change (not
 * a sticky one: /tmp's links are anyone's; not a shared group's), for only root (or we) can have
 * put it there. A link in a folder another user owns or may write is theirs, and could lead root's
 * read anywhere (a key, /root's notes, sent to a service every client of it can ask): refused as
 * `unsafe-link`. The path returned has no link in it as it was seen; one swapped in later is
 * caught where the file or folder is opened (readFound's descriptor path, walk's realpath check).
 * Errors of the lookup (ENOENT, EACCES, ELOOP) are thrown as they are.
 */
export async function namedRealPath(given: string): Promise<string> {
  const parts = path.resolve(given).split(path.sep).filter(Boolean);
  let at: string = path.sep;
  let links = 0;
  while (parts.length) {
    const name = parts.shift()!;
    if (name === '.') continue;
    // Only after a link's text: `at` has no link in it, so its parent is the real one.
    if (name === '..') {
      at = path.dirname(at);
      continue;
    }
    const next = path.join(at, name);
    const st = await lstat(next);
    if (!st.isSymbolicLink()) {
      at = next;
      continue;
    }
    if (++links > MAX_LINKS)
      throw Object.assign(new Error(`ELOOP: too many symbolic links encountered, ${given}`), {
        code: 'ELOOP',
      });
    const who = otherWriter(await stat(at), { stickyIsFine: false, ownGroupIsFine: false });
    if (who) {
      // The path is the folder owner's (a stick's file name): one shell word in the command to paste.
      throw new VerificationError(
        `${next === path.resolve(given) ? `${given} is` : `${given} leads through ${next},`} a link in a folder another user can change (${who}); it was not followed`,
        'unsafe-link',
        `Check where it leads (\`realpath ${shellWord(next)}\`); if that is the file meant, name it directly. Links are followed only in folders no one but root (or you) can change.`,
      );
    }
    const text = await readlink(next);
    if (path.isAbsolute(text)) at = path.sep;
    parts.unshift(...text.split(path.sep).filter(Boolean));
  }
  return at;
}

/**
 * Whether someone else could swap a folder on the way to `real` (a path namedRealPath gave) for a
 * link before it is opened: a folder on the way another user owns or may write (a sticky one only
 * for what is theirs in it, and that is theirs to change anyway). Where one can, the opened file
 * must be checked to be at `real` (read-bounded.ts: the descriptor's path).
 */
export async function othersCanSwap(real: string): Promise<boolean> {
  return (
    (await otherWriterOnTheWay(path.dirname(real), { stickyIsFine: true, ownGroupIsFine: false })) !==
    undefined
  );
}
