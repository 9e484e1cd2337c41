/**
 * The search table's rows by name and its `printable` flag (src/core/pkg/index-cache.ts
 * writeSearchTable), which let the quick search answer without sorting its hits and `bpkg search`
 * print them without a check of each cell (search-fast.ts, cli/commands/pkg-quick.ts): the same
 * answers as the package manager, with an older table (the index's order, no flags) too, and an
 * escape in what the table does not hold (an installed version) still escaped.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { quickSearch } from '../../src/app/search.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { writeSealed } from '../../src/core/pkg/sealed-write.js';
import { layout } from '../../src/core/system/paths.js';
import { hitJson } from '../../src/present/pkg-json.js';
import { bpkg, buildRepo, makeKey, makeSource, type TestKey, tempDir, trustingRoot } from '../helpers/pkg.js';

let key: TestKey;
let ascii: string;
let accents: string;
let dups: string;
beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
  const base = tempDir();
  ascii = path.join(base, 'ascii');
  accents = path.join(base, 'accents');
  const src = path.join(base, 'src');
  // Not in name order, names sharing prefixes (code-unit order: `ab` < `ab-c` < `ab0` < `b`).
  await buildRepo(ascii, key, [
    makeSource(src, { name: 'b', version: '1.0.0', summary: 'bee vision' }),
    makeSource(src, { name: 'ab0', version: '2.0.0', summary: 'vision zero' }),
    makeSource(src, { name: 'ab-c', version: '1.1.0', summary: 'vision dash' }),
    makeSource(src, { name: 'ab', version: '0.3.0', summary: 'plain ab, no v-word' }),
    makeSource(src, { name: 'a9', version: '0.0.1', summary: 'nine Vision' }),
  ]);
  await buildRepo(accents, key, [
    makeSource(path.join(base, 'src2'), { name: 'zz', version: '1.0.0', summary: 'vision über alles' }),
    makeSource(path.join(base, 'src2'), { name: 'aa', version: '1.0.0', summary: 'plain vision' }),
  ]);
  // One name at several versions in one index: adjacent rows of a table by name, the newest wins
  // (1.10.0 over 1.9.0 by semver, not by text), and one row whose summary lacks the word.
  dups = path.join(base, 'dups');
  const src3 = path.join(base, 'src3');
  await buildRepo(dups, key, [
    makeSource(src3, { name: 'dup', version: '1.9.0', summary: 'vision nine' }),
    makeSource(src3, { name: 'dup', version: '1.10.0', summary: 'vision ten' }),
    makeSource(src3, { name: 'dup', version: '1.2.0', summary: 'vision two' }),
    makeSource(src3, { name: 'dup', version: '2.0.0', summary: 'no word here' }),
    makeSource(src3, { name: 'dup-b', version: '0.1.0', summary: 'vision b' }),
    makeSource(src3, { name: 'ca', version: '1.0.0', summary: 'vision ca' }),
  ]);
});

const tableFile = (root: string) => path.join(root, 'var/lib/blueprint/pkg/lists/main/search.tsv');
/** The table's header (JSON) and rows. */
function tableOf(root: string): { head: Record<string, unknown>; rows: string[] } {
  const [, head, ...rows] = readFileSync(tableFile(root), 'utf8').split('\n');
  return { head: JSON.parse(head!), rows: rows.filter((r) => r !== '') };
}

describe('search table rows by name, and the printable flag', () => {
  it('writes the rows by code unit with its flags; search answers as the package manager, in order', async () => {
    const root = await trustingRoot(key, ascii);
    const { head, rows } = tableOf(root);
    expect(rows.map((r) => r.split('\t')[0])).toEqual(['a9', 'ab', 'ab-c', 'ab0', 'b']);
    expect(head).toMatchObject({ sorted: true, printable: true, plain: true });
    const pm = new PackageManager({ root });
    for (const word of ['vision', 'VISION', 'ab', '', 'b', '0.'])
      expect(await quickSearch(root, word), word).toEqual(await pm.search(word));
    const hits = await quickSearch(root, 'vision');
    expect(hits?.map((h) => h.name)).toEqual(['a9', 'ab-c', 'ab0', 'b']);
    expect((hits as { printable?: true }).printable).toBe(true);
    // `--json` prints the hits alone (the mark is not an element), each with the fields every pkg
    // list has (d19da41: `repository` beside `repo`; docs/pkg-json.md).
    const r = await bpkg(root, ['--json', 'search', 'vision']);
    expect(JSON.parse(r.stdout)).toEqual(hits?.map(hitJson));
  });

  it('flags a table with a character beyond ASCII as not printable: its hits are checked and escaped as before', async () => {
    const root = await trustingRoot(key, accents);
    expect(tableOf(root).head).toMatchObject({ sorted: true, printable: false });
    const hits = await quickSearch(root, 'vision');
    expect(hits).toEqual(await new PackageManager({ root }).search('vision'));
    expect((hits as { printable?: true }).printable).toBeUndefined();
  });

  it('an older table (the index order, no flags) still answers, sorted as before', async () => {
    const root = await trustingRoot(key, ascii);
    const { head, rows } = tableOf(root);
    const older = `${JSON.stringify({ signer: head.signer, sha256: head.sha256, expires: head.expires })}\n${[...rows].reverse().join('\n')}\n`;
    await writeSealed(layout(root), 'main', 'search.tsv', Buffer.from(older), 'search-table');
    const pm = new PackageManager({ root });
    for (const word of ['vision', 'ab', ''])
      expect(await quickSearch(root, word), word).toEqual(await pm.search(word));
    expect((await quickSearch(root, 'vision'))?.map((h) => h.name)).toEqual(['a9', 'ab-c', 'ab0', 'b']);
  });

  it('one name at several versions in one table: the newest of the hits, as the package manager answers', async () => {
    const root = await trustingRoot(key, dups);
    // The rows of one name are adjacent, in the index's order.
    expect(tableOf(root).rows.map((r) => r.split('\t')[0])).toEqual([
      'ca',
      'dup',
      'dup',
      'dup',
      'dup',
      'dup-b',
    ]);
    const pm = new PackageManager({ root });
    for (const word of ['vision', 'dup', 'word', 'TEN', ''])
      expect(await quickSearch(root, word), word).toEqual(await pm.search(word));
    expect((await quickSearch(root, 'vision'))?.map((h) => `${h.name} ${h.version}`)).toEqual([
      'ca 1.0.0',
      'dup 1.10.0',
      'dup-b 0.1.0',
    ]);
  });

  it('names the table does not flag plain are sorted as the package manager sorts them (localeCompare)', async () => {
    const root = await trustingRoot(key, ascii);
    const { head } = tableOf(root);
    // A table this box sealed, by code unit, whose names are not all plain (no index can hold
    // such names: the flag is what the quick search goes by, so it is made here by hand).
    const rows = ['Zeta\t1.0.0\tvision Z', 'alpha\t1.0.0\tvision a', 'beta\t1.0.0\tvision b'];
    for (const plain of [false, undefined]) {
      const flags = { sorted: true, printable: true, ...(plain === undefined ? {} : { plain }) };
      const text = `${JSON.stringify({ signer: head.signer, sha256: head.sha256, expires: head.expires, ...flags })}\n${rows.join('\n')}\n`;
      await writeSealed(layout(root), 'main', 'search.tsv', Buffer.from(text), 'search-table');
      expect(
        (await quickSearch(root, 'vision'))?.map((h) => h.name),
        String(plain),
      ).toEqual(['alpha', 'beta', 'Zeta']);
    }
  });

  it('an installed version that is no version (an escape in it): no quick answer, the package manager names the database', async () => {
    const root = await trustingRoot(key, ascii);
    const db = layout(root).installedDb;
    writeFileSync(
      db,
      JSON.stringify({ format: 1, txid: 't', packages: { b: { name: 'b', version: '1.0.0\x1b[31m' } } }),
    );
    // Not a version's folder name (db.ts entriesNamed, test/security/installed-db-names): the
    // package manager's read says installed.json is damaged, so the escape is never shown.
    expect(await quickSearch(root, 'vision')).toBeUndefined();
  });

  it('a flag changed in the table breaks its seal: no quick answer', async () => {
    const root = await trustingRoot(key, accents);
    const text = readFileSync(tableFile(root), 'utf8');
    writeFileSync(tableFile(root), text.replace('"printable":false', '"printable":true'));
    expect(readFileSync(tableFile(root), 'utf8')).not.toBe(text);
    expect(await quickSearch(root, 'vision')).toBeUndefined();
  });
});
