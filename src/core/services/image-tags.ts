import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NotFoundError } from '../errors.js';
import { liteCrypto } from '../pkg/crypto-lite.js';
import { realPathOfExistingSync } from '../system/fs.js';
import { layout } from '../system/paths.js';
import { shellWord } from '../system/shell-word.js';
import type { Engine } from './engine.js';
import { ensureDirSync } from './fs-cb.js';
import { BOX_LABEL } from './policy.js';
import { boxIdentity } from './sandbox-plan.js';

/**
 * The tags that keep a module's image in the engine, one a box. Podman removes an image with its
 * last tag (and only once no container uses it), so a box's removal takes its own tag off and the
 * image goes with the last box's. Boxes share one engine (a root copied with `cp -a`, moved with
 * `mv`, made again at a deleted one's path), so a tag must be one box's and no other's.
 */

export interface ImageTag {
  repo: string;
  tag: string;
}

const repoOf = (name: string) => `localhost/blueprint-build/${name}`;
const versionPart = (version: string, max: number) => version.replace(/[^\w.-]/g, '_').slice(0, max);
const hex12 = (text: string) =>
  liteCrypto().createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 12);

/**
 * A box's own tag of a module's image: `localhost/blueprint-build/NAME:VERSION.box-` and 12 hex
 * digits of the SHA-256 of the box's identity (sandbox-plan.ts boxIdentity: its root folder's
 * device, inode and birth time, as its containers' box label). A copy (`cp -a`) or a box made again
 * at a deleted one's path is another box, with a tag of its own, and its removal leaves the
 * original's (test/services/copied-root-image); a box moved with `mv` keeps its tag, so its removal
 * finds it, and a box made later at its old path does not take it (test/services/moved-root-image).
 * What no box can take is left: the tag of a box deleted with its root (a box at its path cannot
 * tell it from one moved away), and the old tag of a box moved to another file system or whose
 * device number changed (it is another box then: its next start gives the image a new own tag).
 */
export const moduleImageTag = (name: string, version: string, root: string): ImageTag => ({
  repo: repoOf(name),
  tag: `${versionPart(version, 108)}.box-${hex12(`identity ${identityOf(root)}`)}`,
});

/** boxIdentity, or for a root that is gone (deleted under a removal) a name no box's tag has. */
function identityOf(root: string): string {
  try {
    return boxIdentity(root);
  } catch {
    return `gone ${path.resolve(root)}`;
  }
}

/**
 * The tags a box's image may have from installs made before the own tag was the identity's: the
 * name and version alone (before ff845f5, one for every box on the engine) and ff845f5's, the hash
 * of the box root's real path (another box's where this one was moved or made at its path). Either
 * may hold another box's image, which that box has not started, so no removal takes them; a box's
 * start gives its image its own tag (tagImageAtStart), and a removal that leaves an image held by
 * them alone says so, with the command (sharedTagsLeft).
 */
export const legacyModuleImageTag = (name: string, version: string): ImageTag => ({
  repo: repoOf(name),
  tag: versionPart(version, 128),
});

/**
 * The tag `repo build` gives the image it builds (on the publisher's engine, until saved): this
 * build's own. NAME:VERSION, as it was, is legacyModuleImageTag: the build moved it off the image a
 * box installed before holds by it, and removed it with the build's image, leaving that box's
 * untagged (test/cli/terminate-build-image). An install loads the archive without the tags it names.
 */
export const buildImageTag = (name: string, version: string): string =>
  `${repoOf(name)}:${versionPart(version, 108)}.build-${process.getBuiltinModule('node:crypto').randomBytes(6).toString('hex')}`;

export const pathImageTag = (name: string, version: string, root: string): ImageTag => ({
  repo: repoOf(name),
  tag: `${versionPart(version, 108)}.box-${hex12(realPathOfExistingSync(root) ?? path.resolve(root))}`,
});

const hexOf = (id: string) => id.replace(/^sha256:/, '');

/**
 * Takes a tag off its image (before the image itself is removed, or left for another box or module
 * that has the same one). Whether the image had it (Podman answers 'tag not known' otherwise).
 */
export async function untagModuleImage(engine: Engine, id: string, own: ImageTag): Promise<boolean> {
  return engine.libpod('POST', `/images/${hexOf(id)}/untag?${new URLSearchParams({ ...own })}`).then(
    () => true,
    () => false,
  );
}

/**
 * Where the box notes that it gave an image its own tag: one file a tag, named by it, so that a
 * start costs a stat. A copy carries the original's notes, under the original's tag, not its own.
 */
const tagsDir = (root: string) => path.join(layout(root).stateDir, 'services', '.image-tags');
const noteOf = (root: string, name: string, own: ImageTag) => path.join(tagsDir(root), `${name}@${own.tag}`);

/**
 * Notes that the box gave the image its own tag: at its install (`install`: the image came with the
 * own tag, no tag an older install made is this box's), or at a start (`start`: the image had come
 * under another tag, which may still hold it). Notes made before this said which hold nothing.
 */
export function noteImageTagged(root: string, name: string, own: ImageTag, when: 'install' | 'start'): void {
  ensureDirSync(tagsDir(root), 0o700);
  writeFileSync(noteOf(root, name, own), when);
}

/** Whether the note says the install gave the image its own tag (so no older tag of this box's holds it). */
const taggedAtInstall = (note: string): boolean => {
  try {
    return readFileSync(note, 'utf8') === 'install';
  } catch {
    return false;
  }
};

/** Forgets the notes of `name` `version`: this box's own and any a copy brought along. */
export function forgetImageTagged(root: string, name: string, version: string): void {
  const prefix = `${name}@${versionPart(version, 108)}.box-`;
  let names: string[] = [];
  try {
    names = readdirSync(tagsDir(root));
  } catch {}
  for (const f of names) if (f.startsWith(prefix)) rmSync(path.join(tagsDir(root), f), { force: true });
}

/**
 * At a start, the image gets this box's own tag unless the box noted it has it: a box installed
 * before the tags were its identity's (its image held by a tag other boxes may share), a copy, a box
 * moved to another file system. From then on its removal takes its own tag, and only that.
 */
export async function tagImageAtStart(
  engine: Engine,
  root: string,
  name: string,
  version: string,
  id: string,
) {
  const own = moduleImageTag(name, version, root);
  if (existsSync(noteOf(root, name, own))) return;
  await engine
    .libpod('POST', `/images/${hexOf(id)}/tag?${new URLSearchParams({ ...own })}`)
    .catch(async (err) => {
      if (!(err instanceof NotFoundError)) throw err;
      throw (await import('./image-missing.js')).imageMissing(name, id);
    });
  noteImageTagged(root, name, own, 'start');
}

/**
 * After a removal took this box's own tag: the tags that still hold the image when they are only
 * the shared ones (legacyModuleImageTag, this box's ff845f5 tag), which no removal takes; nothing
 * when it is gone or another box's tag holds it as well.
 */
export async function sharedTagsLeft(
  engine: Engine,
  root: string,
  name: string,
  version: string,
  id: string,
): Promise<string[]> {
  const info = await engine
    .libpod<{ RepoTags?: string[] | null }>('GET', `/images/${hexOf(id)}/json`)
    .catch(() => undefined);
  const tags = info?.RepoTags ?? [];
  const shared = olderTags(name, version, root);
  return tags.length > 0 && tags.every((t) => shared.includes(t)) ? tags : [];
}

/** The tags installs made before a box's tag was its own (legacy, ff845f5's path tag), as podman names them. */
const olderTags = (name: string, version: string, root: string): string[] =>
  [legacyModuleImageTag(name, version), pathImageTag(name, version, root)].map((t) => `${t.repo}:${t.tag}`);

/**
 * The commands that remove a removed module's image once the engine runs again (its removal could
 * not reach it): this box's container of that image, stopped or not (the engine refuses to remove an
 * image a container uses, and the container is the removed version's: its files are gone), then
 * this box's own tag, and with it the image unless another tag holds it. No other box's container
 * (the box label) or tag is named, and no `--force` removes what another uses. A box that never
 * gave the image its own tag (installed before, not started since: no note) has it under the legacy
 * tag or (installed between ff845f5 and f91a406) under the path's tag, which other boxes may share:
 * `shared` names them, to be taken only if no other box uses them.
 * A box that gave it its own tag at a start (not at its install) may have it under the tags older
 * installs made as well (legacy, path), which the engine down cannot tell: `alsoShared` is the
 * command that takes them, to run only if no other box uses them. Each piece is one shell word: a
 * gone root's path is in the box label, and anyone may have named that folder.
 */
export function removeWhenBack(
  root: string,
  name: string,
  version: string,
  id: string,
): { remove: string; shared?: string; alsoShared?: { tags: string[]; remove: string } } {
  const own = moduleImageTag(name, version, root);
  const note = noteOf(root, name, own);
  const noted = existsSync(note);
  const older = olderTags(name, version, root);
  // Without a note the image is under one of the older installs' tags, and which one the engine
  // down cannot tell: both are named, and `--ignore` lets the one that is not there pass.
  const takeOlder = `podman rmi --ignore ${older.map(shellWord).join(' ')}`;
  const untag = noted ? `podman rmi ${shellWord(`${own.repo}:${own.tag}`)}` : takeOlder;
  const remove = [
    'podman rm -f',
    `--filter ${shellWord(`name=^blueprint-${name}$`)}`,
    `--filter ${shellWord(`label=${BOX_LABEL}=${identityOf(root)}`)}`,
    `--filter ${shellWord(`ancestor=${hexOf(id)}`)} && ${untag}`,
  ].join(' ');
  if (!noted) return { remove, shared: older.join(' or ') };
  if (taggedAtInstall(note)) return { remove };
  return { remove, alsoShared: { tags: older, remove: takeOlder } };
}
