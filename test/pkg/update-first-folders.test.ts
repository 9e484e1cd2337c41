/**
 * A box's first `bpkg update` makes var/lib/blueprint/pkg/lists and lists/main (ensureDir in
 * src/core/system/fs.ts): every folder it makes must be in its parent for good (the parent synced
 * after the mkdir) before the index is committed there, and each folder is synced once, not once as
 * the folder made and again as the parent of the next (10 syncs for 5 folders: issue 20, a box's
 * first update). Read from the program's own calls (test/helpers/power-cut).
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PackageManager } from '../../src/core/pkg/index.js';
import { lists, signedRepo, type TestKey, tempDir } from '../helpers/pkg.js';
import { hasStrace, traceUntil } from '../helpers/power-cut.js';

let key: TestKey;
let repo: string;
beforeAll(async () => {
  ({ key, repo } = await signedRepo([{ name: 'good', version: '1.0.0', summary: 'a package' }]));
}, 60_000);

/** The fsyncs of `dir` in these strace lines. */
const syncsOf = (lines: string[], dir: string) =>
  lines.filter((l) => new RegExp(`\\bf(?:data)?sync\\(\\d+<${dir.replace(/[.+]/g, '\\$&')}>`).test(l)).length;

describe.skipIf(!hasStrace)("a box's first update: the folders it makes", () => {
  it('are each synced into their parent before the index is kept, each folder once', async () => {
    const root = tempDir('bp-root-');
    const pm = new PackageManager({ root });
    await pm.keyring.add(key.publicKey, key.fingerprint);
    await pm.repos.add('main', repo);
    const lines = traceUntil(['--root', root, 'pkg', 'update'], lists(root, 'main/index.json'), [
      'mkdir',
      'mkdirat',
    ]);
    const made = [
      'var',
      'var/lib',
      'var/lib/blueprint',
      'var/lib/blueprint/pkg',
      lists(root),
      lists(root, 'main'),
    ].map((d) => path.resolve(root, d));
    for (const dir of made) {
      const at = lines.findIndex(
        (l) => /\bmkdir(?:at)?\(/.test(l) && l.includes(`"${dir}"`) && / = 0$/.test(l),
      );
      expect(at, `the mkdir of ${dir}`).toBeGreaterThanOrEqual(0);
      // Its parent synced after it was made: its entry is on the disk.
      expect(syncsOf(lines.slice(at + 1), path.dirname(dir)), path.dirname(dir)).toBeGreaterThan(0);
    }
    // Nothing but these folders is written in root, var, var/lib, var/lib/blueprint and pkg by the
    // update: one sync each is all their entries need.
    for (const dir of [root, ...made.slice(0, 4)])
      expect(syncsOf(lines, dir), path.relative(root, dir) || '--root').toBe(1);
  });
});
