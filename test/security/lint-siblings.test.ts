import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintModule } from '../../src/core/modules/lint.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * `blueprint module lint DIR` (and `repo build`, which lints first) reads the manifest.json of
 * every folder next to DIR, to know which modules a `uses` entry may name. Next to a module in a
 * shared folder (/tmp/mymod) those folders are anyone's: a FIFO there named manifest.json held
 * lint (and the build) for good, and a link to /dev/zero read without end. Sibling manifests are
 * now read as untrusted files: no FIFO waited on, no link followed, at most 1 MiB.
 */

const settled = <T>(p: Promise<T>, ms = 8000): Promise<T | Error | 'still waiting'> =>
  Promise.race([
    p.catch((err: Error) => err),
    new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), ms).unref()),
  ]);

function catalog() {
  const shared = tempDir('bp-lint-shared-');
  const mine = path.join(shared, 'mymod');
  cpSync(new URL('../../modules/hello', import.meta.url).pathname, mine, { recursive: true });
  // A sibling that is a real module: its name still counts for `uses`.
  mkdirSync(path.join(shared, 'vectors'));
  writeFileSync(path.join(shared, 'vectors/manifest.json'), JSON.stringify({ name: 'vectors' }));
  return { shared, mine };
}

/** The module names another in `uses`: lint then looks at the folders next to it. */
function usesVectors(mine: string, uses = ['vectors']) {
  const manifest = path.join(mine, 'manifest.json');
  const m = JSON.parse(readFileSync(manifest, 'utf8'));
  writeFileSync(manifest, JSON.stringify({ ...m, uses }));
}

describe('module lint reads the manifests next to the module as untrusted files', () => {
  it('a FIFO named manifest.json in a sibling folder does not hold it', async () => {
    const { shared, mine } = catalog();
    mkdirSync(path.join(shared, 'evil'));
    execFileSync('mkfifo', [path.join(shared, 'evil/manifest.json')]);
    usesVectors(mine);
    const r = await settled(lintModule(mine));
    expect(r).not.toBe('still waiting');
    expect(r).toMatchObject({ name: 'hello' });
  });

  it('links named manifest.json are not followed (to /dev/zero, to a manifest elsewhere)', async () => {
    const { shared, mine } = catalog();
    mkdirSync(path.join(shared, 'zero'));
    symlinkSync('/dev/zero', path.join(shared, 'zero/manifest.json'));
    const elsewhere = path.join(tempDir('bp-lint-elsewhere-'), 'manifest.json');
    writeFileSync(elsewhere, JSON.stringify({ name: 'linked' }));
    mkdirSync(path.join(shared, 'linked'));
    symlinkSync(elsewhere, path.join(shared, 'linked/manifest.json'));
    usesVectors(mine, ['vectors', 'linked']);
    const r = await settled(lintModule(mine));
    expect(r).not.toBe('still waiting');
    // vectors (a real file next to it) counts; linked (reached through a link) does not.
    expect(
      (r as { errors: { field: string; message: string }[] }).errors.filter((e) =>
        e.field.startsWith('uses'),
      ),
    ).toEqual([
      expect.objectContaining({
        field: 'uses[1]',
        message: expect.stringMatching(/^linked is not a module known here/),
      }),
    ]);
  });
});
