/**
 * A catalog package whose archive is not the one the signed index names (missing, not a regular
 * file, another size or hash) is refused with a code and a hint saying what to do: rebuild what
 * holds it. `blueprint repo build` and the image build both read packages this way.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IndexEntry } from '../../src/core/pkg/index.js';
import { needsFromArchive } from '../../src/core/setup/catalog-needs.js';
import { rootsPerTest } from '../helpers/roots.js';

const t = rootsPerTest('cat-needs-err');
const entry = (file: string, size = 3): IndexEntry =>
  ({
    name: 'demo',
    version: '1.0.0',
    arch: 'all',
    path: `pool/${file}`,
    size,
    sha256: '0'.repeat(64),
  }) as IndexEntry;
const REBUILD = /blueprint repo build|build-image\.sh/;

describe('a catalog package that is not the one the index names', () => {
  it('missing: catalog-package-missing, with a hint to rebuild', async () => {
    mkdirSync(path.join(t.work, 'pool'), { recursive: true });
    await expect(needsFromArchive(t.work, entry('gone.bpkg'))).rejects.toMatchObject({
      code: 'catalog-package-missing',
      hint: expect.stringMatching(REBUILD),
    });
  });

  it('not a regular file, or another size: refused with a hint to rebuild', async () => {
    mkdirSync(path.join(t.work, 'pool'), { recursive: true });
    execFileSync('mkfifo', [path.join(t.work, 'pool/fifo.bpkg')]);
    await expect(needsFromArchive(t.work, entry('fifo.bpkg'))).rejects.toMatchObject({
      code: 'not-a-file',
      hint: expect.stringMatching(REBUILD),
    });
    writeFileSync(path.join(t.work, 'pool/short.bpkg'), 'ab');
    await expect(needsFromArchive(t.work, entry('short.bpkg'))).rejects.toMatchObject({
      code: 'catalog-mismatch',
      hint: expect.stringMatching(REBUILD),
    });
  });
});
