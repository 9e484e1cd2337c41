/**
 * An older search table put back (issue 20). The table (lists/NAME/search.tsv, index-cache.ts) is
 * sealed with the box's key, so one the box wrote for an earlier index still matches its seal: the
 * seal alone says "this box made it", not "this is the index kept now". The quick search
 * (search-fast.ts, in the executable's start part and in the plain bundle) must decline it as it
 * declines a changed table, and the package manager's search then answers from the verified index
 * and writes the table again. The sealed head the update writes names the kept index's SHA-256
 * and signer; the table's header carries them too.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { quickUpdate } from '../../src/app/pkg-quick.js';
import { quickSearch } from '../../src/app/search.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { updateBox } from '../../src/core/pkg/update.js';
import {
  bpkg,
  lists,
  publishSources,
  repoRoot,
  serveCopy,
  signedRepo,
  type TestKey,
  tempDir,
  trustingRoot,
} from '../helpers/pkg.js';

let key: TestKey;
let repo: string;
beforeAll(async () => {
  ({ key, repo } = await signedRepo([
    { name: 'withdrawn', version: '1.0.0', summary: 'vision tool with a known hole' },
    { name: 'keeper', version: '1.0.0', summary: 'vision keeper, old summary' },
  ]));
});

const tableFile = (root: string) => lists(root, 'main', 'search.tsv');

/**
 * A box updated from `repo`, then from the publisher's next signed index (`withdrawn` removed,
 * `keeper` 1.0.0 -> 1.1.0, `newcomer` added): the table of the first index, and that of the second.
 */
async function updatedTwice(): Promise<{ root: string; old: Buffer; fresh: Buffer }> {
  const root = await trustingRoot(key, repo);
  const old = readFileSync(tableFile(root));
  expect(await quickSearch(root, 'vision')).toEqual(await new PackageManager({ root }).search('vision'));
  const served = serveCopy(root, repo);
  rmSync(path.join(served, 'pool/withdrawn'), { recursive: true });
  rmSync(path.join(served, 'pool/keeper'), { recursive: true });
  await publishSources(served, key, [
    { name: 'keeper', version: '1.1.0', summary: 'vision keeper, new summary' },
    { name: 'newcomer', version: '0.1.0', summary: 'vision newcomer' },
  ]);
  expect((await new PackageManager({ root }).update())[0]).toMatchObject({
    ok: true,
    changed: true,
    version: 2,
  });
  const fresh = readFileSync(tableFile(root));
  expect(fresh).not.toEqual(old);
  return { root, old, fresh };
}

/** What the kept (second) index answers for "vision". */
const NOW = [
  ['keeper', '1.1.0', 'vision keeper, new summary'],
  ['newcomer', '0.1.0', 'vision newcomer'],
];
const rows = (hits: { name: string; version: string; summary: string }[] | undefined) =>
  hits?.map((h) => [h.name, h.version, h.summary]);

describe('an older search table put back', () => {
  it('is declined by the quick search; the package manager answers from the verified index and writes the table again', async () => {
    const { root, old, fresh } = await updatedTwice();
    expect(rows(await quickSearch(root, 'vision'))).toEqual(NOW);
    writeFileSync(tableFile(root), old);
    expect(await quickSearch(root, 'vision')).toBeUndefined();
    expect(rows(await new PackageManager({ root }).search('vision'))).toEqual(NOW);
    // Written again from the verified index by that search: the quick search answers again.
    expect(readFileSync(tableFile(root))).toEqual(fresh);
    expect(rows(await quickSearch(root, 'vision'))).toEqual(NOW);
  });

  it("is written again by the package manager's update of the same index; the quick update leaves it to search", async () => {
    const { root, old, fresh } = await updatedTwice();
    writeFileSync(tableFile(root), old);
    expect((await updateBox(root))[0]).toMatchObject({ ok: true, changed: false, version: 2 });
    expect(readFileSync(tableFile(root))).toEqual(fresh);
    writeFileSync(tableFile(root), old);
    expect(await quickUpdate(root)).toEqual([
      { repo: 'main', ok: true, changed: false, version: 2, packages: 2 },
    ]);
    expect(await quickSearch(root, 'vision')).toBeUndefined();
  });

  it('`bpkg search` shows none of its rows, in the built executable and in the plain bundle under node', async () => {
    const { root, old, fresh } = await updatedTwice();
    const bundle = path.join(repoRoot, 'dist/bundle/blueprint.mjs');
    const runs: [string, () => Promise<{ stdout: string; stderr: string }>][] = [
      ['dist/blueprint', () => bpkg(root, ['--json', 'search', 'vision'])],
      [
        'dist/bundle/blueprint.mjs',
        () =>
          promisify(execFile)(
            process.execPath,
            [bundle, '--root', root, '--json', 'pkg', 'search', 'vision'],
            {
              env: { PATH: '/usr/bin:/bin', HOME: tempDir() },
            },
          ),
      ],
    ];
    for (const [what, search] of runs) {
      writeFileSync(tableFile(root), old);
      const r = await search();
      expect(rows(JSON.parse(r.stdout)), `${what}: ${r.stderr}`).toEqual(NOW);
      // Declined and written again (the package manager's search), not answered from the old one.
      expect(readFileSync(tableFile(root)), what).toEqual(fresh);
      // And with the current table in place, the quick path answers the same.
      expect(rows(JSON.parse((await search()).stdout)), what).toEqual(NOW);
    }
  });
});
