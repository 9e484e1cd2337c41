/**
 * KEYS2 item 6: apply -f and the catalog ask ModuleOps.repositories() once a plan (and apply once a
 * repository change) for the key that signed each repository's accepted index (95522de0: a pin that
 * signs it retires the others). It read every repository's kept index for that, parsed whole: 5
 * repositories of 10,000 packages took a dry run from 0.30 to 0.44 s of CPU. The signer is in the
 * repository's meta.json, written with the index at `update`; now that alone is read. Shown here by
 * a kept index that cannot be read any more: its signer is still known (it was lost with it: the
 * states() read threw, and every repository's signer with it).
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { moduleOpsFor } from '../helpers/box.js';
import { bpkg, lists, signedRepo, tempDir } from '../helpers/pkg.js';

describe('apply: the signer of each repository', () => {
  it('is read from what update recorded, not by parsing the kept index', async () => {
    const { key, repo } = await signedRepo([{ name: 'app', version: '1.0.0' }]);
    const { repo: other } = await signedRepo([{ name: 'tool', version: '1.0.0' }], key);
    const root = tempDir('bp-signers-');
    const ok = async (...args: string[]) => expect((await bpkg(root, args)).code).toBe(0);
    await ok('key', 'add', key.publicFile, '--fingerprint', key.fingerprint);
    await ok('repo', 'add', 'main', `file://${repo}`, '--key', key.fingerprint);
    await ok('repo', 'add', 'other', `file://${other}`, '--key', key.fingerprint);
    await ok('update');
    const signers = async () =>
      Object.fromEntries((await (await moduleOpsFor(root)).repositories()).map((r) => [r.name, r.signer]));
    expect(await signers()).toEqual({ main: key.fingerprint, other: key.fingerprint });

    // main's kept index (and every cache of it) made unreadable: nothing but meta.json is left.
    for (const f of readdirSync(lists(root, 'main')))
      if (f !== 'meta.json') rmSync(lists(root, 'main', f), { recursive: true, force: true });
    writeFileSync(lists(root, 'main', 'index.json'), '{ damaged');
    expect(await signers()).toEqual({ main: key.fingerprint, other: key.fingerprint });
  });
});
