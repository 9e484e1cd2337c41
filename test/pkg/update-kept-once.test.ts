/**
 * A box's first `bpkg update` keeps three sealed files beside the index it accepted: the verified
 * cache (the index's bytes, 2.6 MB for 10,000 packages), the search table and the head that binds
 * them (index-cache.ts). They are made in memory while the index's commit runs (renames and folder
 * syncs on the thread pool), then each written in one call, not in pieces handed to the thread
 * pool (issue 20: ~20 hand-offs, each waiting for the thread busy with the next). What must hold,
 * read from the program's own system calls: nothing of them is renamed before index.json is, the
 * head comes last (it names the cache's seal: a crash between leaves an old head that names no
 * file there, and the kept index is verified again), and no temporary file is left.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { signFile } from '../../src/core/pkg/build.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { scanIndex } from '../../src/core/pkg/index-scan.js';
import { bpkg, GOOD, lists, makeKey, publishSources, type TestKey, tempDir } from '../helpers/pkg.js';
import { hasStrace, traceUntil } from '../helpers/power-cut.js';

let key: TestKey;
beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
}, 60_000);

describe("a first update's kept files", () => {
  // As publishSources writes it (parsed: index-fast.ts), and as `repo build` does (index-scan.ts).
  it.skipIf(!hasStrace).each(['parsed', 'scanned'])(
    'cache, table and head each written in one call after index.json is renamed, the head last (%s)',
    async (shape) => {
      const repo = path.join(tempDir(), 'repo');
      // Three packages: the cache is the served bytes between two short strings (three parts).
      await publishSources(repo, key, [
        GOOD,
        { ...GOOD, name: 'other', summary: 'another summary' },
        { ...GOOD, name: 'third' },
      ]);
      if (shape === 'scanned') {
        const file = path.join(repo, 'index.json');
        writeFileSync(file, JSON.stringify(JSON.parse(readFileSync(file, 'utf8'))));
        await signFile(file, { keyFile: key.privateFile });
      }
      expect(scanIndex(readFileSync(path.join(repo, 'index.json'))) !== undefined).toBe(shape === 'scanned');
      const pm = new PackageManager({ root: tempDir('bp-root-') });
      await pm.keyring.add(key.publicKey, key.fingerprint);
      await pm.repos.add('main', repo);
      const root = pm.paths.root;
      const dir = lists(root, 'main');
      const lines = traceUntil(['--root', root, 'pkg', 'update'], path.join(dir, 'meta.json'), [
        'openat',
        'write',
        'writev',
        'pwrite64',
      ]);
      const renameOnto = (f: string) =>
        lines.findIndex((l) => /\brename/.test(l) && l.includes(`"${path.join(dir, f)}"`));
      const index = renameOnto('index.json');
      const order = ['verified.json', 'search.tsv', 'head.json'].map(renameOnto);
      expect(index).toBeGreaterThan(0);
      expect(order[0]).toBeGreaterThan(index);
      expect(order[1]).toBeGreaterThan(order[0]!);
      expect(order[2]).toBeGreaterThan(order[1]!);
      for (const f of ['verified.json', 'search.tsv', 'head.json']) {
        const tmp = new RegExp(`rename\\("(${path.join(dir, `.${f}.`).replace(/[.+]/g, '\\$&')}[^"]+)"`).exec(
          lines[renameOnto(f)]!,
        )?.[1];
        expect(tmp, f).toBeTruthy();
        // Calls that write to the temporary file (strace -y names each descriptor by its path).
        const writes = lines.filter((l) => /\b(?:p?write(?:v|64)?)\(\d+</.test(l) && l.includes(`<${tmp}>`));
        expect(writes.length, `${f}: ${writes.join('\n')}`).toBe(1);
      }
      // What the update kept answers as before.
      const r = await bpkg(root, ['--json', 'search', 'summary']);
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { name: string }[]).map((h) => h.name).sort()).toEqual(
        ['good', 'other', 'third'].sort(),
      );
      expect(existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.tmp')) : []).toEqual([]);
    },
  );
});
