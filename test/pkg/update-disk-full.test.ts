/**
 * `bpkg update` on a full disk said 'main: REFUSED: No space left on device while writing …' and
 * exited 4, the code of a refused signature, hash or schema: a script (or an admin) read a full disk
 * as a tampered repository. Found by engineer CRASH. Now the repository is 'not updated' and the exit
 * code is 7 (storage), as every other command's full disk; a refusal among several repositories
 * still decides 4.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PackageManager } from '../../src/core/pkg/index.js';
import { runCliHere } from '../helpers/cli-here.js';
import { signedRepo, type TestKey, tempDir } from '../helpers/pkg.js';
import { tmpfsPerFile } from '../helpers/tmpfs.js';

const mountTmpfs = tmpfsPerFile();

let key: TestKey;
let repo: string;
beforeAll(async () => {
  ({ key, repo } = await signedRepo([{ name: 'good', version: '1.0.0', summary: 'a package' }]));
}, 60_000);

describe('bpkg update on a full disk', () => {
  it('says the repository was not updated for want of space, exit 7, not a refusal (4)', async () => {
    const root = path.join(tempDir('bp-update-full-'), 'fs');
    mkdirSync(root);
    mountTmpfs(root, '256k');
    const pm = new PackageManager({ root });
    await pm.keyring.add(key.publicKey, key.fingerprint);
    await pm.repos.add('main', repo);
    // Filled to the last block: the index cannot be kept.
    try {
      writeFileSync(path.join(root, 'fill'), Buffer.alloc(1024 * 1024));
    } catch {}
    const r = await runCliHere(['--root', root, 'pkg', 'update']);
    expect(r.out + r.err).toMatch(/main: not updated: No space left on device/);
    expect(r.out + r.err).not.toMatch(/REFUSED/);
    expect(r.code).toBe(7);
    const json = await runCliHere(['--root', root, '--json', 'pkg', 'update']);
    expect(json.code).toBe(7);
    expect(JSON.parse(json.out)[0].error.code).toBe('disk-full');
  });
});
