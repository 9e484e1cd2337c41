/**
 * A module image build that fails part-way (a COPY of a file that is not there: a recipe built
 * from its folder, a typo) left the image Podman had committed for each step before it, untagged:
 * 186 such 1 kB images (`ARG BLUEPRINT_ARCH`) were found on this machine's engine after a day of
 * builds (QA8's walk), each publisher's failed `repo build` one more, never removed (no tag names
 * them; `podman image prune` would take a box's own). podman build now commits no intermediate
 * image (--layers=false: --no-cache already made them useless as a cache), so a failed build
 * leaves nothing. Real Podman.
 */

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildModuleImage } from '../../src/core/services/images.js';
import { tempDir } from '../helpers/pkg.js';

/** The images, tagged or not, that carry this test's own label (every step after its LABEL does). */
const imagesMarked = (mark: string): string[] =>
  execFileSync('podman', ['images', '--all', '--quiet', '--filter', `label=bp.test.mark=${mark}`], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);

describe('a module image build that fails part-way', () => {
  let mark = '';
  // What a failing run of this test left is removed: this test's own images only.
  afterEach(() => {
    const left = mark ? imagesMarked(mark) : [];
    if (left.length) execFileSync('podman', ['rmi', '--force', ...left], { stdio: 'ignore' });
  });

  it('leaves no image behind, tagged or not', async () => {
    mark = `PROBE_${randomBytes(6).toString('hex').toUpperCase()}`;
    const src = path.join(tempDir('bp-failed-build-'), 'mod');
    mkdirSync(src);
    writeFileSync(
      path.join(src, 'Containerfile'),
      `FROM scratch\nLABEL bp.test.mark=${mark}\nARG BLUEPRINT_ARCH\nENV ${mark}=1\nCOPY not-there /not-there\n`,
    );
    const archive = path.join(src, 'image.tar');
    await expect(
      buildModuleImage(src, `localhost/bp-failed-build:${mark.toLowerCase()}`, archive),
    ).rejects.toThrow(/podman build/);
    expect(imagesMarked(mark)).toEqual([]);
  });
});
