import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleChild, closed, type HoldingMirror, holdingMirror } from '../helpers/holding-mirror.js';
import { NOBODY } from '../helpers/owned-folders.js';
import { APP_WITH_LIB, bpkg, signedRepo, tempDir, trustingRoot } from '../helpers/pkg.js';

/**
 * `bpkg bundle NAMES --out DIR` removes what it made when it does not finish (2f2e3fa: Ctrl-C, a
 * refused package): each repository folder it made in DIR. It removed them by path
 * (rm(DIR/REPO, recursive)) and wrote into them by path too. DIR is often another user's (a stick
 * mounted with its owner's files, a folder in /tmp): its owner, who may rename it and put a link
 * at its name while the bundle runs, had root's clean-up delete REPO, recursively, in any folder
 * of the box (the box's own var/lib/blueprint/lists/REPO, say). The bundle now holds DIR open once
 * it is judged (its links resolved only where root put them) and makes, writes and removes
 * everything through that descriptor: a swap of the name afterwards changes nothing. The
 * executable as bpkg, as root; the folder's owner is uid 65534, played by the test.
 */
const asRoot = process.getuid?.() === 0;
let mirror: HoldingMirror | undefined;
afterAll(() => mirror?.close());

describe.skipIf(!asRoot)('bpkg bundle into another user’s folder', () => {
  it("a Ctrl-C after the folder's owner swapped it for a link removes nothing outside it", async () => {
    const { key, repo } = await signedRepo(APP_WITH_LIB);
    // The second package file asked for: held, and the test told (the owner swaps then).
    mirror = await holdingMirror(repo);
    const { url } = mirror;
    const root = await trustingRoot(key, url);

    // The stick: its owner's top folder, and the empty folder in it given as --out.
    const theirs = path.join(tempDir('bp-bundle-links-'), 'stick');
    mkdirSync(theirs);
    const out = path.join(theirs, 'bundle');
    mkdirSync(out);
    chownSync(theirs, NOBODY, NOBODY);
    chownSync(out, NOBODY, NOBODY);
    // Root's folder elsewhere that holds a folder named as the repository: what must survive.
    const victim = tempDir('bp-bundle-victim-');
    mkdirSync(path.join(victim, 'main'));
    writeFileSync(path.join(victim, 'main', 'index.json'), 'the box’s own\n');

    const child = bundleChild(root, ['app', '--out', out]);
    mirror.onHeld = () => {
      // The owner: the folder the bundle writes into moved aside, a link to root's in its place.
      renameSync(out, `${out}-aside`);
      symlinkSync(victim, out);
      child.kill('SIGINT');
    };
    expect(await closed(child), child.err()).toBe(130);
    expect(mirror.asked).toBe(2);
    expect(
      existsSync(path.join(victim, 'main', 'index.json')),
      'root’s folder was deleted through the link',
    ).toBe(true);
    expect(readdirSync(victim)).toEqual(['main']);
    // What the bundle made is gone from where it made it (the folder moved aside).
    expect(readdirSync(`${out}-aside`)).toEqual([]);
  });

  it("--out that is a link in another user's folder is refused, nothing written where it leads", async () => {
    const { key, repo } = await signedRepo(APP_WITH_LIB);
    const root = await trustingRoot(key, repo);
    const theirs = path.join(tempDir('bp-bundle-links-'), 'stick');
    mkdirSync(theirs);
    // Root's empty folder elsewhere, and the owner's link to it given as --out.
    const victim = tempDir('bp-bundle-victim-');
    const out = path.join(theirs, 'bundle');
    symlinkSync(victim, out);
    chownSync(theirs, NOBODY, NOBODY);
    const r = await bpkg(root, ['bundle', 'app', '--out', out]);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toContain('a link in a folder another user can change');
    expect(readdirSync(victim)).toEqual([]);
  });
});
