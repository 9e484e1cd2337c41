/**
 * Which folders a repository may be published from (publish-remote.ts). Whoever else can change a
 * folder in it decides what goes up under the names publishing reads: renaming the publisher's
 * private key (unreadable to them) to `index.json.asc`, or writing an index that names it, needs no
 * race and no link. So the repository's folder and every folder in it must be ones only the
 * publisher (or root) can change, and the folders above it too, where a sticky one (/tmp) is fine:
 * others may add names there, but not move the publisher's.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { VerificationError } from '../errors.js';
import { otherWriter, otherWriterOnTheWay } from '../system/folder-writers.js';

function shared(folder: string, why: string): VerificationError {
  return new VerificationError(
    `${folder} is ${why}: a repository is not published from a folder another user can change`,
    'shared-folder',
    'They could put any file (one of yours they cannot read, such as a private key) at a name that is uploaded. Copy the repository to a folder only you can write (chmod go-w), or rebuild it there, and publish from that.',
  );
}

/** Judges folders once each: `root` (a real path, links resolved) and what lies on the way. */
export class PublishFolders {
  private readonly judged = new Set<string>();
  constructor(private readonly root: string) {}

  /** The repository's folder itself, and every folder above it. */
  async start(): Promise<void> {
    // The folders above: a sticky one (/tmp) is fine, others cannot move ours out of it.
    const above = await otherWriterOnTheWay(path.dirname(this.root), {
      stickyIsFine: true,
      ownGroupIsFine: true,
    });
    if (above) throw shared(above.at, above.who);
    await this.folder(this.root);
  }

  /** Every folder from the root down to `real` (a file's real path, inside the root). */
  async beneath(real: string): Promise<void> {
    const rel = path.relative(this.root, path.dirname(real));
    let at = this.root;
    for (const seg of rel ? rel.split(path.sep) : []) {
      at = path.join(at, seg);
      await this.folder(at);
    }
  }

  private async folder(at: string): Promise<void> {
    if (this.judged.has(at)) return;
    const why = otherWriter(await stat(at), { stickyIsFine: false, ownGroupIsFine: true });
    if (why) throw shared(at, why);
    this.judged.add(at);
  }
}
