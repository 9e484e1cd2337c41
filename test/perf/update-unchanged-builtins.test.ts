/**
 * An update that finds the index unchanged (the quick path, src/core/pkg/update-fast.ts) loads no
 * node:fs/promises (issue 20): Node's fs.promises brings 14 internal modules with it (readline's
 * interface, the REPL's history, the folder watchers), 1.5-2.4 ms of CPU a start, and the quick
 * update asked for it only to list its lists folder for a killed writer's temporary files (that
 * sweep is still made: test/pkg/update-staged.test.ts). Observed from inside the executable: a
 * preload writes at exit whether Node loaded it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { PackageManager } from '../../src/core/pkg/index.js';
import { bpkg, signedRepo, type TestKey, tempDir } from '../helpers/pkg.js';
import { atExit, preloadFile, preloading, probed } from './probe.js';

const PROBE = atExit(`{ fsPromises: process.moduleLoadList.includes('NativeModule internal/fs/promises') }`);

let key: TestKey;
let repo: string;
beforeAll(async () => {
  ({ key, repo } = await signedRepo([{ name: 'good', version: '1.0.0', summary: 'a package' }]));
}, 60_000);

const probedOf = (stderr: string) => probed<{ fsPromises: boolean }>(stderr);

describe('an update that finds the index unchanged', () => {
  it('answers without loading node:fs/promises', async () => {
    const root = tempDir('bp-root-');
    const pm = new PackageManager({ root });
    await pm.keyring.add(key.publicKey, key.fingerprint);
    await pm.repos.add('main', repo);
    const env = preloading(preloadFile(PROBE));
    const first = await bpkg(root, ['update'], env);
    expect(first.code, first.stderr).toBe(0);
    // The probe sees what it should: a first update writes through fs.promises.
    expect(probedOf(first.stderr)).toEqual({ fsPromises: true });
    const again = await bpkg(root, ['update'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('main: unchanged at version 1 (1 package)\n');
    expect(probedOf(again.stderr)).toEqual({ fsPromises: false });
  }, 60_000);
});
