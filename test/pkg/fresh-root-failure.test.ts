import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PackageManager } from '../../src/core/pkg/manager.js';
import { runCliHere } from '../helpers/cli-here.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * A package command that fails on a --root that did not exist leaves nothing behind: `pkg install x`
 * (no such package) made ROOT/var/lib/blueprint/pkg for its lock and left it there, so a typo in
 * --root became a folder tree. Only the folders the command made, and only while they are empty.
 */
describe('a failing package command on a new --root', () => {
  it('removes the folders it made for its lock (install, remove)', async () => {
    const base = tempDir('bp-fresh-');
    const root = path.join(base, 'box');
    for (const op of [
      (pm: PackageManager) => pm.install(['nope']),
      (pm: PackageManager) => pm.remove(['nope']),
    ]) {
      const err = await op(new PackageManager({ root })).catch((e) => e);
      expect(err).toMatchObject({ exitCode: 3 });
      expect(existsSync(root)).toBe(false);
    }
  });

  it('keeps folders that were there, and what another command put there', async () => {
    const base = tempDir('bp-fresh-');
    const root = path.join(base, 'box');
    mkdirSync(path.join(root, 'var', 'lib'), { recursive: true });
    await new PackageManager({ root }).install(['nope']).catch(() => {});
    expect(readdirSync(path.join(root, 'var'))).toEqual(['lib']);
    expect(readdirSync(path.join(root, 'var', 'lib'))).toEqual([]);
  });

  it('bpkg install x on a --root that does not exist: exit 3, no root made', async () => {
    const root = path.join(tempDir('bp-fresh-'), 'typo');
    const r = await runCliHere(['--root', root, 'pkg', 'install', 'x']);
    expect(r.code).toBe(3);
    expect(existsSync(root)).toBe(false);
  });
});
