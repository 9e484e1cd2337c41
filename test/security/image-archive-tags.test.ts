import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { untaggedArchive } from '../../src/core/services/image-archive.js';
import { loadImageArchive } from '../../src/core/services/images.js';
import { imageTagged } from '../helpers/test-images.js';
import {
  buildHello,
  type HelloBuild,
  makeBox,
  ownImageTag,
  podman,
  type TestBox,
  uniqueName,
} from '../services/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * A module's image archive is loaded into the box's one engine, the admin's own included. The
 * engine loads an archive whole: every image in it, under every tag it names. blueprint starts
 * containers by image ID, so what this threatens is the admin's tags (a `debian:latest` the admin
 * runs next would be the publisher's image) and the storage (any number of images ride along).
 * An archive holding more than the one image the signed manifest names is refused before anything
 * is loaded; the tags an archive names are never applied: the image gets the module's own tag.
 */

/** A tiny image of its own (podman import of a one-file rootfs), tagged `tag`; its ID. */
function tinyImage(tag: string, content: string): string {
  const dir = tempDir('bp-tag-src-');
  writeFileSync(path.join(dir, 'f'), content);
  execFileSync('tar', ['-cf', path.join(dir, 'r.tar'), '-C', dir, 'f']);
  imageTagged(tag);
  return execFileSync('podman', ['import', '-q', path.join(dir, 'r.tar'), tag], { encoding: 'utf8' }).trim();
}

const idOf = (ref: string) =>
  podman('image', 'inspect', '--format', '{{.Id}}', ref).then(
    (s) => `sha256:${s.trim().replace(/^sha256:/, '')}`,
    () => undefined,
  );

/** The hello build saved again, with `refs` (its own image under other tags, other images). */
function archiveOf(build: HelloBuild, format: 'docker-archive' | 'oci-archive', refs: string[]): HelloBuild {
  const archive = path.join(tempDir('bp-tag-build-'), 'image.tar');
  execFileSync('podman', [
    'save',
    '-q',
    ...(refs.length > 1 ? ['-m'] : []),
    '--format',
    format,
    '-o',
    archive,
    ...refs,
  ]);
  return { ...build, archive };
}

let hello: HelloBuild;
const boxes: TestBox[] = [];
beforeAll(async () => {
  hello = await buildHello();
}, 120_000);
afterAll(async () => {
  for (const b of boxes) await b.cleanup();
});

describe('a module image archive cannot load extra images or move tags', () => {
  for (const format of ['docker-archive', 'oci-archive'] as const)
    it(`the admin's tag named in the archive (${format}) still points where it did`, async () => {
      const adminTag = `localhost/bp-admin-${uniqueName('tag')}:latest`;
      imageTagged(adminTag);
      await podman('load', '-q', '-i', hello.archive);
      await podman('tag', hello.id, adminTag);
      const evil = archiveOf(hello, format, [adminTag]);
      await podman('untag', hello.id, adminTag);
      const admins = tinyImage(adminTag, `the admin's ${adminTag}`);
      const box = await makeBox(evil);
      boxes.push(box);
      const name = uniqueName('bpt-tags');
      await box.install(name);
      expect(await idOf(adminTag)).toBe(admins);
      // The image is kept under the module's own tag instead (an untagged one would be pruned).
      expect(await idOf(ownImageTag(name, '1.0.0', box.root))).toBe(hello.id);
    }, 120_000);

  it('an archive holding a second image is refused, and the second image is not loaded', async () => {
    const extraTag = `localhost/bp-extra-${uniqueName('img')}:1`;
    const extra = tinyImage(extraTag, 'riding along');
    await podman('load', '-q', '-i', hello.archive);
    const helloTag = (await podman('image', 'inspect', '--format', '{{index .RepoTags 0}}', hello.id)).trim();
    const evil = archiveOf(hello, 'docker-archive', [helloTag, extraTag]);
    await podman('rmi', extraTag);
    expect(await idOf(extra)).toBeUndefined();
    const box = await makeBox(evil);
    boxes.push(box);
    await expect(box.install(uniqueName('bpt-extra'))).rejects.toMatchObject({
      code: 'image-archive-images',
      hint: expect.stringMatching(/\S/),
    });
    expect(await idOf(extra)).toBeUndefined();
  }, 120_000);
});

describe("a refused image archive leaves the engine's images alone", () => {
  for (const format of ['docker-archive', 'oci-archive'] as const)
    it(`an archive (${format}) holding an image the admin has, under another signed ID, does not remove it`, async () => {
      const adminTag = `localhost/bp-admin-${uniqueName('keep')}:latest`;
      const admins = tinyImage(adminTag, `the admin's ${adminTag}`);
      // The refusal used to remove whatever the archive loaded: here, the admin's own image.
      const evil = archiveOf(hello, format, [adminTag]);
      const box = await makeBox(evil);
      boxes.push(box);
      await expect(box.install(uniqueName('bpt-keep'))).rejects.toMatchObject({
        code: 'image-digest-mismatch',
      });
      expect(await idOf(adminTag)).toBe(admins);
    }, 120_000);
});

describe('removing a module leaves an image the admin has tagged', () => {
  it('a module whose image is one the admin has (a public one) does not take it away when removed', async () => {
    const adminTag = `localhost/bp-admin-${uniqueName('same')}:latest`;
    const admins = tinyImage(adminTag, `the admin's ${adminTag}`);
    const same = { ...archiveOf(hello, 'docker-archive', [adminTag]), id: admins };
    same.manifest = {
      ...hello.manifest,
      service: { ...hello.manifest.service, image: { archive: 'image.tar', id: admins } },
    };
    const box = await makeBox(same);
    const name = uniqueName('bpt-same');
    await box.install(name);
    const own = ownImageTag(name, '1.0.0', box.root); // the box's identity's: named while it exists
    expect(await idOf(own)).toBe(admins);
    await box.cleanup();
    expect(await idOf(adminTag)).toBe(admins);
    expect(await idOf(own)).toBeUndefined();
  }, 120_000);
});

describe('the archive is read once, as the engine will read it', () => {
  const hooked = async (archive: string) => {
    const fh = await open(archive);
    try {
      return await untaggedArchive(fh, hello.id);
    } finally {
      await fh.close();
    }
  };

  it('refuses an archive that names manifest.json twice (the engine would take the first)', async () => {
    const dir = tempDir('bp-tag-dup-');
    const archive = path.join(dir, 'image.tar');
    execFileSync('cp', [hello.archive, archive]);
    writeFileSync(path.join(dir, 'manifest.json'), '[]');
    execFileSync('tar', ['-rf', archive, '-C', dir, 'manifest.json']);
    await expect(hooked(archive)).rejects.toMatchObject({
      code: 'image-archive-format',
      message: expect.stringContaining('manifest.json twice'),
    });
  });

  it('a FIFO where the archive should be is refused at once, not waited on', async () => {
    const fifo = path.join(tempDir('bp-tag-fifo-'), 'image.tar');
    execFileSync('mkfifo', [fifo]);
    await expect(loadImageArchive({} as never, fifo, hello.id)).rejects.toMatchObject({
      code: 'image-archive-format',
    });
  }, 5_000);

  it('refuses an archive that is both a docker-archive and an OCI archive', async () => {
    const dir = tempDir('bp-tag-both-');
    const archive = path.join(dir, 'image.tar');
    execFileSync('cp', [hello.archive, archive]);
    writeFileSync(path.join(dir, 'index.json'), '{"schemaVersion":2,"manifests":[]}');
    execFileSync('tar', ['-rf', archive, '-C', dir, 'index.json']);
    await expect(hooked(archive)).rejects.toMatchObject({ code: 'image-archive-format' });
  });
});
