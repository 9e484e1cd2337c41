/**
 * QA20's fleet walk: after a key rotation the fleet's description named the new key, and apply
 * said the box matched it while the box went on accepting the old key for the repository (both
 * bound): a declarative file did not converge. Now, once the pinned key signs the repository (the
 * box's accepted index is signed by it), apply binds the repository to exactly that key, says what
 * it takes off (`keys: - OLD`), and stops trusting the old key unless another repository of the box
 * is bound to it. A box whose file still pins the old key keeps the rotation (nothing taken off).
 * And a box set up later from the old pin trusted the new key through the notice while apply
 * installed, but apply's `changed` listed the pinned key alone: now the rotated key is listed.
 */
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoriesSection } from '../helpers/apply-workspace.js';
import { bpkg, makeKey, makeSource, run, signedRepo, tempDir } from '../helpers/pkg.js';
import { pinnedBox, rotateKey } from '../helpers/rotate-key.js';

type Change = { action: string; kind: string; target: string; detail?: string };

describe('apply after a key rotation', () => {
  it('retires the old key of the repository once the new one signs it, and says when it follows one', async () => {
    const work = tempDir('bp-keyretire-');
    const { key: old, repo } = await signedRepo([{ name: 'app', version: '1.0.0' }]);
    const next = await makeKey(path.join(work, 'next'));
    const { repo: second } = await signedRepo([{ name: 'tool', version: '1.0.0' }], old);
    const box = (withSecond: boolean) =>
      pinnedBox('bp-keyretire-box-', old, withSecond ? { main: repo, second } : { main: repo });
    const plain = await box(false);
    const shared = await box(true);
    const stale = await box(false);
    // The publisher rotates and signs with the new key; each box follows the notice.
    expect((await rotateKey(repo, old, next)).code).toBe(0);
    const build = ['repo', 'build', makeSource(path.join(work, 'src'), { name: 'app', version: '2.0.0' })];
    expect((await run([...build, '--repo', repo, '--key', next.privateFile])).code).toBe(0);
    for (const root of [plain, shared, stale]) expect((await bpkg(root, ['update'])).code).toBe(0);
    const keysOf = async (root: string, name: string) =>
      (
        JSON.parse((await bpkg(root, ['--json', 'repo', 'list'])).stdout) as {
          name: string;
          keys: string[];
        }[]
      ).find((r) => r.name === name)!.keys;
    const trusted = async (root: string) =>
      (JSON.parse((await bpkg(root, ['--json', 'key', 'list'])).stdout) as { fingerprint: string }[]).map(
        (k) => k.fingerprint,
      );
    expect(await keysOf(plain, 'main')).toEqual(expect.arrayContaining([old.fingerprint, next.fingerprint]));

    const newFile = path.join(work, 'new.yaml');
    writeFileSync(
      newFile,
      ['hostname: edge-1', ...repositoriesSection('main', `file://${repo}`, next), ''].join('\n'),
    );
    const OLD = old.fingerprint.toUpperCase();
    const dry = await run(['--root', plain, 'apply', '-f', newFile, '--dry-run']);
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`keys: - ${OLD}`);
    const applied = await run(['--root', plain, '--json', 'apply', '-f', newFile]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const changed = JSON.parse(applied.stdout).changed as Change[];
    expect(changed).toContainEqual(
      expect.objectContaining({ kind: 'repository', target: 'main', action: 'update' }),
    );
    expect(changed).toContainEqual(expect.objectContaining({ kind: 'key', target: OLD, action: 'delete' }));
    expect(await keysOf(plain, 'main')).toEqual([next.fingerprint]);
    expect(await trusted(plain)).toEqual([next.fingerprint]);
    const again = await run(['--root', plain, '--json', 'apply', '-f', newFile]);
    expect(JSON.parse(again.stdout).changed).toEqual([]);
    expect((await bpkg(plain, ['update'])).code).toBe(0);

    // Another repository of the box is bound to the old key: it stays trusted, for that one only.
    const s = await run(['--root', shared, '--json', 'apply', '-f', newFile]);
    expect(s.code, s.stdout + s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).changed).not.toContainEqual(
      expect.objectContaining({ kind: 'key', action: 'delete' }),
    );
    expect(await keysOf(shared, 'main')).toEqual([next.fingerprint]);
    expect(await keysOf(shared, 'second')).toEqual([old.fingerprint]);
    expect((await trusted(shared)).sort()).toEqual([old.fingerprint, next.fingerprint].sort());

    // A file still pinning the old key does not undo the rotation: the new key signs the repository.
    const oldFile = path.join(work, 'old.yaml');
    writeFileSync(
      oldFile,
      ['hostname: edge-1', ...repositoriesSection('main', `file://${repo}`, old), ''].join('\n'),
    );
    const st = await run(['--root', stale, '--json', 'apply', '-f', oldFile]);
    expect(st.code, st.stdout + st.stderr).toBe(0);
    expect(await keysOf(stale, 'main')).toEqual(expect.arrayContaining([old.fingerprint, next.fingerprint]));
    // Nor when the same file adds a mirror: the repository is written again, the rotated key kept.
    const copy = path.join(work, 'mirror');
    cpSync(repo, copy, { recursive: true });
    writeFileSync(
      oldFile,
      [
        'hostname: edge-1',
        ...repositoriesSection('main', `file://${repo}`, old),
        `    mirrors: ["file://${copy}"]`,
        '',
      ].join('\n'),
    );
    const smDry = await run(['--root', stale, 'apply', '-f', oldFile, '--dry-run']);
    expect(smDry.stdout).toContain('mirrors: + file://');
    expect(smDry.stdout).not.toContain('keys: -');
    const sm = await run(['--root', stale, 'apply', '-f', oldFile]);
    expect(sm.code, sm.stdout + sm.stderr).toBe(0);
    expect(await keysOf(stale, 'main')).toEqual(expect.arrayContaining([old.fingerprint, next.fingerprint]));

    // A box set up later from the old pin follows the notice while apply installs: apply says so.
    const late = tempDir('bp-keyretire-late-');
    const lateFile = path.join(work, 'late.yaml');
    writeFileSync(
      lateFile,
      [
        'hostname: edge-2',
        ...repositoriesSection('main', `file://${repo}`, old),
        'modules: [{ name: app, state: installed }]',
        '',
      ].join('\n'),
    );
    const l = await run(['--root', late, '--json', 'apply', '-f', lateFile]);
    expect(l.code, l.stdout + l.stderr).toBe(0);
    expect(JSON.parse(l.stdout).changed).toContainEqual(
      expect.objectContaining({ action: 'create', kind: 'key', target: next.fingerprint.toUpperCase() }),
    );
    expect(await keysOf(late, 'main')).toEqual(expect.arrayContaining([old.fingerprint, next.fingerprint]));
  });
});
