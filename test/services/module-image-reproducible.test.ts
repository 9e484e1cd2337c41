/**
 * A module's package was never the same bytes twice (report-REPRO.md, "Module images"): podman build
 * stamped the image with the build's time, and `podman save` by the build's tag wrote that random
 * tag (NAME:VERSION.build-XXXXXX) into the archive. So `repo build` could only warn, never refuse,
 * when a released version was rebuilt with other contents. The image is now built with
 * `--timestamp SOURCE_DATE_EPOCH` (else 0) and saved by its ID: the same module folder gives the
 * same package SHA-256. Its ID is then the one any build or box of the same contents has on the
 * engine: the build's removal of its own image leaves an image the engine held before, tagged or not
 * (a box's load before its own tag is put on), where it only takes off its own tag.
 * Real Podman; each test's module copy carries a label of its own, so no other box's image is the same.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildRepository } from '../../src/core/pkg/build.js';
import { createBuildHooks } from '../../src/core/services/hooks.js';
import { buildModuleImage } from '../../src/core/services/images.js';
import { makeKey, tempDir } from '../helpers/pkg.js';
import { helloCopy } from './helpers.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const podman = (...args: string[]) => execFileSync('podman', args, { encoding: 'utf8' }).trim();
/** The engine's images (tagged or not) with this test's mark: its own only. */
const marked = (mark: string) =>
  podman('images', '--all', '--quiet', '--no-trunc', '--filter', `label=bp.test.repro=${mark}`)
    .split('\n')
    .filter(Boolean);

let mark = '';
afterEach(() => {
  const left = mark ? marked(mark) : [];
  if (left.length) execFileSync('podman', ['rmi', '--force', ...left], { stdio: 'ignore' });
});

/** A copy of modules/hello named `bpt-repro-MARK`, its image labelled with the mark. */
function markedHello(): { src: string; name: string } {
  mark = randomBytes(6).toString('hex');
  const name = `bpt-repro-${mark}`;
  const src = path.join(tempDir('bp-repro-image-'), name);
  helloCopy(src, { name, label: `bp.test.repro=${mark}` });
  return { src, name };
}

describe('a module package built twice into one repository', () => {
  it('the same module folder, its files touched between: the same package SHA-256, not refused', async () => {
    const { src, name } = markedHello();
    const key = await makeKey(tempDir('bp-repro-key-'));
    const repoDir = path.join(tempDir('bp-repro-repo-'), 'repo');
    const build = () =>
      buildRepository({
        sources: [src],
        repoDir,
        signer: { keyFile: key.privateFile },
        hooks: createBuildHooks(),
      });
    const one = (await build()).packages[0]!;
    expect(one.name).toBe(name);
    const manifest = JSON.parse(
      execFileSync('tar', ['-xzOf', path.join(repoDir, one.path), 'manifest.json'], { encoding: 'utf8' }),
    );
    expect(manifest.service.image.id).toMatch(/^sha256:/);
    for (const f of ['Containerfile', 'hello.c', 'manifest.json'])
      utimesSync(path.join(src, f), new Date(2030, 1, 1), new Date(2030, 1, 1));
    await new Promise((r) => setTimeout(r, 1100)); // another second for anything stamped with the time
    // Into the same repository: the version already published, the same bytes (refused if other).
    const two = (await build()).packages[0]!;
    expect(two.sha256).toBe(one.sha256);
    expect(sha(path.join(repoDir, two.path))).toBe(one.sha256);
    expect(marked(mark)).toEqual([]); // the publisher's engine keeps nothing of either build
  }, 180_000);
});

describe('a build whose image the engine already holds', () => {
  it('leaves that image in place, tagged or not, and takes off only its own tag', async () => {
    const { src } = markedHello();
    const out = tempDir('bp-repro-out-');
    const first = path.join(out, 'one.tar');
    const id = await buildModuleImage(src, `localhost/bp-repro-test/${mark}:1.build-a`, first);
    expect(marked(mark)).toEqual([]);
    // The archive names no tag (saved by ID): its bytes are the image's alone.
    expect(execFileSync('tar', ['-xOf', first, 'manifest.json'], { encoding: 'utf8' })).not.toMatch(
      /bp-repro-test/,
    );

    // The same image loaded untagged, as a box's install holds it until it puts its own tag on.
    podman('load', '-q', '-i', first);
    expect(marked(mark)).toEqual([id]);
    const second = path.join(out, 'two.tar');
    expect(await buildModuleImage(src, `localhost/bp-repro-test/${mark}:1.build-b`, second)).toBe(id);
    expect(marked(mark)).toEqual([id]);
    expect(podman('image', 'inspect', '--format', '{{json .RepoTags}}', id)).toBe('[]');
    expect(sha(second)).toBe(sha(first));

    // Now a box's own tag on it.
    const boxTag = `localhost/bp-repro-test/${mark}:1.0.0.box-0123456789ab`;
    podman('tag', id, boxTag);
    await buildModuleImage(src, `localhost/bp-repro-test/${mark}:1.build-c`, path.join(out, 'three.tar'));
    expect(marked(mark)).toEqual([id]);
    expect(JSON.parse(podman('image', 'inspect', '--format', '{{json .RepoTags}}', id))).toEqual([boxTag]);
  }, 180_000);
});
