/**
 * Engineer E's finding (issue 20): a symlink at a repository's folder of kept index files
 * (ROOT/var/lib/blueprint/pkg/lists/NAME) leading out of the root carried `bpkg update`'s writes to
 * wherever it points: the quick path wrote meta.json through it, the package manager's update the
 * index, its signature, the sealed head, cache and table. lists/NAME is no managed folder of its own,
 * so the root check did not see it. Each path must leave the folder it points to untouched: the
 * quick path declines and the package manager refuses with the root links' typed error and hint.
 */
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { quickUpdate } from '../../src/app/pkg-quick.js';
import { BlueprintError } from '../../src/core/errors.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { updateBox } from '../../src/core/pkg/update.js';
import {
  blueprintExe,
  bpkg,
  filesSnapshot,
  lists,
  signedRepo,
  type TestKey,
  tempDir,
  trustingRoot,
} from '../helpers/pkg.js';

let key: TestKey;
let repo: string;
beforeAll(async () => {
  ({ key, repo } = await signedRepo([{ name: 'good', version: '1.0.0', summary: 'kept summary' }]));
});

/**
 * An updated box whose lists/main is made a link to a victim folder outside the root. `copy`: the
 * victim holds the box's own kept files (so the quick path would find its index unchanged and write
 * meta.json there); otherwise it is empty (the package manager would write everything there).
 */
async function linkedBox(copy: boolean): Promise<{ root: string; victim: string }> {
  const root = await trustingRoot(key, repo);
  const victim = path.join(tempDir('bp-victim-'), 'victim');
  if (copy) cpSync(lists(root, 'main'), victim, { recursive: true });
  else mkdirSync(victim);
  rmSync(lists(root, 'main'), { recursive: true });
  symlinkSync(victim, lists(root, 'main'));
  return { root, victim };
}

async function refused(p: Promise<unknown>): Promise<BlueprintError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the update should have been refused').toBeInstanceOf(BlueprintError);
  expect((err as BlueprintError).code).toBe('link-outside-root');
  expect((err as BlueprintError).hint).toMatch(/real folder/);
  return err as BlueprintError;
}

describe('a link at lists/NAME out of the root carries no update write (issue 20)', () => {
  for (const copy of [true, false])
    it(`lists/main -> a folder outside ${copy ? 'holding the kept files' : 'that is empty'}: the quick update declines, the package manager refuses, the folder untouched`, async () => {
      const { root, victim } = await linkedBox(copy);
      const before = filesSnapshot(victim);
      // A minute on, so that a meta.json written anew would differ in its `fetched` time.
      const later = new Date(Date.now() + 60_000);
      expect(await quickUpdate(root, () => later)).toBeUndefined();
      expect(filesSnapshot(victim)).toEqual(before);
      await refused(updateBox(root));
      expect(filesSnapshot(victim)).toEqual(before);
      await refused(new PackageManager({ root }).update());
      expect(filesSnapshot(victim)).toEqual(before);
      expect(existsSync(path.join(victim, 'meta.json'))).toBe(copy);
    });

  it('a link at lists/NAME that stays inside the root is still followed (as every root link is)', async () => {
    const root = await trustingRoot(key, repo);
    const inside = path.join(root, 'var/lib/blueprint/pkg/main-lists');
    cpSync(lists(root, 'main'), inside, { recursive: true });
    rmSync(lists(root, 'main'), { recursive: true });
    symlinkSync(inside, lists(root, 'main'));
    expect(await quickUpdate(root)).toMatchObject([{ repo: 'main', ok: true, changed: false }]);
    expect((await updateBox(root))[0]).toMatchObject({ ok: true, changed: false });
  });

  it("the package manager's search writes no sealed cache or table through it (it writes them when missing)", async () => {
    const { root, victim } = await linkedBox(true);
    rmSync(path.join(victim, 'verified.json'));
    rmSync(path.join(victim, 'search.tsv'));
    const before = filesSnapshot(victim);
    // Answered or refused: either way nothing is written where the link leads.
    await new PackageManager({ root }).search('kept').catch(() => undefined);
    expect(filesSnapshot(victim)).toEqual(before);
  });

  it.skipIf(!existsSync(blueprintExe))(
    '`bpkg update` through the executable: refused with the hint, exit not 0, nothing written outside',
    async () => {
      const { root, victim } = await linkedBox(true);
      const before = filesSnapshot(victim);
      const r = await bpkg(root, ['update']);
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(/outside/);
      expect(r.stderr).toMatch(/real folder/);
      expect(filesSnapshot(victim)).toEqual(before);
    },
  );
});
