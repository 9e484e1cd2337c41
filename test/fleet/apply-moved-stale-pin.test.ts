/**
 * KEYS2 item 3 (FLEET2 left it as intended): a box followed its repository's key rotation (bound to
 * the old key and the new one, the new one signing its index); the fleet's file still pins the old
 * key, and the repository moves to a new URL (the publisher's new server, which does not serve the
 * rotation notice again). apply replaced the repository bound to the old key alone, so the index at
 * the new URL, signed by the new key, was refused until the file's pin changed. Decided as apt
 * decides it: a source's signed-by is its keys wherever its URI points, and a move does not
 * change whom the box trusts for the repository. The handover the old key signed (followed by this
 * box for this repository) is kept on a move as it is at the same URL: the rotated key stays bound
 * beside the pin, and the box updates from the new URL. A fresh box with the old pin alone gets no
 * more than it did: the old key only (it never saw the notice).
 */
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoriesSection } from '../helpers/apply-workspace.js';
import { bpkgOk } from '../helpers/bpkg-box.js';
import { bpkg, makeKey, makeSource, run, signedRepo, tempDir } from '../helpers/pkg.js';
import { pinnedBox, rotateKey } from '../helpers/rotate-key.js';

describe('apply: a repository moved while the file still pins the rotated-from key', () => {
  it('keeps the rotated key bound at the new URL, and the box updates from it', async () => {
    const work = tempDir('bp-moved-');
    const { key: old, repo } = await signedRepo([{ name: 'app', version: '1.0.0' }]);
    const next = await makeKey(path.join(work, 'next'));
    const root = await pinnedBox('bp-moved-box-', old, { main: repo });
    const ok = bpkgOk(root);
    expect((await rotateKey(repo, old, next)).code).toBe(0);
    const build = ['repo', 'build', makeSource(path.join(work, 'src'), { name: 'app', version: '2.0.0' })];
    expect((await run([...build, '--repo', repo, '--key', next.privateFile])).code).toBe(0);
    await ok('update');

    // The publisher moves the repository; the new server has no rotation notice.
    const moved = path.join(work, 'moved');
    cpSync(repo, moved, { recursive: true });
    rmSync(path.join(moved, 'keys'), { recursive: true, force: true });
    const file = path.join(work, 'fleet.yaml');
    writeFileSync(
      file,
      ['hostname: edge-1', ...repositoriesSection('main', `file://${moved}`, old), ''].join('\n'),
    );
    const dry = await run(['--root', root, 'apply', '-f', file, '--dry-run']);
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).not.toContain(`- ${next.fingerprint.toUpperCase()}`);
    const applied = await run(['--root', root, '--json', 'apply', '-f', file]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const main = (
      JSON.parse((await bpkg(root, ['--json', 'repo', 'list'])).stdout) as {
        name: string;
        url: string;
        keys: string[];
      }[]
    ).find((r) => r.name === 'main')!;
    expect(main.url).toBe(`file://${moved}`);
    expect(main.keys.sort()).toEqual([old.fingerprint, next.fingerprint].sort());
    const up = await bpkg(root, ['--json', 'update']);
    expect(up.code, up.stdout).toBe(0);
    expect(JSON.parse(up.stdout)[0]).toMatchObject({ repo: 'main', ok: true, packages: 2 });
    expect(JSON.parse((await run(['--root', root, '--json', 'apply', '-f', file])).stdout).changed).toEqual(
      [],
    );

    // A box that never followed the notice: the old pin alone binds the old key alone, as before.
    const fresh = tempDir('bp-moved-fresh-');
    const f = await run(['--root', fresh, '--json', 'apply', '-f', file]);
    expect(f.code, f.stdout + f.stderr).toBe(0);
    const freshMain = (
      JSON.parse((await bpkg(fresh, ['--json', 'repo', 'list'])).stdout) as { name: string; keys: string[] }[]
    ).find((r) => r.name === 'main')!;
    expect(freshMain.keys).toEqual([old.fingerprint]);
  }, 60_000);
});
